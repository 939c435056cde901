/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What the shell does with what a page reports: console lines, load
//! progress, closing and crashes.

use std::cell::Cell;
use std::rc::Rc;

use servo::{ConsoleLogLevel, LoadStatus, WebView, WebViewDelegate};

#[derive(Default)]
pub struct Delegate {
    /// Print every console message as `console: <text>` (headless mode).
    pub print_console: bool,
    /// Obey a page under test's automation requests (`--test-driver`).
    pub test_driver: Option<TestDriver>,
    pub loaded: Cell<bool>,
    pub closed: Cell<bool>,
    pub crashed: Cell<bool>,
    pub frame_ready: Cell<bool>,
    /// Set by the window mode to redraw on new frames.
    pub on_frame: Option<Box<dyn Fn()>>,
    /// Clicks a test asked for, in page pixels.
    pub pending_clicks: std::cell::RefCell<Vec<(f32, f32)>>,
    /// How a test asked consent prompts to be answered; shared with
    /// [`ConsentPrompt`](crate::consent::ConsentPrompt).
    pub consent_answer: Rc<Cell<Option<bool>>>,
}

/// WPT's testdriver, as the headless shell speaks it: a page under test
/// writes a console line `servo-cos-testdriver TOKEN: COMMAND`, where TOKEN
/// is the secret the shell was started with (`--test-driver TOKEN`) and the
/// test runner served to its pages, and COMMAND is
///
/// - `click X Y`: a real mouse click at X, Y (so the page gets user
///   activation), or
/// - `set_permission cross-origin-storage STATE`: how consent prompts are
///   answered from now on ("granted", "denied", or "prompt" to stop
///   answering).
///
/// Console lines are the one channel a page fully controls, so without the
/// option nothing is obeyed, and with it only lines carrying the token are:
/// a page the runner did not serve cannot click, grant or deny.
pub struct TestDriver {
    token: String,
}

/// What a test-driver line asks for.
#[derive(Debug, PartialEq)]
pub enum TestDriverCommand {
    Click(f32, f32),
    /// `Some(true)` grants, `Some(false)` denies, `None` asks again.
    Consent(Option<bool>),
}

const TESTDRIVER_PREFIX: &str = "servo-cos-testdriver ";

impl TestDriver {
    pub fn new(token: String) -> Self {
        TestDriver { token }
    }

    /// The command in `message`, if it is a test-driver line with this
    /// run's token. Lines that look like test-driver lines but carry another
    /// token are reported on stderr and ignored.
    pub fn command(&self, message: &str) -> Option<TestDriverCommand> {
        let rest = message.strip_prefix(TESTDRIVER_PREFIX)?;
        let (token, command) = rest.split_once(": ")?;
        if !constant_time_eq(token.as_bytes(), self.token.as_bytes()) {
            eprintln!("servo-cos: ignored a test-driver line without this run's token");
            return None;
        }
        let mut words = command.split(' ');
        match words.next()? {
            "click" => {
                let x = words.next()?.parse().ok()?;
                let y = words.next()?.parse().ok()?;
                Some(TestDriverCommand::Click(x, y))
            },
            "set_permission" if words.next()? == "cross-origin-storage" => {
                Some(TestDriverCommand::Consent(match words.next()?.trim() {
                    "granted" => Some(true),
                    "denied" => Some(false),
                    _ => None,
                }))
            },
            _ => None,
        }
    }
}

/// Compares without stopping at the first difference (secrets: the test
/// driver's token, the management page's action token).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
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
        match self.test_driver.as_ref().and_then(|d| d.command(&message)) {
            Some(TestDriverCommand::Click(x, y)) => self.pending_clicks.borrow_mut().push((x, y)),
            Some(TestDriverCommand::Consent(answer)) => self.consent_answer.set(answer),
            None => {},
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
