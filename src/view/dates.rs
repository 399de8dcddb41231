//! Dates and times in the panel's language, through the browser's `Intl`.

use super::*;
use js_sys::Intl::{DateTimeFormat, DateTimeFormatOptions, DateTimeStyle};
use js_sys::{Date, Function};

/// The locale's `Intl.DateTimeFormat(...).format` functions, made once per language, when first
/// needed: the first formatter a page makes loads the browser's locale data (tens of milliseconds),
/// which must not hold up the first requests (the panel warms them once those are on their way).
pub(super) struct Fmt {
    lang: String,
    made: std::cell::OnceCell<Made>,
}

struct Made {
    time: Function,
    day: Function,
    short: Function,
}

/// `format` of a formatter for `lang` with `options` set by `set`.
fn intl(lang: &str, set: impl FnOnce(&DateTimeFormatOptions)) -> Function {
    let options = DateTimeFormatOptions::new();
    set(&options);
    DateTimeFormat::new(&js_sys::Array::of1(&lang.into()), &options).format()
}

impl Fmt {
    pub fn new(lang: &str) -> Fmt {
        Fmt {
            lang: lang.to_owned(),
            made: std::cell::OnceCell::new(),
        }
    }

    fn made(&self) -> &Made {
        self.made.get_or_init(|| Made {
            time: intl(&self.lang, |o| o.set_time_style(DateTimeStyle::Short)),
            day: intl(&self.lang, |o| o.set_date_style(DateTimeStyle::Medium)),
            short: intl(&self.lang, |o| o.set_date_style(DateTimeStyle::Short)),
        })
    }

    pub fn time(&self) -> &Function {
        &self.made().time
    }

    pub fn day(&self) -> &Function {
        &self.made().day
    }

    pub fn short(&self) -> &Function {
        &self.made().short
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
