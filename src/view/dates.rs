//! Dates and times in the panel's language, through the browser's `Intl`.

use super::*;
use js_sys::{Date, Function};

/// The locale's `Intl.DateTimeFormat(...).format` functions, made once per language.
pub(super) struct Fmt {
    pub time: Function,
    pub day: Function,
    pub short: Function,
}

fn intl(lang: &str, key: &str, value: &str) -> Function {
    let options = crate::dom::object(&[(key, &value.into())]);
    let f = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&lang.into()), &options);
    get(&f, "format").unchecked_into()
}

impl Fmt {
    pub fn new(lang: &str) -> Fmt {
        Fmt {
            time: intl(lang, "timeStyle", "short"),
            day: intl(lang, "dateStyle", "medium"),
            short: intl(lang, "dateStyle", "short"),
        }
    }
}

/// A formatted date, or "" for one that does not parse.
pub(super) fn call(f: &Function, date: &Date) -> String {
    f.call1(&JsValue::NULL, date)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// The local calendar day, as days since 1970 in local time (with the UTC offset in force on that
/// date, so summer time is right). 0 for a date that does not parse.
pub(super) fn day_key(d: &Date) -> i64 {
    ((d.get_time() - d.get_timezone_offset() * 60_000.0) / 86_400_000.0).floor() as i64
}

/// Today's and yesterday's [`day_key`].
pub(super) fn days() -> (i64, i64) {
    let today = day_key(&Date::new(&Date::now().into()));
    (today, today - 1)
}
