/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Clearing site data, deleting entries, and consent records.

mod common;

use common::*;
use cos_store::{ConsentPolicy, Store};
use cos_traits::{ConsentDecision, CosError, LookupOutcome, RequestedOrigins};

#[test]
fn clearing_an_origin_revokes_it_and_deletes_only_orphans() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let (a, b) = (origin("https://a.example"), origin("https://b.example"));
    let c = origin("https://c.example");
    put(
        &mut store,
        &a,
        b"only a",
        RequestedOrigins::from_list(&["https://c.example"]).unwrap(),
    )
    .unwrap();
    put(&mut store, &a, b"a and b", RequestedOrigins::SameSite).unwrap();
    put(
        &mut store,
        &b,
        b"a and b",
        RequestedOrigins::from_list(&["https://a.example"]).unwrap(),
    )
    .unwrap();
    assert!(found(get(&mut store, &c, &sha256(b"only a"))));

    assert_eq!(store.clear_origin(&a).unwrap(), 1);
    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].hash, sha256(b"a and b"));
    assert_eq!(entries[0].stored_by.len(), 1);
    // a was revoked from the list it was on, too.
    assert!(entries[0].listed_origins.is_empty());
    assert!(!found(get(&mut store, &a, &sha256(b"a and b"))));
    assert!(!found(get(&mut store, &c, &sha256(b"only a"))));
    assert_eq!(files_under(&store.layout().content_dir()).len(), 1);
}

#[test]
fn clearing_a_site_clears_all_its_origins() {
    let fx = Fixture::new();
    let mut store = fx.open();
    put(
        &mut store,
        &origin("https://www.a.example"),
        b"1",
        RequestedOrigins::SameSite,
    )
    .unwrap();
    put(
        &mut store,
        &origin("https://cdn.a.example"),
        b"2",
        RequestedOrigins::SameSite,
    )
    .unwrap();
    put(
        &mut store,
        &origin("https://b.example"),
        b"3",
        RequestedOrigins::SameSite,
    )
    .unwrap();
    assert_eq!(store.clear_site(&site("https://a.example")).unwrap(), 2);
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn removing_an_entry_and_clearing_everything() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    put(&mut store, &a, b"1", RequestedOrigins::SameSite).unwrap();
    put(&mut store, &a, b"2", RequestedOrigins::SameSite).unwrap();
    store.remove_entry(&sha256(b"1")).unwrap();
    assert_eq!(store.remove_entry(&sha256(b"1")), Err(CosError::NotFound));
    assert!(!found(get(&mut store, &a, &sha256(b"1"))));
    store.clear_all().unwrap();
    assert!(store.list().unwrap().is_empty());
    assert!(
        files_under(store.layout().root())
            .iter()
            .all(|p| !p.starts_with(store.layout().content_dir()))
    );
    // The store works after being wiped.
    put(&mut store, &a, b"3", RequestedOrigins::SameSite).unwrap();
    assert!(found(get(&mut store, &a, &sha256(b"3"))));
}

fn asking_store(fx: &Fixture) -> Store {
    let mut config = fx.config();
    config.consent = ConsentPolicy::Ask;
    Store::open(config).unwrap()
}

#[test]
fn cross_site_disclosure_asks_once_per_requesting_site() {
    let fx = Fixture::new();
    let mut store = asking_store(&fx);
    let a = origin("https://a.example");
    let b = origin("https://www.b.example");
    let listed =
        RequestedOrigins::from_list(&["https://www.b.example", "https://b.example"]).unwrap();
    put(&mut store, &a, b"model", listed.clone()).unwrap();
    put(&mut store, &a, b"other", listed).unwrap();
    match get(&mut store, &b, &sha256(b"model")).unwrap() {
        LookupOutcome::NeedsConsent(request) => {
            assert_eq!(request.requesting_site, site("https://b.example"));
            assert_eq!(request.size, 5);
            assert_eq!(request.storing_sites, vec![site("https://a.example")]);
        },
        other => panic!("expected a consent request, got {other:?}"),
    }
    // Not disclosed yet: no attribution recorded.
    assert!(store.list().unwrap()[0].read_by.is_empty());
    store
        .record_consent(b.site(), None, ConsentDecision::Allow)
        .unwrap();
    assert!(found(get(&mut store, &b, &sha256(b"model"))));
    // The decision covers the site's other origins and other entries.
    assert!(found(get(
        &mut store,
        &origin("https://b.example"),
        &sha256(b"other")
    )));
    // Same-site readers are never asked.
    assert!(found(get(
        &mut store,
        &origin("https://www.a.example"),
        &sha256(b"model")
    )));
}

