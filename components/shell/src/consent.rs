/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Who answers "site X wants to use a file that other sites saved".
//!
//! In a window, the person, in the consent dialog (`gui.rs`). Headless,
//! nobody can be asked: the policy (`--cos-consent`, or the pref) already
//! answered in the store unless it is "ask", and then the question is
//! refused once, with a log line, and nothing is remembered. Under
//! automation (`--test-driver`), the answer the test set.

use std::cell::Cell;
use std::rc::Rc;

use servo::{CrossOriginStorageConsentRequest, ServoDelegate};

use crate::gui::ConsentQueue;

pub struct ConsentPrompt {
    /// The answer a test set through the test driver, if any.
    pub answer: Rc<Cell<Option<bool>>>,
    /// In a window: where the dialog takes its questions from, and how to
    /// make the window draw it.
    pub dialog: Option<(ConsentQueue, Box<dyn Fn()>)>,
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
                "servo-cos: {question} — {} by the test driver",
                if allowed { "allowed" } else { "denied" }
            );
            return if allowed {
                request.allow()
            } else {
                request.deny()
            };
        }
        match &self.dialog {
            Some((queue, redraw)) => {
                eprintln!("servo-cos: asking: {question}");
                queue.borrow_mut().push_back(request);
                redraw();
            },
            None => {
                // Nobody answered, so nothing is remembered: dropping the
                // question refuses this lookup only.
                eprintln!("servo-cos: {question} — refused (no one to ask; see --cos-consent)");
                drop(request);
            },
        }
    }
}
