/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The window's own user interface, drawn with egui over and around the
//! page as servoshell draws its own: a toolbar (back, forward, reload, the
//! address, and the Cross-Origin Storage indicator) and the consent
//! dialog. The page renders into an offscreen context that egui places
//! below the toolbar.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use cos_traits::Site;
use dpi::PhysicalSize;
use egui::{Color32, Id, Key, Modal, RichText};
use egui_glow::{CallbackFn, EguiGlow};
use euclid::{Point2D, Rect, Size2D};
use servo::{
    CrossOriginStorageConsentRequest, LoadStatus, OffscreenRenderingContext, RenderingContext,
    WebView,
};
use winit::event::WindowEvent;
use winit::event_loop::ActiveEventLoop;
use winit::window::Window;

use crate::management::{self, page};

/// What the person asked the toolbar for.
pub enum Command {
    Back,
    Forward,
    Reload,
    Go(String),
}

/// Consent questions waiting for the person, oldest first. Shared with the
/// Servo delegate that receives them.
pub type ConsentQueue = Rc<RefCell<VecDeque<CrossOriginStorageConsentRequest>>>;

/// What the indicator shows: the site it was computed for and its usage.
pub type Usage = Arc<Mutex<Option<(Site, page::SiteUsage)>>>;

pub struct Gui {
    egui: EguiGlow,
    rendering_context: Rc<OffscreenRenderingContext>,
    /// Where the page starts, in egui points.
    toolbar_height: f32,
    location: String,
    /// The person is typing an address: do not overwrite it.
    location_dirty: bool,
    pub consent: ConsentQueue,
    pub usage: Usage,
    /// The consent question the dialog has focused its default button for.
    focused_question: Option<String>,
}

impl Drop for Gui {
    fn drop(&mut self) {
        let _ = self.rendering_context.make_current();
        self.egui.destroy();
    }
}

impl Gui {
    pub fn new(
        event_loop: &ActiveEventLoop,
        rendering_context: Rc<OffscreenRenderingContext>,
        url: &str,
    ) -> Gui {
        let _ = rendering_context.make_current();
        let egui = EguiGlow::new(
            event_loop,
            rendering_context.glow_gl_api(),
            None,
            None,
            false,
        );
        egui.egui_ctx.options_mut(|options| {
            options.fallback_theme = egui::Theme::Light;
        });
        egui.egui_ctx.set_theme(egui::Theme::Light);
        Gui {
            egui,
            rendering_context,
            toolbar_height: 0.0,
            location: url.to_owned(),
            location_dirty: false,
            consent: Default::default(),
            usage: Default::default(),
            focused_question: None,
        }
    }

    pub fn on_window_event(&mut self, window: &Window, event: &WindowEvent) -> bool {
        self.egui.on_window_event(window, event).consumed
    }

    /// Where the page starts, in device pixels.
    pub fn toolbar_height(&self) -> f32 {
        self.toolbar_height * self.egui.egui_ctx.pixels_per_point()
    }

    /// A dialog is open: the page gets no input.
    pub fn is_modal(&self) -> bool {
        !self.consent.borrow().is_empty()
    }

    /// Keys go to the toolbar or a dialog, not to the page.
    pub fn wants_keyboard(&self) -> bool {
        self.is_modal() || self.egui.egui_ctx.memory(|m| m.focused().is_some())
    }

    /// The page was clicked: the toolbar lets go of the keyboard.
    pub fn surrender_focus(&self) {
        self.egui.egui_ctx.memory_mut(|memory| {
            if let Some(focused) = memory.focused() {
                memory.surrender_focus(focused);
            }
        });
    }

