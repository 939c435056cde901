/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `servo:cross-origin-storage`: the browser's own page for Cross-Origin
//! Storage. It shows every stored file with who stored and read it, and
//! lets the person delete a file, forget a site, change consent decisions,
//! clear everything and add a file from disk.
//!
//! The page is made here, in the browser process, from the store's
//! management handle ([`CrossOriginStorageManagement`]): no web-exposed API
//! is involved. Web content must not load it, frame it, fetch it or make it
//! act:
//!
//! - it loads only as a top-level navigation that the browser itself or an
//!   opaque-origin document started (the address bar, the toolbar, this
//!   page's own forms); a navigation, frame or fetch from a web origin gets
//!   a network error;
//! - its documents have an opaque origin, so no web page can read them;
//! - every action carries a token that only the last rendering of the page
//!   holds (it changes after each action), so a page that can start a load
//!   anyway (an opaque-origin sandboxed frame navigating the top level)
//!   cannot guess an action URL, and a reload does not repeat an action.

pub mod page;

use std::future;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use cos_traits::{
    ConsentDecision, CosAdminRequest, CosError, CosHash, CosResponse, EntrySummary, Site,
};
use http::HeaderValue;
use net_traits::request::{Destination, Origin as RequestOrigin, RequestMode};
use servo::CrossOriginStorageManagement;
use servo::protocol_handler::{
    DoneChannel, FetchContext, NetworkError, ProtocolHandler, Request, ResourceFetchTiming,
    Response, ResponseBody,
};

use crate::delegate::constant_time_eq;

pub const SCHEME: &str = "servo";
pub const PATH: &str = "cross-origin-storage";
pub const URL: &str = "servo:cross-origin-storage";

/// What the page and the toolbar share: the store, once Servo has started
/// it, and the page's state.
#[derive(Clone, Default)]
pub struct Management {
    store: Arc<OnceLock<CrossOriginStorageManagement>>,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    token: String,
    /// Shown once, on the next rendering.
    notice: Option<String>,
    /// Files being added from disk.
    adding: Vec<String>,
}

/// An action the page asked for, parsed from its query.
#[derive(Debug, PartialEq)]
pub enum Action {
    Delete(CosHash),
    ForgetSite(Site),
    Decide(Site, ConsentDecision),
    ForgetDecision(Site),
    ResetConsent,
    ClearAll,
    Add(String),
}

impl Action {
    /// The action and its token in `query`, if it names one; an error names
    /// what is wrong with it.
    pub fn parse(query: &str) -> Result<Option<(Action, String)>, String> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let Some(action) = get("action") else {
            return Ok(None);
        };
        let token = get("token").unwrap_or_default().to_owned();
        let site =
            || Site::parse(get("site").unwrap_or_default()).map_err(|e| format!("Not a site: {e}"));
        let action = match action {
            "delete" => Action::Delete(
                get("hash")
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e| format!("Not a hash: {e}"))?,
            ),
            "forget-site" => Action::ForgetSite(site()?),
            "allow" => Action::Decide(site()?, ConsentDecision::Allow),
            "deny" => Action::Decide(site()?, ConsentDecision::Deny),
            "forget-decision" => Action::ForgetDecision(site()?),
            "reset-consent" => Action::ResetConsent,
            "clear-all" => Action::ClearAll,
            "add" => {
                let path = get("path").unwrap_or_default().trim();
                if path.is_empty() {
                    return Err("Type the path of a file to add.".into());
                }
                Action::Add(path.to_owned())
            },
            other => return Err(format!("There is no action '{other}'.")),
        };
        Ok(Some((action, token)))
    }
}

