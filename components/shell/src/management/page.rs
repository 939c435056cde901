/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The management page as HTML: every stored file with its attribution,
//! the totals, and the actions. Pure functions of what the store reported,
//! so that they are tested without a browser.

use std::fmt::Write;

use cos_traits::{ConsentDecision, EntrySummary, OriginActivity, Site};

/// What the page shows besides the entries.
pub struct PageState<'a> {
    /// The token the page's actions must carry (see `Action`).
    pub token: &'a str,
    /// The nonce the page's one script runs under (its CSP allows no other).
    pub nonce: &'a str,
    /// What the last action did, or why it did not.
    pub notice: Option<&'a str>,
    /// Files being added from disk, with how far each is.
    pub adding: &'a [String],
    /// The remembered consent decisions, per requesting site.
    pub decisions: &'a [(Site, ConsentDecision)],
}

/// `1536` → `1.5 KiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value >= 10.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Milliseconds since the epoch as `2026-12-02 15:04 UTC`.
pub fn human_time(ms: u64) -> String {
    let (year, month, day, hour, minute, _) = cos_store::utc_civil(ms);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// The reads of an entry that a download would otherwise have served:
/// those by sites that did not store it themselves.
pub fn reuses(entry: &EntrySummary) -> u64 {
    entry
        .read_by
        .iter()
        .filter(|reader| {
            !entry
                .stored_by
                .iter()
                .any(|storer| storer.origin.site() == reader.origin.site())
        })
        .map(|reader| reader.count)
        .sum()
}

/// What the toolbar indicator says about one site: the files it read that
/// other sites stored, and the bytes it so did not download.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteUsage {
    pub files: usize,
    pub bytes_saved: u64,
}

