/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The windowed shell (winit): one window, one WebView below a toolbar
//! (`gui.rs`), the consent dialog over the page, and the toolbar's
//! Cross-Origin Storage indicator kept up to date from the store.

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cos_traits::{Origin, Site};
use euclid::Scale;
use servo::{
    DevicePoint, EventLoopWaker, InputEvent, MouseButton, MouseButtonAction, MouseButtonEvent,
    MouseMoveEvent, Opts, Preferences, RenderingContext, Servo, WebView, WebViewBuilder,
    WheelDelta, WheelEvent, WheelMode, WindowRenderingContext,
};
use url::Url;
use winit::application::ApplicationHandler;
use winit::event::{MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::keyboard::ModifiersState;
use winit::raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use winit::window::{Window, WindowId};

use crate::Args;
use crate::consent::ConsentPrompt;
use crate::delegate::Delegate;
use crate::gui::{Command, Gui, Usage};
use crate::management::{self, Management, page};

pub fn run(args: Args, opts: Opts, prefs: Preferences) -> ExitCode {
    let event_loop = match EventLoop::<Wake>::with_user_event().build() {
        Ok(event_loop) => event_loop,
        Err(e) => {
            eprintln!("servo-cos: no display ({e}); use --headless");
            return ExitCode::from(1);
        },
    };
    let mut app = App::Starting {
        args,
        opts: Some(opts),
        prefs: Some(prefs),
        waker: Waker(event_loop.create_proxy()),
    };
    match event_loop.run_app(&mut app) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("servo-cos: {e}");
            ExitCode::from(1)
        },
    }
}

struct Running {
    window: Rc<Window>,
    servo: Servo,
    window_context: Rc<WindowRenderingContext>,
    webview: WebView,
    delegate: Rc<Delegate>,
    gui: RefCell<Gui>,
    /// Where the mouse is, in device pixels from the window's top left.
    cursor: Cell<DevicePoint>,
    modifiers: Cell<ModifiersState>,
    /// The site of the page shown, for the indicator's poller.
    site: Arc<Mutex<Option<Site>>>,
}

enum App {
    Starting {
        args: Args,
        opts: Option<Opts>,
        prefs: Option<Preferences>,
        waker: Waker,
    },
    Running(Rc<Running>),
}

