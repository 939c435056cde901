/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The `cross-origin-storage` policy-controlled feature
//! (<https://wicg.github.io/cross-origin-storage/#permissions-policy-integration>),
//! default allowlist `self`.
//!
//! Servo 0.7.0 has no Permissions Policy machinery, so this is the part of
//! [Permissions Policy](https://w3c.github.io/webappsec-permissions-policy/)
//! that one feature needs, kept free of DOM types: parsing the
//! `Permissions-Policy` header and the iframe `allow` attribute, and the
//! "inherited policy" and "is feature enabled" algorithms. The DOM snapshots
//! a [`ContainerPolicy`] when a frame navigates (the new document's origin is
//! only known once its response arrives), and the new document evaluates it.

use serde::{Deserialize, Serialize};

use crate::Origin;

/// The feature's name in headers and `allow` attributes.
pub const FEATURE: &str = "cross-origin-storage";

/// An allowlist with `self` and `src` already resolved to origins.
/// Origins are `None` when opaque: an opaque origin matches only `*`.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub enum Allowlist {
    /// `*`
    All,
    /// The listed origins (possibly none: `()` or `'none'`).
    Origins(Vec<Origin>),
}

impl Allowlist {
    /// The default allowlist `self`, for a document of `origin`.
    pub fn self_of(origin: Option<&Origin>) -> Allowlist {
        Allowlist::Origins(origin.cloned().into_iter().collect())
    }

    pub fn matches(&self, origin: Option<&Origin>) -> bool {
        match self {
            Allowlist::All => true,
            Allowlist::Origins(origins) => origin.is_some_and(|o| origins.contains(o)),
        }
    }
}

/// What a navigable's container decides for the document it will hold,
/// snapshotted when the navigation starts.
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
pub enum ContainerPolicy {
    /// A top-level traversable: the inherited policy is Enabled.
    #[default]
    TopLevel,
    /// A child navigable. Its document's inherited policy is Enabled when the
    /// feature is enabled in the container document for its own origin and
    /// for the child's origin, and the `allow` attribute (or, without one,
    /// the default allowlist `self`) matches the child's origin
    /// (<https://w3c.github.io/webappsec-permissions-policy/#algo-define-inherited-policy-in-container>).
    Nested {
        /// "Is feature enabled in document for origin" for the container
        /// document and its own origin.
        parent_enabled: bool,
        /// The container document's declared allowlist, or `*` without one.
        parent_allowlist: Allowlist,
        /// The container's `allow` attribute allowlist, or `self` of the
        /// container document.
        attribute_allowlist: Allowlist,
    },
    /// A child navigable whose container could not be consulted (a
    /// cross-origin parent in another event loop): fail closed.
    Unknown,
}

impl ContainerPolicy {
    /// The inherited policy for a document of `origin`: Enabled (true) or
    /// Disabled.
    pub fn inherited_for(&self, origin: Option<&Origin>) -> bool {
        match self {
            ContainerPolicy::TopLevel => true,
            ContainerPolicy::Nested {
                parent_enabled,
                parent_allowlist,
                attribute_allowlist,
            } => {
                *parent_enabled
                    && parent_allowlist.matches(origin)
                    && attribute_allowlist.matches(origin)
            },
            ContainerPolicy::Unknown => false,
        }
    }
}

/// A document's permissions policy, for this one feature.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct DocumentPolicy {
    /// What the container decided; kept so that a document navigating itself
    /// without access to its container can pass it on.
    pub container: ContainerPolicy,
    /// The allowlist of the response's `Permissions-Policy` header, if it
    /// names the feature.
    pub declared: Option<Allowlist>,
    /// "Is feature enabled in document for origin" for the document's own
    /// origin: what every call from the document is checked against.
    pub enabled: bool,
}

impl Default for DocumentPolicy {
    fn default() -> Self {
        DocumentPolicy::new(ContainerPolicy::TopLevel, None, None)
    }
}

impl DocumentPolicy {
    /// Creates the policy of a document of `origin` from its container's
    /// snapshot and its response's declared policy.
    pub fn new(
        container: ContainerPolicy,
        declared: Option<Allowlist>,
        origin: Option<&Origin>,
    ) -> DocumentPolicy {
        let enabled = container.inherited_for(origin)
            && declared
                .as_ref()
                .is_none_or(|allowlist| allowlist.matches(origin));
        DocumentPolicy {
            container,
            declared,
            enabled,
        }
    }