pub fn site_usage(entries: &[EntrySummary], site: &Site) -> SiteUsage {
    let mut usage = SiteUsage::default();
    for entry in entries {
        let stored_here = entry.stored_by.iter().any(|s| s.origin.site() == site);
        let reads: u64 = entry
            .read_by
            .iter()
            .filter(|r| r.origin.site() == site)
            .map(|r| r.count)
            .sum();
        if !stored_here && reads > 0 {
            usage.files += 1;
            usage.bytes_saved += entry.size * reads;
        }
    }
    usage
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn visibility(entry: &EntrySummary) -> String {
    let mut parts = Vec::new();
    if entry.globally_disclosable && entry.stored_by.is_empty() && !entry.on_public_hash_list {
        parts.push(
            "nobody yet: every site that asks is another site, and it is not on the Public Hash \
             List"
                .to_owned(),
        );
    } else if entry.globally_disclosable {
        parts.push(if entry.on_public_hash_list {
            "every site (on the Public Hash List)".to_owned()
        } else {
            "asked for every site ('*'), but it is not on the Public Hash List, so only the \
             storing sites"
                .to_owned()
        });
    }
    if !entry.listed_origins.is_empty() {
        let list: Vec<_> = entry
            .listed_origins
            .iter()
            .map(|o| escape(o.as_str()))
            .collect();
        parts.push(format!("listed: {}", list.join(", ")));
    }
    if parts.is_empty() {
        parts.push("the storing sites only".to_owned());
    }
    parts.join("; ")
}

fn activity(list: &[OriginActivity], nobody: &str) -> String {
    if list.is_empty() {
        return format!("<span class=dim>{nobody}</span>");
    }
    let mut out = String::from("<ul>");
    for a in list {
        let _ = write!(
            out,
            "<li><b>{}</b> <span class=dim>{}×, first {}, last {}</span></li>",
            escape(a.origin.as_str()),
            a.count,
            human_time(a.first),
            human_time(a.last)
        );
    }
    out.push_str("</ul>");
    out
}

/// A button that runs `action` (with its `params`) when pressed: a link to
/// the page with the action in its query. (A form would not do: Servo
/// submits forms only to http(s), data and a few other schemes.)
fn button(token: &str, action: &str, params: &[(&str, &str)], label: &str, class: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", action)
        .append_pair("token", token)
        .extend_pairs(params)
        .finish();
    format!(
        "<a role=button class=\"button {class}\" href=\"servo:cross-origin-storage?{}\">{}</a>",
        escape(&query),
        escape(label)
    )
}

const STYLE: &str = "
body { font: 15px/1.4 sans-serif; margin: 0; padding: 16px 24px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
.dim { color: #666; }
.totals { display: flex; gap: 24px; margin: 12px 0; }
.totals div { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; }
.totals b { display: block; font-size: 20px; }
.notice { background: #fff6d5; border: 1px solid #e6c200; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e4e4e4; padding: 8px; }
th { background: #f0f0f0; font-weight: 600; }
td.hash { font-family: monospace; font-size: 13px; }
ul { margin: 0; padding-left: 16px; }
form { display: inline-block; margin: 0; }
.button, button { display: inline-block; font: inherit; padding: 3px 10px; margin: 0 4px 4px 0; border-radius: 4px; border: 1px solid #888; background: #fff; color: #222; text-decoration: none; }
.danger { border-color: #b00; color: #b00; }
.forget { border-color: #b35900; color: #b35900; }
.decide { border-color: #0057b8; color: #0057b8; }
button.add { border-color: #1e7b34; color: #1e7b34; }
input[type=text] { font: inherit; width: 420px; padding: 3px 6px; border: 2px solid #6f2da8; }
section { margin: 18px 0; }
";

/// The whole page.
pub fn render(entries: &[EntrySummary], state: &PageState) -> String {
    let disk: u64 = entries.iter().map(|e| e.size).sum();
    let avoided: u64 = entries.iter().map(|e| e.size * reuses(e)).sum();
    let mut out = format!(
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Cross-Origin Storage</title><style>{STYLE}</style>{}</head><body>",
        if state.adding.is_empty() {
            ""
        } else {
            // Show progress while a file is being added (reloading the
            // page itself, never an action).
            "<meta http-equiv=refresh content=\"1; url=servo:cross-origin-storage\">"
        }
    );
    out.push_str(
        "<h1>Cross-Origin Storage</h1><p class=dim>Files that sites stored by hash, so that other \
         sites can reuse them instead of downloading them again. Only this browser can show this \
         page.</p>",
    );
    if let Some(notice) = state.notice {
        let _ = write!(out, "<p class=notice id=notice>{}</p>", escape(notice));
    }
    for adding in state.adding {
        let _ = write!(out, "<p class=notice>{}</p>", escape(adding));
    }
    let _ = write!(
        out,
        "<div class=totals><div>Files<b id=files>{}</b></div><div>Disk used<b id=disk>{}</b></div>\
         <div>Downloads avoided<b id=avoided>{}</b></div></div>",
        entries.len(),
        human_size(disk),
        human_size(avoided)
    );
    out.push_str("<table id=entries><tr><th></th><th>File</th><th>Visible to</th><th>Stored by</th><th>Read by</th><th>Saved</th></tr>");
    if entries.is_empty() {
        out.push_str("<tr><td></td><td colspan=5 class=dim>Nothing is stored.</td></tr>");
    }
    for entry in entries {
        let hash = entry.hash.to_string();
        let short = format!(
            "{}…",
            &entry.hash.value()[..12.min(entry.hash.value().len())]
        );
        let _ = write!(
            out,
            "<tr class=entry><td>{}</td><td class=hash title=\"{}\">{}<br><span class=dim>{}, stored {}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            button(
                state.token,
                "delete",
                &[("hash", &hash)],
                "Delete",
                "danger"
            ),
            escape(&hash),
            escape(&short),
            human_size(entry.size),
            human_time(entry.created),
            visibility(entry),
            activity(&entry.stored_by, "added by you"),
            activity(&entry.read_by, "nobody yet"),
            human_size(entry.size * reuses(entry)),
        );
    }
    out.push_str("</table>");

    // Every site that appears, to forget.
    let mut sites: Vec<&Site> = entries
        .iter()
        .flat_map(|e| e.stored_by.iter().chain(&e.read_by))
        .map(|a| a.origin.site())
        .collect();
    sites.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    sites.dedup();
    out.push_str("<section><h2>Sites</h2>");
    if sites.is_empty() {
        out.push_str("<p class=dim>No site has used Cross-Origin Storage.</p>");
    }
    for site in sites {
        let _ = write!(
            out,
            "<div class=site><b>{}</b> {}</div>",
            escape(site.as_str()),
            button(
                state.token,
                "forget-site",
                &[("site", site.as_str())],
                "Forget this site",
                "forget"
            )
        );
    }
    out.push_str("</section><section><h2>Consent</h2>");
    if state.decisions.is_empty() {
        out.push_str(
            "<p class=dim>No decisions: a site that wants a file other sites saved will ask.</p>",
        );
    }
    for (site, decision) in state.decisions {
        let (now, other, other_label) = match decision {
            ConsentDecision::Allow => ("may", "deny", "Deny"),
            ConsentDecision::Deny => ("may not", "allow", "Allow"),
        };
        let _ = write!(
            out,
            "<div class=decision><b>{}</b> {now} use files other sites saved. {}{}</div>",
            escape(site.as_str()),
            button(
                state.token,
                other,
                &[("site", site.as_str())],
                other_label,
                "decide"
            ),
            button(
                state.token,
                "forget-decision",
                &[("site", site.as_str())],
                "Ask again",
                ""
            ),
        );
    }
    let _ = write!(
        out,
        "<p>{}</p></section>",
        button(
            state.token,
            "reset-consent",
            &[],
            "Forget every decision",
            ""
        )
    );
    // The path goes into the page's own URL by a few lines of script, as
    // forms cannot submit to this scheme; the script runs under the page's
    // nonce only.
    let _ = write!(
        out,
        "<section><h2>Add a file from disk</h2><p class=dim>A file you already have (a model you \
         downloaded yourself), for sites that ask for it by hash. No site stored it, so every \
         site that asks is another site: they find it if its hash is on the Public Hash List.</p>\
         <form id=add><input type=text name=path id=path placeholder=\"/path/to/file\"> \
         <button type=submit class=add>Add</button></form>\
         <script nonce=\"{nonce}\">document.getElementById('add').addEventListener('submit', (e) => {{ \
         e.preventDefault(); location.href = 'servo:cross-origin-storage?{query}&path=' + \
         encodeURIComponent(document.getElementById('path').value); }});</script></section>",
        nonce = escape(state.nonce),
        // Only letters, digits, `%`, `+`, `&`, `=` and `-._*`: safe in the
        // script's string literal and in HTML.
        query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("action", "add")
            .append_pair("token", state.token)
            .finish(),
    );
    let _ = write!(
        out,
        "<section><h2>Everything</h2>{}</section></body></html>",
        button(
            state.token,
            "clear-all",
            &[],
            "Delete every file and decision",
            "danger"
        )
    );
    out
}

#[cfg(test)]
mod tests {
    use cos_traits::{CosHash, HashAlgorithm, Origin};

    use super::*;

    fn activity(origin: &str, count: u64) -> OriginActivity {
        OriginActivity {
            origin: Origin::parse(origin).unwrap(),
            first: 1_764_687_600_000,
            last: 1_764_687_600_000,
            count,
        }
    }

    fn entry(stored_by: &[&str], read_by: &[(&str, u64)]) -> EntrySummary {
        EntrySummary {
            hash: CosHash::of(HashAlgorithm::Sha256, b"model"),
            size: 24 << 20,
            created: 1_764_687_600_000,
            last_read: None,
            globally_disclosable: false,
            on_public_hash_list: false,
            listed_origins: vec![Origin::parse("https://b.example").unwrap()],
            stored_by: stored_by.iter().map(|o| activity(o, 1)).collect(),
            read_by: read_by.iter().map(|(o, n)| activity(o, *n)).collect(),
        }
    }

    #[test]
    fn sizes_and_times_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(24 << 20), "24 MiB");
        assert_eq!(human_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(human_time(1_764_687_600_000), "2025-12-02 15:00 UTC");
    }

    #[test]
    fn reuse_counts_reads_by_other_sites_only() {
        let e = entry(
            &["https://a.example"],
            &[("https://www.a.example", 5), ("https://b.example", 2)],
        );
        assert_eq!(reuses(&e), 2);
        let b = Site::parse("https://b.example").unwrap();
        assert_eq!(
            site_usage(&[e.clone()], &b),
            SiteUsage {
                files: 1,
                bytes_saved: 2 * (24 << 20)
            }
        );
        let a = Site::parse("https://a.example").unwrap();
        assert_eq!(site_usage(&[e], &a), SiteUsage::default());
    }

    #[test]
    fn the_page_escapes_what_sites_control_and_carries_the_token() {
        let mut e = entry(&["https://a.example"], &[]);
        e.listed_origins = vec![Origin::parse("https://x.example").unwrap()];
        let page = render(
            &[e],
            &PageState {
                token: "t0ken\"<",
                nonce: "n",
                notice: Some("<script>alert(1)</script>"),
                adding: &[],
                decisions: &[],
            },
        );
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("token=t0ken%22%3C"));
        assert!(page.contains("24 MiB"));
        assert!(page.contains("https://a.example"));
        assert!(page.contains("Forget this site"));
    }

    #[test]
    fn an_action_link_carries_its_values_back_unchanged() {
        let link = button(
            "t0k",
            "forget-site",
            &[("site", "https://a.example"), ("path", "/tmp/a b&c=d")],
            "Forget",
            "",
        );
        let href = link
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let query = href
            .strip_prefix("servo:cross-origin-storage?")
            .unwrap()
            .replace("&amp;", "&");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            [
                ("action", "forget-site"),
                ("token", "t0k"),
                ("site", "https://a.example"),
                ("path", "/tmp/a b&c=d"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }
}
