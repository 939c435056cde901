/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::CosError;

/// How many origins one entry's explicit list may hold, and how many one
/// request may name.
pub const MAX_ORIGINS_LIST_LENGTH: usize = 100;

/// A tuple origin (scheme, host, port). Opaque origins have no place in COS:
/// they can neither store nor be granted anything, so this type cannot hold
/// one.
#[derive(Clone, Debug, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin {
    /// The ASCII serialization, e.g. `https://example.com:8443`; it is the
    /// identity of the origin and what the index stores.
    serialization: String,
    site: Site,
}

impl Origin {
    /// Parses a URL or an origin serialization; refuses anything whose origin
    /// is opaque (`data:`, `blob:` of an opaque origin, non-special schemes)
    /// and hosts with an empty label (`a..example`), which have no sensible
    /// site. A `blob:` URL has the origin of the URL inside it.
    pub fn parse(input: &str) -> Result<Origin, CosError> {
        let url = Url::parse(input)
            .map_err(|e| CosError::Type(format!("'{input}' is not a valid URL: {e}")))?;
        let origin = url.origin();
        let url::Origin::Tuple(scheme, host, _) = &origin else {
            return Err(CosError::Type(format!("'{input}' has an opaque origin")));
        };
        if let Host::Domain(domain) = host
            && domain
                .strip_suffix('.')
                .unwrap_or(domain)
                .split('.')
                .any(str::is_empty)
        {
            return Err(CosError::Type(format!(
                "'{input}' has a host with an empty label"
            )));
        }
        let site = Site::of(scheme, host);
        Ok(Origin {
            serialization: origin.ascii_serialization(),
            site,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.serialization
    }

    /// The origin's site: its scheme and registrable domain.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// HTML's "same site" (schemeful): same scheme and registrable domain.
    pub fn is_same_site(&self, other: &Origin) -> bool {
        self.site == other.site
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialization)
    }
}

impl FromStr for Origin {
    type Err = CosError;
    fn from_str(s: &str) -> Result<Origin, CosError> {
        Origin::parse(s)
    }
}

impl TryFrom<String> for Origin {
    type Error = CosError;
    fn try_from(s: String) -> Result<Origin, CosError> {
        Origin::parse(&s)
    }
}

impl From<Origin> for String {
    fn from(origin: Origin) -> String {
        origin.serialization
    }
}

/// A schemeful site: `scheme://registrable-domain`, or `scheme://host` where
/// the host has no registrable domain (an IP address, `localhost`, a bare
/// public suffix). Registrable domains come from the Public Suffix List as
/// the `psl` crate compiles it in, never from guessing at dots.
#[derive(Clone, Debug, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Site(String);

impl Site {
    fn of(scheme: &str, host: &Host<String>) -> Site {
        let host = match host {
            // A trailing dot makes another host (`example.com.` is not
            // `example.com`), and so another site.
            Host::Domain(domain) => match domain.strip_suffix('.') {
                Some(bare) => format!("{}.", psl::domain_str(bare).unwrap_or(bare)),
                None => psl::domain_str(domain).unwrap_or(domain).to_owned(),
            },
            // Every IP address is a site of its own.
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => format!("[{ip}]"),
        };
        Site(format!("{scheme}://{host}"))
    }