#[test]
fn a_denial_is_an_ordinary_not_found() {
    let fx = Fixture::new();
    let mut store = asking_store(&fx);
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    let listed = RequestedOrigins::from_list(&["https://b.example"]).unwrap();
    put(&mut store, &a, b"model", listed.clone()).unwrap();
    put(&mut store, &a, b"other", listed).unwrap();
    store
        .record_consent(b.site(), Some(&sha256(b"model")), ConsentDecision::Deny)
        .unwrap();
    assert_eq!(
        get(&mut store, &b, &sha256(b"model")),
        Err(CosError::NotFound)
    );
    // Per-entry decisions leave other entries to be asked about.
    assert!(matches!(
        get(&mut store, &b, &sha256(b"other")),
        Ok(LookupOutcome::NeedsConsent(_))
    ));
    // A per-entry decision outranks the site-wide one.
    store
        .record_consent(b.site(), None, ConsentDecision::Allow)
        .unwrap();
    assert_eq!(
        get(&mut store, &b, &sha256(b"model")),
        Err(CosError::NotFound)
    );
    assert!(found(get(&mut store, &b, &sha256(b"other"))));
}

#[test]
fn the_policy_can_deny_all_cross_site_disclosure() {
    let fx = Fixture::new();
    let mut store = asking_store(&fx);
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(
        &mut store,
        &a,
        b"m",
        RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
    )
    .unwrap();
    store
        .record_consent(b.site(), None, ConsentDecision::Allow)
        .unwrap();
    store.set_consent_policy(ConsentPolicy::Deny);
    assert_eq!(get(&mut store, &b, &sha256(b"m")), Err(CosError::NotFound));
    assert!(found(get(&mut store, &a, &sha256(b"m"))));
}

#[test]
fn consent_decisions_persist_and_are_cleared_with_the_site() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    {
        let mut store = asking_store(&fx);
        put(
            &mut store,
            &a,
            b"m",
            RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
        )
        .unwrap();
        store
            .record_consent(b.site(), None, ConsentDecision::Allow)
            .unwrap();
    }
    let mut store = asking_store(&fx);
    assert!(found(get(&mut store, &b, &sha256(b"m"))));
    store.clear_site(b.site()).unwrap();
    // Clearing took b off the list as well; listed again, it is asked anew.
    assert_eq!(get(&mut store, &b, &sha256(b"m")), Err(CosError::NotFound));
    put(
        &mut store,
        &a,
        b"m",
        RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        get(&mut store, &b, &sha256(b"m")),
        Ok(LookupOutcome::NeedsConsent(_))
    ));
}

#[test]
fn decisions_are_listed_changed_and_forgotten_per_site() {
    let fx = Fixture::new();
    let mut store = asking_store(&fx);
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    let c = origin("https://c.example");
    let listed = RequestedOrigins::from_list(&["https://b.example", "https://c.example"]).unwrap();
    put(&mut store, &a, b"model", listed).unwrap();
    store
        .record_consent(b.site(), None, ConsentDecision::Allow)
        .unwrap();
    store
        .record_consent(c.site(), None, ConsentDecision::Deny)
        .unwrap();
    assert_eq!(
        store.consent_decisions().unwrap(),
        vec![
            (site("https://b.example"), ConsentDecision::Allow),
            (site("https://c.example"), ConsentDecision::Deny),
        ]
    );
    assert!(found(get(&mut store, &b, &sha256(b"model"))));
    // The person changes their mind on the management page.
    store
        .record_consent(b.site(), None, ConsentDecision::Deny)
        .unwrap();
    assert_eq!(
        get(&mut store, &b, &sha256(b"model")),
        Err(CosError::NotFound)
    );
    // Forgetting one site's decision asks it again, and only it.
    store.forget_consent(c.site()).unwrap();
    assert!(matches!(
        get(&mut store, &c, &sha256(b"model")),
        Ok(LookupOutcome::NeedsConsent(_))
    ));
    assert_eq!(
        store.consent_decisions().unwrap(),
        vec![(site("https://b.example"), ConsentDecision::Deny)]
    );
}