    /// The snapshot for a child navigable of this document (of `origin`),
    /// whose container has the `allow` attribute `attribute` (already parsed
    /// with [`parse_allow_attribute`]; `None` if it does not name the feature).
    pub fn container_for_child(
        &self,
        origin: Option<&Origin>,
        attribute: Option<Allowlist>,
    ) -> ContainerPolicy {
        ContainerPolicy::Nested {
            parent_enabled: self.enabled,
            // "Is feature enabled in document for origin" consults only a
            // declared policy; without one it is Enabled for every origin.
            parent_allowlist: self.declared.clone().unwrap_or(Allowlist::All),
            attribute_allowlist: attribute.unwrap_or_else(|| Allowlist::self_of(origin)),
        }
    }
}

/// What a worker inherits from its owner set: a dedicated worker's is the
/// global that created it, fixed for its life; a shared worker's grows with
/// every document that connects to it ([`WorkerInheritance::add_owner`]); a
/// service worker's is empty (the default: not allowed).
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
pub struct WorkerInheritance {
    /// "Check Cross-Origin Storage permission": every owner allows it.
    pub allowed: bool,
    /// "Obtain the COS scope ceiling": the origins every owner's ceiling
    /// authorizes.
    pub scope_ceiling: Vec<Origin>,
    /// The site of the owners' top-level document, which the probe budget
    /// charges; `None` when it is not known (the worker's own site is used).
    pub top_level_site: Option<crate::Site>,
}

impl WorkerInheritance {
    /// Another global joined the worker's owner set (a document connected
    /// to a shared worker): the permission holds only if it holds for every
    /// owner, and the ceiling is what every owner's ceiling authorizes.
    ///
    /// The probe budget belongs to one top-level site. A worker whose owners
    /// sit under different top-level sites could pool their budgets, so it
    /// loses the permission instead (a deliberate restriction: the spec does
    /// not say which owner's budget to charge).
    pub fn add_owner(&mut self, owner: &WorkerInheritance) {
        self.allowed &= owner.allowed;
        self.scope_ceiling
            .retain(|origin| owner.scope_ceiling.contains(origin));
        if self.top_level_site != owner.top_level_site {
            self.allowed = false;
        }
    }
}

/// The allowlist that `Permissions-Policy` header values give the feature,
/// or `None` if they do not name it. The header is a Structured Fields
/// dictionary: `cross-origin-storage=()`, `=*`, `=self`, `=("https://a")`,
/// `=(self "https://a")`; parameters are ignored. A member that does not
/// parse is ignored, as Permissions Policy ignores what it cannot parse.
pub fn parse_permissions_policy_header<'a>(
    values: impl IntoIterator<Item = &'a str>,
    self_origin: Option<&Origin>,
) -> Option<Allowlist> {
    let mut found = None;
    for value in values {
        for member in split_top_level(value, ',') {
            let (key, item) = match member.split_once('=') {
                Some((key, item)) => (key.trim(), item.trim()),
                None => continue,
            };
            if key != FEATURE {
                continue;
            }
            if let Some(allowlist) = parse_sf_allowlist(item, self_origin) {
                // Structured Fields: the last member with a key wins.
                found = Some(allowlist);
            }
        }
    }
    found
}

/// One dictionary member's value: an item or an inner list of tokens (`*`,
/// `self`) and strings (origins).
fn parse_sf_allowlist(item: &str, self_origin: Option<&Origin>) -> Option<Allowlist> {
    let item = strip_parameters(item);
    let members: Vec<&str> = if let Some(inner) = item.strip_prefix('(') {
        let inner = inner.strip_suffix(')')?;
        split_top_level(inner, ' ')
            .into_iter()
            .map(strip_parameters)
            .filter(|m| !m.is_empty())
            .collect()
    } else {
        vec![item]
    };
    let mut origins = Vec::new();
    for member in members {
        match member {
            "*" => return Some(Allowlist::All),
            "self" => origins.extend(self_origin.cloned()),
            quoted if quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"') => {
                if let Ok(origin) = Origin::parse(&quoted[1..quoted.len() - 1]) {
                    origins.push(origin);
                }
            },
            // "src" has no meaning in a header; other tokens name nothing.
            _ => {},
        }
    }
    Some(Allowlist::Origins(origins))
}