    /// Parses a site as a person types it: a URL or origin (reduced to its
    /// site), or a bare host name (taken as https).
    pub fn parse(input: &str) -> Result<Site, CosError> {
        if input.contains("://") {
            return Origin::parse(input).map(|o| o.site().clone());
        }
        let host = match input.parse::<IpAddr>() {
            Ok(_) => input.to_owned(),
            Err(_) => input.to_ascii_lowercase(),
        };
        Origin::parse(&format!("https://{host}")).map(|o| o.site().clone())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A site arriving over IPC must be one that [`Site::parse`] would make
/// (a content process cannot name `"x"` or an origin as a site).
impl TryFrom<String> for Site {
    type Error = CosError;
    fn try_from(s: String) -> Result<Site, CosError> {
        match Origin::parse(&s) {
            Ok(origin) if origin.site().0 == s => Ok(origin.site),
            _ => Err(CosError::Type(format!("'{s}' is not a site"))),
        }
    }
}

impl From<Site> for String {
    fn from(site: Site) -> String {
        site.0
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The visibility a writer asks for, from the `origins` option. Arriving
/// over IPC, a list is checked as [`RequestedOrigins::from_list`] checks one
/// (its origins are already checked as they deserialize).
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[serde(try_from = "RawRequestedOrigins")]
pub enum RequestedOrigins {
    /// `origins` omitted or `[]`: the same-site baseline every entry has.
    #[default]
    SameSite,
    /// An explicit, deduplicated list of at most [`MAX_ORIGINS_LIST_LENGTH`].
    List(Vec<Origin>),
    /// `"*"`: globally disclosable, subject to the Public Hash List.
    Global,
}

/// [`RequestedOrigins`] as it travels, before its list is checked.
#[derive(Deserialize)]
enum RawRequestedOrigins {
    SameSite,
    List(Vec<Origin>),
    Global,
}

impl TryFrom<RawRequestedOrigins> for RequestedOrigins {
    type Error = CosError;
    fn try_from(raw: RawRequestedOrigins) -> Result<RequestedOrigins, CosError> {
        match raw {
            RawRequestedOrigins::SameSite => Ok(RequestedOrigins::SameSite),
            RawRequestedOrigins::Global => Ok(RequestedOrigins::Global),
            RawRequestedOrigins::List(list) => {
                let serialized: Vec<&str> = list.iter().map(Origin::as_str).collect();
                RequestedOrigins::from_list(&serialized)
            },
        }
    }
}

impl RequestedOrigins {
    /// `origins` given as a single string: `"*"`, or one origin.
    pub fn from_string(origin: &str) -> Result<RequestedOrigins, CosError> {
        if origin == "*" {
            return Ok(RequestedOrigins::Global);
        }
        RequestedOrigins::from_list(&[origin])
    }

    /// `origins` given as a sequence. Every item must parse to a non-opaque
    /// origin (so `["*"]` is a `TypeError`, unlike `"*"`), duplicates fold,
    /// and an empty list means the same as an omitted one.
    pub fn from_list<S: AsRef<str>>(origins: &[S]) -> Result<RequestedOrigins, CosError> {
        if origins.len() > MAX_ORIGINS_LIST_LENGTH {
            return Err(CosError::Type(format!(
                "an origins list holds at most {MAX_ORIGINS_LIST_LENGTH} origins, got {}",
                origins.len()
            )));
        }
        let mut list: Vec<Origin> = Vec::with_capacity(origins.len());
        for candidate in origins {
            let origin = Origin::parse(candidate.as_ref())?;
            if !list.contains(&origin) {
                list.push(origin);
            }
        }
        if list.is_empty() {
            return Ok(RequestedOrigins::SameSite);
        }
        Ok(RequestedOrigins::List(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn serializes_as_the_ascii_origin() {
        assert_eq!(
            o("https://Example.COM/path?q#f").as_str(),
            "https://example.com"
        );
        assert_eq!(o("https://example.com:443").as_str(), "https://example.com");
        assert_eq!(
            o("http://127.0.0.1:8000/x").as_str(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(o("http://[::1]:81").as_str(), "http://[::1]:81");
    }

    #[test]
    fn opaque_and_malformed_origins_are_type_errors() {
        for input in [
            "data:text/plain,hi",
            "about:blank",
            "null",
            "*",
            "",
            "example.com",
            "javascript:alert(1)",
            "foo://bar",
            "https://",
        ] {
            assert_eq!(
                Origin::parse(input).unwrap_err().dom_name(),
                "TypeError",
                "{input:?}"
            );
        }
    }

    #[test]
    fn same_site_uses_the_public_suffix_list() {
        assert!(o("https://a.example.com").is_same_site(&o("https://b.example.com:8443")));
        assert!(o("https://example.co.uk").is_same_site(&o("https://www.example.co.uk")));
        // github.io is a public suffix: two pages on it are different sites.
        assert!(!o("https://alice.github.io").is_same_site(&o("https://bob.github.io")));
        assert!(!o("https://example.co.uk").is_same_site(&o("https://other.co.uk")));
        // Schemeful.
        assert!(!o("http://example.com").is_same_site(&o("https://example.com")));
    }

    #[test]
    fn ip_hosts_and_localhost_are_their_own_sites() {
        assert!(o("http://127.0.0.1:8000").is_same_site(&o("http://127.0.0.1:9000")));
        assert!(!o("http://127.0.0.1").is_same_site(&o("http://127.0.0.2")));
        assert!(!o("http://127.0.0.1").is_same_site(&o("http://localhost")));
        assert_eq!(
            o("http://localhost:8000").site().as_str(),
            "http://localhost"
        );
        assert_eq!(o("http://10.1.2.3:5").site().as_str(), "http://10.1.2.3");
    }

    #[test]
    fn sites_parse_from_what_people_type() {
        assert_eq!(
            Site::parse("www.Example.com").unwrap().as_str(),
            "https://example.com"
        );
        assert_eq!(
            Site::parse("http://a.b.example.org:8080/x")
                .unwrap()
                .as_str(),
            "http://example.org"
        );
        assert_eq!(
            Site::parse("127.0.0.1").unwrap().as_str(),
            "https://127.0.0.1"
        );
    }

    #[test]
    fn requested_origins_follow_the_options_rules() {
        assert_eq!(
            RequestedOrigins::from_string("*"),
            Ok(RequestedOrigins::Global)
        );
        assert!(RequestedOrigins::from_list(&["*"]).is_err());
        assert_eq!(
            RequestedOrigins::from_list::<&str>(&[]),
            Ok(RequestedOrigins::SameSite)
        );
        let list = RequestedOrigins::from_list(&[
            "https://a.example",
            "https://a.example/other/path",
            "https://b.example",
        ])
        .unwrap();
        assert_eq!(
            list,
            RequestedOrigins::List(vec![o("https://a.example"), o("https://b.example")])
        );
        assert_eq!(
            RequestedOrigins::from_string("https://x.example"),
            Ok(RequestedOrigins::List(vec![o("https://x.example")]))
        );
        assert!(RequestedOrigins::from_list(&["https://ok.example", "data:,x"]).is_err());
    }

    #[test]
    fn origins_lists_are_capped() {
        let hundred: Vec<String> = (0..100).map(|i| format!("https://s{i}.example")).collect();
        assert!(RequestedOrigins::from_list(&hundred).is_ok());
        let many: Vec<String> = (0..101).map(|i| format!("https://s{i}.example")).collect();
        assert_eq!(
            RequestedOrigins::from_list(&many).unwrap_err().dom_name(),
            "TypeError"
        );
    }

    #[test]
    fn blob_urls_have_their_inner_origin() {
        assert_eq!(
            o("blob:https://a.example/0f6c1b7e-uuid").as_str(),
            "https://a.example"
        );
        assert_eq!(
            Origin::parse("blob:null/0f6c").unwrap_err().dom_name(),
            "TypeError"
        );
        assert!(RequestedOrigins::from_list(&["blob:https://a.example/x"]).is_ok());
    }

    #[test]
    fn odd_hosts_get_no_odd_sites() {
        for input in [
            "https://a..example",
            "https://.example",
            "https://a.example..",
        ] {
            assert_eq!(
                Origin::parse(input).unwrap_err().dom_name(),
                "TypeError",
                "{input:?}"
            );
        }
        // A trailing dot names another host, so another site.
        assert_eq!(
            o("https://www.example.com.").site().as_str(),
            "https://example.com."
        );
        assert!(!o("https://example.com.").is_same_site(&o("https://example.com")));
    }

    #[test]
    fn deserialization_revalidates_sites_and_lists() {
        assert!(serde_json::from_str::<Site>(r#""https://example.com""#).is_ok());
        for bad in [
            r#""x""#,
            r#""https://www.example.com""#,
            r#""https://example.com:8443""#,
            r#""""#,
        ] {
            assert!(serde_json::from_str::<Site>(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..10_000)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        let json = serde_json::json!({ "List": many }).to_string();
        assert!(serde_json::from_str::<RequestedOrigins>(&json).is_err());
        let json = serde_json::json!({ "List": [] }).to_string();
        assert_eq!(
            serde_json::from_str::<RequestedOrigins>(&json).unwrap(),
            RequestedOrigins::SameSite
        );
        let json = serde_json::json!({ "List": ["https://a.example", "https://a.example/x"] });
        assert_eq!(
            serde_json::from_str::<RequestedOrigins>(&json.to_string()).unwrap(),
            RequestedOrigins::List(vec![o("https://a.example")])
        );
        assert_eq!(
            serde_json::from_str::<RequestedOrigins>(r#""Global""#).unwrap(),
            RequestedOrigins::Global
        );
    }

    #[test]
    fn deserialization_revalidates() {
        assert!(serde_json::from_str::<Origin>(r#""data:,x""#).is_err());
        let origin: Origin = serde_json::from_str(r#""https://A.example:443""#).unwrap();
        assert_eq!(origin.as_str(), "https://a.example");
        assert_eq!(origin.site().as_str(), "https://a.example");
    }
}
