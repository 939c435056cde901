/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What the shell does with what a page reports: console lines, load
//! progress, closing and crashes.

use std::cell::Cell;
use std::rc::Rc;

use servo::{
    ConsoleLogLevel, CrossOriginStorageConsentRequest, LoadStatus, ServoDelegate, WebView,
    WebViewDelegate,
};

#[derive(Default)]
pub struct Delegate {
    /// Print every console message as `console: <text>` (headless mode).
    pub print_console: bool,
    pub loaded: Cell<bool>,
    pub closed: Cell<bool>,
    pub crashed: Cell<bool>,
    pub frame_ready: Cell<bool>,
    /// Set by the window mode to redraw on new frames.
    pub on_frame: Option<Box<dyn Fn()>>,
    /// Clicks a test asked for (see `TESTDRIVER_CLICK`), in page pixels.
    pub pending_clicks: std::cell::RefCell<Vec<(f32, f32)>>,
    /// How a test asked consent prompts to be answered (see
    /// `TESTDRIVER_CONSENT`); shared with [`ConsentPrompt`].
    pub consent_answer: Rc<Cell<Option<bool>>>,
}

/// A console line by which a page under test (WPT's testdriver, in
/// automation only) asks the headless shell for a real click at x, y.
pub const TESTDRIVER_CLICK: &str = "servo-cos-testdriver: click ";

/// A console line by which a page under test sets how the Cross-Origin
/// Storage consent prompt is answered: "granted", "denied" or "prompt".
pub const TESTDRIVER_CONSENT: &str = "servo-cos-testdriver: set_permission cross-origin-storage ";

/// Answers "site X wants to use a file that other sites saved". Headless,
/// with the answer a test set (or no); in a window, on the terminal.
pub struct ConsentPrompt {
    pub answer: Rc<Cell<Option<bool>>>,
    pub interactive: bool,
}

impl ServoDelegate for ConsentPrompt {
    fn request_cross_origin_storage_consent(&self, request: CrossOriginStorageConsentRequest) {
        let question = format!(
            "{} wants to use a file that other sites saved: {} bytes, stored by {}",
            request.requesting_site(),
            request.size(),
            request.storing_sites().join(", ")
        );
        if let Some(allowed) = self.answer.get() {
            eprintln!(
                "servo-cos: {question} — {}",
                if allowed { "allowed" } else { "denied" }
            );
            return if allowed {
                request.allow()
            } else {
                request.deny()
            };
        }
        if !self.interactive {
            eprintln!("servo-cos: {question} — denied (no one to ask; see --cos-consent)");
            return request.deny();
        }
        eprint!("servo-cos: {question}. Allow? [y/N] ");
        // Read the answer off the event loop; the request answers from any thread.
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            if line.trim().eq_ignore_ascii_case("y") {
                request.allow()
            } else {
                request.deny()
            }
        });
    }
}

impl WebViewDelegate for Delegate {
    fn notify_load_status_changed(&self, _webview: WebView, status: LoadStatus) {
        if status == LoadStatus::Complete {
            self.loaded.set(true);
        }
    }

    fn notify_new_frame_ready(&self, webview: WebView) {
        self.frame_ready.set(true);
        webview.paint();
        if let Some(on_frame) = &self.on_frame {
            on_frame();
        }
    }

    fn show_console_message(&self, _webview: WebView, _level: ConsoleLogLevel, message: String) {
        if self.print_console
            && let Some(point) = message.strip_prefix(TESTDRIVER_CLICK)
        {
            let mut coordinates = point.split(' ').filter_map(|c| c.parse::<f32>().ok());
            if let (Some(x), Some(y)) = (coordinates.next(), coordinates.next()) {
                self.pending_clicks.borrow_mut().push((x, y));
            }
        }
        if self.print_console
            && let Some(state) = message.strip_prefix(TESTDRIVER_CONSENT)
        {
            self.consent_answer.set(match state.trim() {
                "granted" => Some(true),
                "denied" => Some(false),
                _ => None,
            });
        }
        if self.print_console {
            // One line per message, so that tools can read the output line by line.
            println!("console: {}", message.replace('\n', "\\n"));
        }
    }

    fn notify_closed(&self, _webview: WebView) {
        self.closed.set(true);
    }

    fn notify_crashed(&self, _webview: WebView, reason: String, backtrace: Option<String>) {
        eprintln!("servo-cos: the page crashed: {reason}");
        if let Some(backtrace) = backtrace {
            eprintln!("{backtrace}");
        }
        self.crashed.set(true);
    }
}
