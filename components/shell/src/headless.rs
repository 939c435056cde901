/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Headless runs for automation: software rendering, the console on stdout,
//! and an exit status that says how the run ended.
//!
//! Exit status: 0 when the page called `window.close()` (or loaded, with
//! `--exit-after-load`); 2 on timeout; 3 when the page crashed.

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use dpi::PhysicalSize;
use servo::{
    DevicePoint, EventLoopWaker, InputEvent, MouseButton, MouseButtonAction, MouseButtonEvent,
    MouseMoveEvent, Opts, Preferences, RenderingContext, SoftwareRenderingContext, WebViewBuilder,
};

use crate::Args;
use crate::consent::ConsentPrompt;
use crate::delegate::{Delegate, TestDriver};

/// A real (trusted) click, as a person's would be: it gives the page user
/// activation.
fn click(webview: &servo::WebView, x: f32, y: f32) {
    let point = DevicePoint::new(x, y).into();
    webview.notify_input_event(InputEvent::MouseMove(MouseMoveEvent::new(point)));
    for action in [MouseButtonAction::Down, MouseButtonAction::Up] {
        webview.notify_input_event(InputEvent::MouseButton(MouseButtonEvent::new(
            action,
            MouseButton::Primary,
            point,
        )));
    }
}

/// Wakes the loop below when Servo has work for the embedder.
#[derive(Clone, Default)]
struct Waker(Arc<(Mutex<bool>, Condvar)>);

impl Waker {
    fn wait(&self, timeout: Duration) {
        let (woken, condvar) = &*self.0;
        let guard = woken.lock().unwrap();
        let (mut guard, _) = condvar
            .wait_timeout_while(guard, timeout, |woken| !*woken)
            .unwrap();
        *guard = false;
    }
}

impl EventLoopWaker for Waker {
    fn clone_box(&self) -> Box<dyn EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        let (woken, condvar) = &*self.0;
        *woken.lock().unwrap() = true;
        condvar.notify_one();
    }
}

pub fn run(args: Args, opts: Opts, prefs: Preferences) -> ExitCode {
    let rendering_context = match SoftwareRenderingContext::new(PhysicalSize::new(1024, 768)) {
        Ok(context) => Rc::new(context),
        Err(e) => {
            eprintln!("servo-cos: no software rendering context: {e:?}");
            return ExitCode::from(1);
        },
    };
    let _ = rendering_context.make_current();
    let waker = Waker::default();
    let (servo, _) = crate::start_servo(opts, prefs, Box::new(waker.clone()));

    let delegate = Rc::new(Delegate {
        print_console: true,
        test_driver: args.test_driver.clone().map(TestDriver::new),
        ..Default::default()
    });
    servo.set_delegate(Rc::new(ConsentPrompt {
        answer: delegate.consent_answer.clone(),
        dialog: None,
    }));
    let webview = WebViewBuilder::new(&servo, rendering_context.clone())
        .url(args.url.clone())
        .delegate(delegate.clone())
        .build();

    let deadline = Instant::now() + args.timeout;
    let status = loop {
        servo.spin_event_loop();
        if delegate.closed.get() {
            break 0;
        }
        if delegate.crashed.get() {
            break 3;
        }
        if args.exit_after_load && delegate.loaded.get() {
            break 0;
        }
        for (x, y) in delegate.pending_clicks.take() {
            click(&webview, x, y);
        }
        if Instant::now() >= deadline {
            eprintln!(
                "servo-cos: timed out after {:?} ({})",
                args.timeout, args.url
            );
            break 2;
        }
        waker.wait(Duration::from_millis(10));
    };

    if args.screenshot.is_some() && delegate.closed.get() {
        eprintln!("servo-cos: no screenshot: the page closed itself");
    } else if let Some(path) = &args.screenshot {
        let done = Rc::new(Cell::new(false));
        let flag = done.clone();
        let path_for_callback = path.clone();
        webview.take_screenshot(None, move |result| {
            match result {
                Ok(image) => {
                    if let Err(e) = image.save(&path_for_callback) {
                        eprintln!("servo-cos: saving {}: {e}", path_for_callback.display());
                    }
                },
                Err(e) => eprintln!("servo-cos: no screenshot: {e:?}"),
            }
            flag.set(true);
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done.get() && Instant::now() < deadline {
            servo.spin_event_loop();
            waker.wait(Duration::from_millis(10));
        }
    }
    drop(webview);
    ExitCode::from(status)
}
