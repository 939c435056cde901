/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Keys from winit to the page: text and the keys that edit and move
//! through it, enough to fill in a form. (Servo's own servoshell maps every
//! key and code; this shell needs the common ones.)

use servo::{Key, KeyState, KeyboardEvent, Modifiers, NamedKey};
use winit::event::{ElementState, KeyEvent};
use winit::keyboard::{Key as WinitKey, ModifiersState, NamedKey as WinitNamedKey};

pub fn keyboard_event(event: &KeyEvent, modifiers: ModifiersState) -> Option<KeyboardEvent> {
    let key = match &event.logical_key {
        WinitKey::Character(text) => Key::Character(text.to_string()),
        WinitKey::Named(named) => Key::Named(match named {
            WinitNamedKey::Enter => NamedKey::Enter,
            WinitNamedKey::Tab => NamedKey::Tab,
            WinitNamedKey::Space => {
                return Some(event_for(event, Key::Character(" ".into()), modifiers));
            },
            WinitNamedKey::Backspace => NamedKey::Backspace,
            WinitNamedKey::Delete => NamedKey::Delete,
            WinitNamedKey::Escape => NamedKey::Escape,
            WinitNamedKey::ArrowLeft => NamedKey::ArrowLeft,
            WinitNamedKey::ArrowRight => NamedKey::ArrowRight,
            WinitNamedKey::ArrowUp => NamedKey::ArrowUp,
            WinitNamedKey::ArrowDown => NamedKey::ArrowDown,
            WinitNamedKey::Home => NamedKey::Home,
            WinitNamedKey::End => NamedKey::End,
            WinitNamedKey::PageUp => NamedKey::PageUp,
            WinitNamedKey::PageDown => NamedKey::PageDown,
            WinitNamedKey::Shift => NamedKey::Shift,
            WinitNamedKey::Control => NamedKey::Control,
            WinitNamedKey::Alt => NamedKey::Alt,
            _ => return None,
        }),
        _ => return None,
    };
    Some(event_for(event, key, modifiers))
}

fn event_for(event: &KeyEvent, key: Key, modifiers: ModifiersState) -> KeyboardEvent {
    let state = match event.state {
        ElementState::Pressed => KeyState::Down,
        ElementState::Released => KeyState::Up,
    };
    let mut keyboard = KeyboardEvent::from_state_and_key(state, key);
    let mut mods = Modifiers::empty();
    mods.set(Modifiers::SHIFT, modifiers.shift_key());
    mods.set(Modifiers::CONTROL, modifiers.control_key());
    mods.set(Modifiers::ALT, modifiers.alt_key());
    mods.set(Modifiers::META, modifiers.super_key());
    keyboard.event.modifiers = mods;
    keyboard.event.repeat = event.repeat;
    keyboard
}