    /// Lays out the interface and paints the page into its place, with the
    /// indicator's numbers if they are for `site`, the site shown; returns
    /// what the person asked for. Call [`Gui::paint`] to show it.
    pub fn update(
        &mut self,
        window: &Window,
        webview: &WebView,
        site: Option<&Site>,
    ) -> Vec<Command> {
        let _ = self.rendering_context.make_current();
        if !self.location_dirty {
            if let Some(url) = webview.url() {
                self.location = url.to_string();
            }
        }
        let mut commands = Vec::new();
        let Gui {
            egui,
            rendering_context,
            toolbar_height,
            location,
            location_dirty,
            consent,
            usage,
            focused_question,
        } = self;
        let usage = usage
            .lock()
            .unwrap()
            .clone()
            .filter(|(computed_for, _)| Some(computed_for) == site)
            .map(|(_, usage)| usage)
            .filter(|usage| usage.files > 0);
        egui.run(window, |ui| {
            let ctx = ui.ctx().clone();
            let frame = egui::Frame::default()
                .fill(ctx.global_style().visuals.window_fill)
                .inner_margin(4.0);
            let toolbar = egui::Panel::top("toolbar").frame(frame).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let back = ui
                        .add_enabled(webview.can_go_back(), egui::Button::new("◀"))
                        .on_hover_text("Back");
                    if back.clicked() {
                        *location_dirty = false;
                        commands.push(Command::Back);
                    }
                    let forward = ui
                        .add_enabled(webview.can_go_forward(), egui::Button::new("▶"))
                        .on_hover_text("Forward");
                    if forward.clicked() {
                        *location_dirty = false;
                        commands.push(Command::Forward);
                    }
                    let loading = matches!(
                        webview.load_status(),
                        LoadStatus::Started | LoadStatus::HeadParsed
                    );
                    let reload = ui
                        .add_enabled(!loading, egui::Button::new("⟳"))
                        .on_hover_text("Reload");
                    if reload.clicked() {
                        *location_dirty = false;
                        commands.push(Command::Reload);
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        let (label, fill) = match &usage {
                            Some(usage) => (
                                format!(
                                    "Cross-Origin Storage: {} reused, {} not downloaded",
                                    if usage.files == 1 {
                                        "1 file".to_owned()
                                    } else {
                                        format!("{} files", usage.files)
                                    },
                                    page::human_size(usage.bytes_saved)
                                ),
                                Color32::from_rgb(0xd6, 0xf0, 0xd8),
                            ),
                            None => ("Cross-Origin Storage".to_owned(), Color32::TRANSPARENT),
                        };
                        let indicator = ui
                            .add(egui::Button::new(RichText::new(label)).fill(fill))
                            .on_hover_text(match &usage {
                                Some(_) => {
                                    "This site reused files that other sites stored. \
                                     Open the Cross-Origin Storage page."
                                },
                                None => "Open the Cross-Origin Storage page",
                            });
                        if indicator.clicked() {
                            *location_dirty = false;
                            commands.push(Command::Go(management::URL.to_owned()));
                        }
                        let address = ui.add_sized(
                            ui.available_size(),
                            egui::TextEdit::singleline(location)
                                .id(Id::new("address"))
                                .hint_text("Address"),
                        );
                        if address.changed() {
                            *location_dirty = true;
                        }
                        if address.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                            *location_dirty = false;
                            commands.push(Command::Go(location.clone()));
                        }
                    });
                });
            });
            *toolbar_height = toolbar.response.rect.max.y;

            consent_dialog(&ctx, consent, focused_question);

            let rect = ui.available_rect_before_wrap();
            let scale = ctx.pixels_per_point();
            let size = PhysicalSize::new(
                (rect.width() * scale).max(1.0) as u32,
                (rect.height() * scale).max(1.0) as u32,
            );
            if webview.size() != euclid::Size2D::new(size.width as f32, size.height as f32) {
                webview.resize(size);
            }
            webview.paint();
            if let Some(render_to_parent) = rendering_context.render_to_parent_callback() {
                ui.ctx()
                    .layer_painter(egui::LayerId::background())
                    .add(egui::PaintCallback {
                        rect,
                        callback: Arc::new(CallbackFn::new(move |info, painter| {
                            let clip = info.viewport_in_pixels();
                            let rect = Rect::new(
                                Point2D::new(clip.left_px, clip.from_bottom_px),
                                Size2D::new(clip.width_px, clip.height_px),
                            );
                            render_to_parent(painter.gl(), rect)
                        })),
                    });
            }
        });
        commands
    }

    /// egui wants another frame (a dialog that sized itself in this one,
    /// an animation).
    pub fn needs_repaint(&self) -> bool {
        self.egui.egui_ctx.has_requested_repaint()
    }

    /// Shows what [`Gui::update`] laid out.
    pub fn paint(&mut self, window: &Window) {
        let _ = self.rendering_context.make_current();
        self.rendering_context
            .parent_context()
            .prepare_for_rendering();
        self.egui.paint(window);
        self.rendering_context.parent_context().present();
    }
}

/// "<site> wants to use a file that other sites saved": the oldest open
/// question, with Deny focused (Tab reaches Allow, Enter or Space presses
/// the focused button, Escape denies). The answer goes to the store, which
/// remembers it for the requesting site.
fn consent_dialog(
    ctx: &egui::Context,
    queue: &ConsentQueue,
    focused_question: &mut Option<String>,
) {
    let mut queue = queue.borrow_mut();
    let Some(request) = queue.front() else {
        return;
    };
    let site = request.requesting_site().to_owned();
    let key = format!("{site} {}", request.hash());
    let mut answer = None;
    Modal::new(Id::new("cross-origin-storage-consent")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("Use a file that other sites saved?");
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!(
                "{site} wants to use a file that other sites saved."
            ))
            .strong(),
        );
        ui.add_space(4.0);
        egui::Grid::new("consent-facts")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                ui.label("Size");
                ui.label(page::human_size(request.size()));
                ui.end_row();
                ui.label("Stored by");
                let sites = request.storing_sites();
                ui.label(if sites.is_empty() {
                    "you (added from disk)".to_owned()
                } else {
                    sites.join(", ")
                });
                ui.end_row();
            });
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "If you allow it, {site} can tell that you have visited a site that saved this \
                 file. Your answer is remembered for {site}; change it on the Cross-Origin \
                 Storage page."
            ))
            .small(),
        );
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let deny = ui.button("Deny");
            let allow = ui.button("Allow");
            if focused_question.as_ref() != Some(&key) {
                deny.request_focus();
                *focused_question = Some(key.clone());
            }
            if deny.clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                answer = Some(false);
            } else if allow.clicked() {
                answer = Some(true);
            }
        });
    });
    if let Some(allowed) = answer {
        let request = queue
            .pop_front()
            .expect("the dialog shows the front question");
        eprintln!(
            "servo-cos: {site} {} to use a file other sites saved",
            if allowed { "allowed" } else { "denied" }
        );
        if allowed {
            request.allow()
        } else {
            request.deny()
        }
        *focused_question = None;
    }
}
