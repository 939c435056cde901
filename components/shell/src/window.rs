/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The windowed shell (winit), after Servo's `winit_minimal` example: one
//! window, one WebView, the URL in the title.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use euclid::Scale;
use servo::{
    DevicePoint, EventLoopWaker, InputEvent, MouseButton, MouseButtonAction, MouseButtonEvent,
    MouseMoveEvent, Opts, Preferences, RenderingContext, Servo, ServoBuilder, WebView,
    WebViewBuilder, WheelDelta, WheelEvent, WheelMode, WindowRenderingContext,
};
use winit::application::ApplicationHandler;
use winit::event::{MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use winit::window::{Window, WindowId};

use crate::Args;
use crate::delegate::{ConsentPrompt, Delegate};

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
    rendering_context: Rc<WindowRenderingContext>,
    webview: RefCell<Option<WebView>>,
    delegate: Rc<Delegate>,
    /// Where the mouse is, in device pixels, for clicks.
    cursor: std::cell::Cell<DevicePoint>,
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
        let attributes =
            Window::default_attributes().with_title(format!("servo-cos — {}", args.url));
        let window = Rc::new(
            event_loop
                .create_window(attributes)
                .expect("creating a window"),
        );
        let display_handle = event_loop.display_handle().expect("a display handle");
        let window_handle = window.window_handle().expect("a window handle");
        let rendering_context = Rc::new(
            WindowRenderingContext::new(display_handle, window_handle, window.inner_size())
                .expect("a rendering context for the window"),
        );
        let _ = rendering_context.make_current();
        let servo = ServoBuilder::default()
            .opts(opts.take().expect("opts are used once"))
            .preferences(prefs.take().expect("prefs are used once"))
            .event_loop_waker(Box::new(waker.clone()))
            .build();
        servo.setup_logging();
        let redraw = window.clone();
        let delegate = Rc::new(Delegate {
            on_frame: Some(Box::new(move || redraw.request_redraw())),
            ..Default::default()
        });
        servo.set_delegate(Rc::new(ConsentPrompt {
            answer: delegate.consent_answer.clone(),
            interactive: true,
        }));
        let webview = WebViewBuilder::new(&servo, rendering_context.clone())
            .url(args.url.clone())
            .hidpi_scale_factor(Scale::new(window.scale_factor() as f32))
            .delegate(delegate.clone())
            .build();
        *self = App::Running(Rc::new(Running {
            window,
            servo,
            rendering_context,
            webview: RefCell::new(Some(webview)),
            delegate,
            cursor: std::cell::Cell::new(DevicePoint::zero()),
        }));
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, _event: Wake) {
        if let App::Running(state) = self {
            state.servo.spin_event_loop();
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
        let webview = state.webview.borrow();
        let Some(webview) = webview.as_ref() else {
            return;
        };
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => {
                webview.paint();
                state.rendering_context.present();
            },
            WindowEvent::Resized(size) => webview.resize(size),
            WindowEvent::CursorMoved { position, .. } => {
                let point = DevicePoint::new(position.x as f32, position.y as f32);
                state.cursor.set(point);
                webview
                    .notify_input_event(InputEvent::MouseMove(MouseMoveEvent::new(point.into())));
            },
            WindowEvent::MouseInput {
                state: button_state,
                button,
                ..
            } => {
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
                webview.notify_input_event(InputEvent::MouseButton(MouseButtonEvent::new(
                    action,
                    button,
                    state.cursor.get().into(),
                )));
            },
            WindowEvent::MouseWheel { delta, .. } => {
                let (x, y, mode) = match delta {
                    MouseScrollDelta::LineDelta(dx, dy) => {
                        ((dx * 76.0) as f64, (dy * 76.0) as f64, WheelMode::DeltaLine)
                    },
                    MouseScrollDelta::PixelDelta(d) => (d.x, d.y, WheelMode::DeltaPixel),
                };
                webview.notify_input_event(InputEvent::Wheel(WheelEvent::new(
                    WheelDelta { x, y, z: 0.0, mode },
                    state.cursor.get().into(),
                )));
            },
            _ => {},
        }
        let _ = &state.window;
    }
}

#[derive(Debug)]
struct Wake;

#[derive(Clone)]
struct Waker(EventLoopProxy<Wake>);

impl EventLoopWaker for Waker {
    fn clone_box(&self) -> Box<dyn EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        let _ = self.0.send_event(Wake);
    }
}