/// A fresh secret for the page's actions.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if let Err(e) = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
    {
        // Without randomness no token can be trusted: make one that no
        // query can carry, so that every action is refused.
        eprintln!("servo-cos: no randomness for the management page ({e}); its actions are off");
        return "\u{0}".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `request` may load the page: a top-level navigation started by
/// the browser or by an opaque-origin document (this page). Anything a web
/// origin starts, and any frame, fetch or subresource, may not.
pub fn may_load(request: &Request) -> bool {
    let initiator_is_web = |origin: &RequestOrigin| match origin {
        RequestOrigin::Origin(origin) => origin.is_tuple(),
        RequestOrigin::Client => false,
    };
    request.mode == RequestMode::Navigate
        && request.destination == Destination::Document
        && !initiator_is_web(&request.origin)
        && !request.client.as_ref().is_some_and(|client| {
            client.is_nested_browsing_context || initiator_is_web(&client.origin)
        })
}

impl Management {
    /// Servo has started: the page can reach the store.
    pub fn connect(&self, store: Option<CrossOriginStorageManagement>) {
        if let Some(store) = store {
            let _ = self.store.set(store);
        }
    }

    pub fn store(&self) -> Option<&CrossOriginStorageManagement> {
        self.store.get()
    }

    /// Every stored file, for the page and the toolbar.
    pub fn entries(&self) -> Result<Vec<EntrySummary>, CosError> {
        let store = self.store().ok_or_else(unavailable)?;
        match store.request(CosAdminRequest::List)? {
            CosResponse::Entries(entries) => Ok(entries),
            other => Err(CosError::Storage(format!("unexpected answer {other:?}"))),
        }
    }

    fn decisions(&self) -> Vec<(Site, ConsentDecision)> {
        match self
            .store()
            .map(|store| store.request(CosAdminRequest::ListConsent))
        {
            Some(Ok(CosResponse::ConsentDecisions(decisions))) => decisions,
            _ => Vec::new(),
        }
    }

    /// Carries out `action`; the notice says what happened.
    fn act(&self, action: Action) -> String {
        let Some(store) = self.store().cloned() else {
            return unavailable().to_string();
        };
        let (request, done) = match action {
            Action::Delete(hash) => (
                CosAdminRequest::RemoveEntry { hash: hash.clone() },
                format!("Deleted {hash}."),
            ),
            Action::ForgetSite(site) => (
                CosAdminRequest::ClearSite { site: site.clone() },
                format!(
                    "Forgot {site}: it is no longer recorded as storing or reading any file, files \
                     only it stored are deleted, and its decisions are forgotten."
                ),
            ),
            Action::Decide(site, decision) => (
                CosAdminRequest::RecordConsent {
                    requesting_site: site.clone(),
                    hash: None,
                    decision,
                },
                format!(
                    "{site} {} use files other sites saved.",
                    match decision {
                        ConsentDecision::Allow => "may now",
                        ConsentDecision::Deny => "may no longer",
                    }
                ),
            ),
            Action::ForgetDecision(site) => (
                CosAdminRequest::ForgetConsent { site: site.clone() },
                format!("{site} will be asked again."),
            ),
            Action::ResetConsent => (
                CosAdminRequest::ResetConsent,
                "Every site will be asked again.".into(),
            ),
            Action::ClearAll => (
                CosAdminRequest::ClearAll,
                "Deleted every file and decision.".into(),
            ),
            Action::Add(path) => {
                self.add(store, path.clone());
                return format!("Adding {path}…");
            },
        };
        match store.request(request) {
            Ok(_) => done,
            Err(e) => format!("That did not work: {e}"),
        }
    }

    /// Adds a file from disk on its own thread (hashing a model takes a
    /// while); the page shows it until it is done, then what happened.
    fn add(&self, store: CrossOriginStorageManagement, path: String) {
        let line = format!("Adding {path}: hashing and copying…");
        self.state.lock().unwrap().adding.push(line.clone());
        let state = self.state.clone();
        thread::spawn(move || {
            let result = store.request(CosAdminRequest::AddFile {
                path: path.clone().into(),
            });
            let notice = match result {
                Ok(CosResponse::Added {
                    hash,
                    size,
                    already_present,
                }) if already_present => format!(
                    "{path} ({}) was already stored as {hash}; its grants are unchanged.",
                    page::human_size(size)
                ),
                Ok(CosResponse::Added { hash, size, .. }) => {
                    // Nobody stored it, so every site asking is another
                    // site: only the Public Hash List lets them find it.
                    let listed = match store.request(CosAdminRequest::List) {
                        Ok(CosResponse::Entries(entries)) => entries
                            .iter()
                            .any(|e| e.hash == hash && e.on_public_hash_list),
                        _ => false,
                    };
                    format!(
                        "Added {path} ({}) as {hash}: {}",
                        page::human_size(size),
                        if listed {
                            "it is on the Public Hash List, so any site that asks for it can use it."
                        } else {
                            "it is not on the Public Hash List, so sites cannot find it until one \
                             of them stores the same file itself."
                        }
                    )
                },
                Ok(other) => format!("Adding {path}: unexpected answer {other:?}"),
                Err(e) => format!("Could not add {path}: {e}"),
            };
            let mut state = state.lock().unwrap();
            state.adding.retain(|l| *l != line);
            state.notice = Some(notice);
        });
    }

    /// The page for a load of `query`, acting first if it asks to.
    pub fn page(&self, query: Option<&str>) -> (String, String) {
        let notice = match Action::parse(query.unwrap_or_default()) {
            Ok(None) => None,
            Err(message) => Some(message),
            Ok(Some((action, token))) => {
                let current = self.state.lock().unwrap().token.clone();
                if current.is_empty() || !constant_time_eq(token.as_bytes(), current.as_bytes()) {
                    Some("This page was out of date, so nothing was changed. Try again.".into())
                } else {
                    Some(self.act(action))
                }
            },
        };
        let entries = self.entries();
        let decisions = self.decisions();
        let mut state = self.state.lock().unwrap();
        // A new token for every rendering: only the latest page can act.
        state.token = new_token();
        let nonce = new_token();
        let notice = notice.or_else(|| state.notice.take());
        let notice = match (&entries, notice) {
            (Ok(_), notice) => notice,
            (Err(e), None) => Some(format!("The store cannot be read: {e}")),
            (Err(e), Some(notice)) => Some(format!("{notice} The store cannot be read: {e}")),
        };
        let html = page::render(
            entries.as_deref().unwrap_or_default(),
            &page::PageState {
                token: &state.token,
                nonce: &nonce,
                notice: notice.as_deref(),
                adding: &state.adding,
                decisions: &decisions,
            },
        );
        (html, nonce)
    }
}

fn unavailable() -> CosError {
    CosError::Storage("Cross-Origin Storage is off or could not open its store".into())
}

/// The `servo:` scheme, of which this shell serves one page.
pub struct Handler(pub Management);

impl ProtocolHandler for Handler {
    fn load<'a>(
        &'a self,
        request: &'a mut Request,
        _done_chan: &mut DoneChannel,
        _context: &FetchContext,
    ) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send + 'a>> {
        let url = request.current_url();
        let response = if url.path() != PATH {
            Response::network_error(NetworkError::ResourceLoadError(format!(
                "there is no page {url}"
            )))
        } else if !may_load(request) {
            eprintln!(
                "servo-cos: refused to load {URL} inside or from web content ({:?}, {:?})",
                request.destination, request.mode
            );
            Response::network_error(NetworkError::ResourceLoadError(format!(
                "{URL} is the browser's own page"
            )))
        } else {
            let (html, nonce) = self.0.page(url.query());
            // One line per page view: what the browser showed, for the log.
            eprintln!("servo-cos: showing {URL}");
            let mut response = Response::new(url, ResourceFetchTiming::new(request.timing_type()));
            *response.body.lock() = ResponseBody::Done(html.into_bytes());
            let headers = &mut response.headers;
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            // Only the page's own script, no framing, nothing from elsewhere.
            let policy = format!(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; \
                 form-action 'none'; frame-ancestors 'none'"
            );
            headers.insert(
                http::header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&policy).expect("a nonce is hex"),
            );
            headers.insert(
                http::header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            );
            headers.insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            );
            response
        };
        Box::pin(future::ready(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_with_their_token() {
        let hash = CosHash::of(cos_traits::HashAlgorithm::Sha256, b"x");
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("action", "delete")
            .append_pair("token", "abc")
            .append_pair("hash", &hash.to_string())
            .finish();
        assert_eq!(
            Action::parse(&query),
            Ok(Some((Action::Delete(hash), "abc".into())))
        );
        assert_eq!(Action::parse(""), Ok(None));
        assert!(Action::parse("action=delete&hash=nope").is_err());
        assert!(Action::parse("action=launch-missiles").is_err());
        assert!(Action::parse("action=add&path=+").is_err());
        assert_eq!(
            Action::parse("action=deny&token=t&site=https%3A%2F%2Fb.example"),
            Ok(Some((
                Action::Decide(
                    Site::parse("https://b.example").unwrap(),
                    ConsentDecision::Deny
                ),
                "t".into()
            )))
        );
    }

    #[test]
    fn a_stale_or_missing_token_changes_nothing() {
        // No store is connected: an action that got past the token would
        // report that the store is unavailable instead.
        let management = Management::default();
        let (first, _) = management.page(None);
        assert!(first.contains("The store cannot be read"));
        let (page, _) = management.page(Some("action=clear-all&token=guess"));
        assert!(page.contains("out of date"), "{page}");
        let (page, _) = management.page(Some("action=clear-all"));
        assert!(page.contains("out of date"));
        // The real token works once, then it is stale.
        let token = management.state.lock().unwrap().token.clone();
        let query = format!("action=clear-all&token={token}");
        let (page, _) = management.page(Some(&query));
        assert!(!page.contains("out of date"));
        let (page, _) = management.page(Some(&query));
        assert!(page.contains("out of date"));
    }

    #[test]
    fn tokens_are_fresh_and_long() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(constant_time_eq(a.as_bytes(), a.clone().as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), b.as_bytes()));
    }
}
