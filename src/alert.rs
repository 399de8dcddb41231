//! Telling the operator about a new client message when they are not looking: a short generated
//! chime (Web Audio, no sound file to download) and opt-in desktop notifications.

use crate::dom::Listener;
use wasm_bindgen::prelude::*;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

/// The panel's audio context, made on the first chime and closed on drop.
#[derive(Default)]
pub struct Chime {
    ctx: Option<AudioContext>,
}

impl Chime {
    /// Two short sine notes. A browser that blocks audio before a user gesture stays silent.
    pub fn play(&mut self) {
        if self.ctx.is_none() {
            self.ctx = AudioContext::new().ok();
        }
        let Some(ctx) = &self.ctx else { return };
        let _ = ctx.resume();
        let t = ctx.current_time();
        for (i, freq) in [880.0f32, 1320.0].into_iter().enumerate() {
            let start = t + 0.12 * i as f64;
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            // An oscillator is a sine wave unless told otherwise.
            osc.frequency().set_value(freq);
            let g = gain.gain();
            let _ = g.set_value_at_time(0.0001, start);
            let _ = g.exponential_ramp_to_value_at_time(0.2, start + 0.01);
            let _ = g.exponential_ramp_to_value_at_time(0.0001, start + 0.18);
            let _ = osc
                .connect_with_audio_node(&gain)
                .and_then(|_| gain.connect_with_audio_node(&ctx.destination()));
            let _ = osc.start_with_when(start);
            let _ = osc.stop_with_when(start + 0.2);
        }
    }
}

impl Drop for Chime {
    fn drop(&mut self) {
        if let Some(ctx) = self.ctx.take() {
            let _ = ctx.close();
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The `Notification` interface, `None` where the page has none (an old browser, an insecure
    /// context in some browsers, a webview): `Notification.permission` would throw there.
    #[wasm_bindgen(thread_local_v2, js_name = Notification)]
    static NOTIFICATION: Option<js_sys::Object>;
}

/// `Notification.permission`, or `None` where the browser has no desktop notifications at all.
fn permission() -> Option<NotificationPermission> {
    NOTIFICATION
        .with(Option::is_some)
        .then(Notification::permission)
}

/// The string key describing the notification permission, for the header's opt-in control.
pub fn notify_key() -> Option<&'static str> {
    Some(match permission()? {
        NotificationPermission::Granted => "notify.on",
        NotificationPermission::Denied => "notify.blocked",
        _ => "notify.enable",
    })
}

/// A desktop notification with its click listener: kept together by the panel, so replacing or
/// unmounting drops both, closing the notification and removing the listener (never leaked).
pub struct Shown {
    note: Notification,
    _click: Listener,
}

impl Shown {
    /// The notification, to take it off the screen while the listener stays until this is dropped
    /// (the listener may be running, and must not be dropped from inside its own call).
    pub fn note(&self) -> Notification {
        self.note.clone()
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.note.close();
    }
}

/// Shows a notification if the operator allowed them; `on_click` runs when it is clicked.
pub fn notify(title: &str, body: &str, tag: &str, on_click: impl Fn() + 'static) -> Option<Shown> {
    if notify_key() != Some("notify.on") {
        return None;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    let note = Notification::new_with_options(title, &options).ok()?;
    let click = Listener::new(&note, "click", move |_| on_click());
    Some(Shown {
        note,
        _click: click,
    })
}