fn strip_parameters(item: &str) -> &str {
    // Parameters follow a ';' outside a string.
    split_top_level(item, ';')
        .into_iter()
        .next()
        .unwrap_or("")
        .trim()
}

/// Splits `input` on `separator` outside double-quoted strings and
/// parentheses, trimming the pieces.
fn split_top_level(input: &str, separator: char) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0usize, false, false, 0usize);
    for (i, c) in input.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            c if c == separator && !quoted && depth == 0 => {
                pieces.push(input[start..i].trim());
                start = i + c.len_utf8();
            },
            _ => {},
        }
    }
    pieces.push(input[start..].trim());
    pieces.retain(|p| !p.is_empty());
    pieces
}

/// The allowlist an iframe's `allow` attribute gives the feature, or `None`
/// if it does not name it
/// (<https://w3c.github.io/webappsec-permissions-policy/#algo-parse-policy-directive>):
/// `cross-origin-storage` alone means `'src'`; `*`, `'self'`, `'src'`,
/// `'none'` and origins may follow.
pub fn parse_allow_attribute(
    value: &str,
    self_origin: Option<&Origin>,
    src_origin: Option<&Origin>,
) -> Option<Allowlist> {
    let mut found = None;
    for directive in value.split(';') {
        let mut tokens = directive.split_ascii_whitespace();
        if tokens.next() != Some(FEATURE) {
            continue;
        }
        let values: Vec<&str> = tokens.collect();
        let values = if values.is_empty() {
            vec!["'src'"]
        } else {
            values
        };
        let mut origins = Vec::new();
        let mut all = false;
        for token in values {
            match token.to_ascii_lowercase().as_str() {
                "*" => all = true,
                "'self'" => origins.extend(self_origin.cloned()),
                "'src'" => origins.extend(src_origin.cloned()),
                "'none'" => {},
                other => {
                    if let Ok(origin) = Origin::parse(other) {
                        origins.push(origin);
                    }
                },
            }
        }
        // The first directive for a feature counts; later ones are ignored.
        if found.is_none() {
            found = Some(if all {
                Allowlist::All
            } else {
                Allowlist::Origins(origins)
            });
        }
    }
    found
}

#[cfg(test)]
mod owner_set_tests {
    use super::*;

    fn owner(allowed: bool, ceiling: &[&str], top: &str) -> WorkerInheritance {
        WorkerInheritance {
            allowed,
            scope_ceiling: ceiling.iter().map(|o| Origin::parse(o).unwrap()).collect(),
            top_level_site: Some(crate::Site::parse(top).unwrap()),
        }
    }

    #[test]
    fn every_owner_must_allow_and_ceilings_intersect() {
        let mut worker = owner(
            true,
            &["https://a.example", "https://b.example"],
            "app.example",
        );
        worker.add_owner(&owner(
            true,
            &["https://b.example", "https://c.example"],
            "app.example",
        ));
        assert!(worker.allowed);
        assert_eq!(
            worker.scope_ceiling,
            vec![Origin::parse("https://b.example").unwrap()]
        );
        worker.add_owner(&owner(false, &["https://b.example"], "app.example"));
        assert!(!worker.allowed);
        // Once refused, a later allowing owner does not bring it back.
        worker.add_owner(&owner(true, &["https://b.example"], "app.example"));
        assert!(!worker.allowed);
    }

