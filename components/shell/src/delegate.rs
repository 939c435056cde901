/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What the shell does with what a page reports: console lines, load
//! progress, closing and crashes.

use std::cell::Cell;

use servo::{ConsoleLogLevel, LoadStatus, WebView, WebViewDelegate};

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
}

/// A console line by which a page under test (WPT's testdriver, in
/// automation only) asks the headless shell for a real click at x, y.
pub const TESTDRIVER_CLICK: &str = "servo-cos-testdriver: click ";

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
        if self.print_console &&
            let Some(point) = message.strip_prefix(TESTDRIVER_CLICK)
        {
            let mut coordinates = point.split(' ').filter_map(|c| c.parse::<f32>().ok());
            if let (Some(x), Some(y)) = (coordinates.next(), coordinates.next()) {
                self.pending_clicks.borrow_mut().push((x, y));
            }
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