/// Keeps the indicator's numbers for the shown site: the store records who
/// read what; every two seconds this asks it (off the event loop), and
/// wakes the window when the numbers change.
fn poll_usage(management: Management, site: Arc<Mutex<Option<Site>>>, usage: Usage, waker: Waker) {
    std::thread::Builder::new()
        .name("CrossOriginStorageIndicator".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(2));
                let Some(site) = site.lock().unwrap().clone() else {
                    continue;
                };
                let Ok(entries) = management.entries() else {
                    continue;
                };
                let usage_now = page::site_usage(&entries, &site);
                let now = Some((site, usage_now));
                let mut shown = usage.lock().unwrap();
                if *shown != now {
                    *shown = now;
                    if waker.0.send_event(Wake::Redraw).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("starting the indicator's thread");
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let App::Starting {
            args,
            opts,
            prefs,
            waker,
        } = self
        else {
            return;
        };
        let attributes = Window::default_attributes()
            .with_title("servo-cos")
            .with_inner_size(winit::dpi::LogicalSize::new(
                args.window_size.0,
                args.window_size.1,
            ));
        let window = Rc::new(
            event_loop
                .create_window(attributes)
                .expect("creating a window"),
        );
        let display_handle = event_loop.display_handle().expect("a display handle");
        let window_handle = window.window_handle().expect("a window handle");
        let window_context = Rc::new(
            WindowRenderingContext::new(display_handle, window_handle, window.inner_size())
                .expect("a rendering context for the window"),
        );
        let _ = window_context.make_current();
        // The page renders offscreen; the interface places it below the toolbar.
        let page_context = Rc::new(window_context.offscreen_context(window.inner_size()));
        let (servo, management) = crate::start_servo(
            opts.take().expect("opts are used once"),
            prefs.take().expect("prefs are used once"),
            Box::new(waker.clone()),
        );
        let gui = Gui::new(event_loop, page_context.clone(), args.url.as_str());
        let redraw = window.clone();
        let delegate = Rc::new(Delegate {
            on_frame: Some(Box::new(move || redraw.request_redraw())),
            ..Default::default()
        });
        let redraw = window.clone();
        servo.set_delegate(Rc::new(ConsentPrompt {
            answer: delegate.consent_answer.clone(),
            dialog: Some((
                gui.consent.clone(),
                Box::new(move || redraw.request_redraw()),
            )),
        }));
        let site = Arc::new(Mutex::new(None));
        poll_usage(management, site.clone(), gui.usage.clone(), waker.clone());
        let webview = WebViewBuilder::new(&servo, page_context)
            .url(args.url.clone())
            .hidpi_scale_factor(Scale::new(window.scale_factor() as f32))
            .delegate(delegate.clone())
            .build();
        webview.set_focused(true);
        *self = App::Running(Rc::new(Running {
            window,
            servo,
            window_context,
            webview,
            delegate,
            gui: RefCell::new(gui),
            cursor: Cell::new(DevicePoint::zero()),
            modifiers: Cell::new(ModifiersState::empty()),
            site,
        }));
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Wake) {
        if let App::Running(state) = self {
            state.servo.spin_event_loop();
            if matches!(event, Wake::Redraw) {
                state.window.request_redraw();
            }
            if state.delegate.closed.get() {
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let App::Running(state) = self else {
            return;
        };
        state.servo.spin_event_loop();
        let consumed = state
            .gui
            .borrow_mut()
            .on_window_event(&state.window, &event);
        if !matches!(event, WindowEvent::RedrawRequested) {
            // egui may have changed (hover, focus, typing): draw again.
            state.window.request_redraw();
        }
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => state.redraw(),
            WindowEvent::Resized(size) => state.window_context.resize(size),
            WindowEvent::ModifiersChanged(modifiers) => state.modifiers.set(modifiers.state()),
            WindowEvent::KeyboardInput { event, .. } => {
                if consumed || state.gui.borrow().wants_keyboard() {
                    return;
                }
                if let Some(key) = crate::keys::keyboard_event(&event, state.modifiers.get()) {
                    state.webview.notify_input_event(InputEvent::Keyboard(key));
                }
            },
            WindowEvent::CursorMoved { position, .. } => {
                state
                    .cursor
                    .set(DevicePoint::new(position.x as f32, position.y as f32));
                if let Some(point) = state.page_point() {
                    state
                        .webview
                        .notify_input_event(InputEvent::MouseMove(MouseMoveEvent::new(
                            point.into(),
                        )));
                }
            },
            WindowEvent::MouseInput {
                state: button_state,
                button,
                ..
            } => {
                let Some(point) = state.page_point() else {
                    return;
                };
                let button = match button {
                    winit::event::MouseButton::Left => MouseButton::Primary,
                    winit::event::MouseButton::Right => MouseButton::Secondary,
                    winit::event::MouseButton::Middle => MouseButton::Auxiliary,
                    _ => return,
                };
                let action = match button_state {
                    winit::event::ElementState::Pressed => MouseButtonAction::Down,
                    winit::event::ElementState::Released => MouseButtonAction::Up,
                };
                if action == MouseButtonAction::Down {
                    // A click in the page takes the keyboard from the toolbar.
                    state.gui.borrow().surrender_focus();
                }
                state
                    .webview
                    .notify_input_event(InputEvent::MouseButton(MouseButtonEvent::new(
                        action,
                        button,
                        point.into(),
                    )));
            },
            WindowEvent::MouseWheel { delta, .. } => {
                let Some(point) = state.page_point() else {
                    return;
                };
                let (x, y, mode) = match delta {
                    MouseScrollDelta::LineDelta(dx, dy) => {
                        ((dx * 76.0) as f64, (dy * 76.0) as f64, WheelMode::DeltaLine)
                    },
                    MouseScrollDelta::PixelDelta(d) => (d.x, d.y, WheelMode::DeltaPixel),
                };
                state
                    .webview
                    .notify_input_event(InputEvent::Wheel(WheelEvent::new(
                        WheelDelta { x, y, z: 0.0, mode },
                        point.into(),
                    )));
            },
            _ => {},
        }
    }
}

impl Running {
    /// The mouse's position in the page, when the page should have it: not
    /// over the toolbar, not under a dialog. (egui's own "consumed" flag
    /// cannot tell: its root area covers the page too.)
    fn page_point(&self) -> Option<DevicePoint> {
        let gui = self.gui.borrow();
        let cursor = self.cursor.get();
        let top = gui.toolbar_height();
        if gui.is_modal() || cursor.y < top {
            return None;
        }
        Some(DevicePoint::new(cursor.x, cursor.y - top))
    }

    fn redraw(&self) {
        let url = self.webview.url();
        // The shown page's site: for the indicator, and for its poller.
        let site = url
            .as_ref()
            .and_then(|url| Origin::parse(&url.origin().ascii_serialization()).ok())
            .map(|origin| origin.site().clone());
        let mut gui = self.gui.borrow_mut();
        let commands = gui.update(&self.window, &self.webview, site.as_ref());
        gui.paint(&self.window);
        if gui.needs_repaint() {
            self.window.request_redraw();
        }
        drop(gui);
        self.window.set_title(&match &url {
            Some(url) => format!("servo-cos — {url}"),
            None => "servo-cos".into(),
        });
        *self.site.lock().unwrap() = site;
        for command in commands {
            match command {
                Command::Back => {
                    self.webview.go_back(1);
                },
                Command::Forward => {
                    self.webview.go_forward(1);
                },
                Command::Reload => self.webview.reload(),
                Command::Go(location) => match parse_location(&location) {
                    Some(url) => self.webview.load(url),
                    None => eprintln!("servo-cos: '{location}' is not an address"),
                },
            }
        }
    }
}

/// What the address bar's text means: a URL, the management page, or a
/// host to reach over https.
fn parse_location(text: &str) -> Option<Url> {
    let text = text.trim();
    if text == management::URL || text == "cross-origin-storage" {
        return Url::parse(management::URL).ok();
    }
    match Url::parse(text) {
        Ok(url) => Some(url),
        Err(url::ParseError::RelativeUrlWithoutBase) if !text.contains(' ') => {
            Url::parse(&format!("https://{text}")).ok()
        },
        Err(_) => None,
    }
}

#[derive(Debug)]
enum Wake {
    /// Servo has work for the embedder.
    Servo,
    /// The interface changed off the event loop (the indicator).
    Redraw,
}

#[derive(Clone)]
struct Waker(EventLoopProxy<Wake>);

impl EventLoopWaker for Waker {
    fn clone_box(&self) -> Box<dyn EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        let _ = self.0.send_event(Wake::Servo);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_location;

    #[test]
    fn the_address_bar_takes_urls_hosts_and_the_internal_page() {
        assert_eq!(
            parse_location(" https://a.example/x ").unwrap().as_str(),
            "https://a.example/x"
        );
        assert_eq!(
            parse_location("a.example").unwrap().as_str(),
            "https://a.example/"
        );
        assert_eq!(
            parse_location("cross-origin-storage").unwrap().as_str(),
            "servo:cross-origin-storage"
        );
        assert!(parse_location("two words").is_none());
    }
}