    #[test]
    fn owners_under_different_top_level_sites_refuse() {
        let mut worker = owner(true, &[], "one.example");
        worker.add_owner(&owner(true, &[], "two.example"));
        assert!(!worker.allowed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn header_forms() {
        let me = o("https://a.test");
        let other = o("https://b.test");
        let parse = |v: &str| parse_permissions_policy_header([v], Some(&me));
        assert_eq!(
            parse("cross-origin-storage=()"),
            Some(Allowlist::Origins(vec![]))
        );
        assert_eq!(parse("cross-origin-storage=*"), Some(Allowlist::All));
        assert_eq!(
            parse("cross-origin-storage=self"),
            Some(Allowlist::self_of(Some(&me)))
        );
        assert_eq!(
            parse(r#"geolocation=(), cross-origin-storage=(self "https://b.test");report-to=x"#),
            Some(Allowlist::Origins(vec![me.clone(), other.clone()]))
        );
        assert_eq!(
            parse(r#"cross-origin-storage=(* self)"#),
            Some(Allowlist::All)
        );
        assert_eq!(parse("geolocation=()"), None);
        assert_eq!(parse(""), None);
        // The last member wins, across header lines too.
        assert_eq!(
            parse_permissions_policy_header(
                ["cross-origin-storage=*", "cross-origin-storage=()"],
                Some(&me)
            ),
            Some(Allowlist::Origins(vec![]))
        );
        // A comma inside a string does not split members.
        assert_eq!(
            parse(r#"geolocation=("https://x.test,cross-origin-storage=*")"#),
            None
        );
    }

    #[test]
    fn allow_attribute_forms() {
        let me = o("https://a.test");
        let src = o("https://c.test");
        let parse = |v: &str| parse_allow_attribute(v, Some(&me), Some(&src));
        assert_eq!(
            parse("cross-origin-storage"),
            Some(Allowlist::Origins(vec![src.clone()]))
        );
        assert_eq!(
            parse("fullscreen; cross-origin-storage *"),
            Some(Allowlist::All)
        );
        assert_eq!(
            parse("cross-origin-storage 'none'"),
            Some(Allowlist::Origins(vec![]))
        );
        assert_eq!(
            parse("cross-origin-storage 'self' https://d.test"),
            Some(Allowlist::Origins(vec![me.clone(), o("https://d.test")]))
        );
        assert_eq!(parse("fullscreen"), None);
        assert_eq!(parse("cross-origin-storagex"), None);
    }

    #[test]
    fn default_allowlist_is_self() {
        let parent = o("https://a.test");
        let same = o("https://a.test");
        let cross = o("https://b.test");
        let top = DocumentPolicy::new(ContainerPolicy::TopLevel, None, Some(&parent));
        assert!(top.enabled);
        let container = top.container_for_child(Some(&parent), None);
        assert!(DocumentPolicy::new(container.clone(), None, Some(&same)).enabled);
        assert!(!DocumentPolicy::new(container.clone(), None, Some(&cross)).enabled);
        assert!(
            !DocumentPolicy::new(container, None, None).enabled,
            "opaque origins never match self"
        );
    }

    #[test]
    fn allow_attribute_delegates_and_header_disables() {
        let parent = o("https://a.test");
        let cross = o("https://b.test");
        let top = DocumentPolicy::new(ContainerPolicy::TopLevel, None, Some(&parent));
        let allow = parse_allow_attribute("cross-origin-storage", Some(&parent), Some(&cross));
        let container = top.container_for_child(Some(&parent), allow);
        assert!(DocumentPolicy::new(container.clone(), None, Some(&cross)).enabled);
        // The child's own header can still turn it off.
        let off = parse_permissions_policy_header(["cross-origin-storage=()"], Some(&cross));
        assert!(!DocumentPolicy::new(container, off, Some(&cross)).enabled);
        // A same-origin document whose header disables the feature.
        let off = parse_permissions_policy_header(["cross-origin-storage=()"], Some(&parent));
        assert!(!DocumentPolicy::new(ContainerPolicy::TopLevel, off, Some(&parent)).enabled);
    }

    #[test]
    fn a_disabled_parent_disables_every_child() {
        let parent = o("https://a.test");
        let off = parse_permissions_policy_header(["cross-origin-storage=()"], Some(&parent));
        let top = DocumentPolicy::new(ContainerPolicy::TopLevel, off, Some(&parent));
        let container = top.container_for_child(
            Some(&parent),
            parse_allow_attribute("cross-origin-storage *", Some(&parent), None),
        );
        assert!(!DocumentPolicy::new(container, None, Some(&parent)).enabled);
    }

    #[test]
    fn parent_header_limits_what_it_delegates() {
        let parent = o("https://a.test");
        let b = o("https://b.test");
        let c = o("https://c.test");
        let declared = parse_permissions_policy_header(
            [r#"cross-origin-storage=(self "https://b.test")"#],
            Some(&parent),
        );
        let top = DocumentPolicy::new(ContainerPolicy::TopLevel, declared, Some(&parent));
        let everyone = parse_allow_attribute("cross-origin-storage *", Some(&parent), None);
        let container = top.container_for_child(Some(&parent), everyone);
        assert!(container.inherited_for(Some(&b)));
        assert!(!container.inherited_for(Some(&c)));
    }

    #[test]
    fn an_unknown_container_fails_closed() {
        assert!(!ContainerPolicy::Unknown.inherited_for(Some(&o("https://a.test"))));
    }
}
