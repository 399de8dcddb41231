//! JSON in and out, behind one door. In the browser the engine's own `JSON.parse` reads the text, a
//! small deserializer maps its values (`de`) and a small serializer writes text (`ser`), so the
//! shipped wasm carries no JSON parser (serde_json was a third of it), no value mapper
//! (serde-wasm-bindgen, a seventh) and no float formatting. Natively serde_json does the job.

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};

/// A JSON value kept undecoded until its reader knows its type (hub arguments and results).
#[derive(Debug, Clone)]
pub struct Raw(backend::Value);

impl Raw {
    pub fn decode<T: DeserializeOwned>(&self) -> Option<T> {
        backend::decode(&self.0)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        backend::keep(d).map(Raw)
    }
}

/// Parses and maps `text`; `None` for bad JSON or the wrong shape.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    backend::from_str(text)
}

pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    backend::to_string(value)
}

/// A JSON string literal, escaped by hand: it is on every send and needs no serializer.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other controls, and the separators JavaScript once refused in string literals.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(target_arch = "wasm32")]
mod de;
#[cfg(target_arch = "wasm32")]
mod ser;

#[cfg(target_arch = "wasm32")]
mod backend {
    use super::*;
    use core::fmt;
    use js_sys::JSON;
    use serde::de::{Error, Visitor};
    use wasm_bindgen::JsValue;

    pub type Value = JsValue;

    /// Asks for the value itself: `de::De` parks it for `Keep` instead of mapping it.
    pub fn keep<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct Keep;
        impl<'de> Visitor<'de> for Keep {
            type Value = JsValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: Error>(self) -> Result<JsValue, E> {
                de::take_parked().ok_or_else(|| E::custom("Raw needs json::from_str"))
            }
        }
        d.deserialize_newtype_struct(de::RAW, Keep)
    }

    pub fn decode<T: DeserializeOwned>(v: &Value) -> Option<T> {
        T::deserialize(de::De(v.clone())).ok()
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
        T::deserialize(de::De(JSON::parse(text).ok()?)).ok()
    }

    pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
        let mut out = ser::Ser(String::new());
        value.serialize(&mut out).ok()?;
        Some(out.0)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    use super::*;

    pub type Value = serde_json::Value;

    pub fn keep<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    pub fn decode<T: DeserializeOwned>(v: &Value) -> Option<T> {
        T::deserialize(v).ok()
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }

    pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
        serde_json::to_string(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_escapes_what_json_requires() {
        let nasty = "a\"b\\c\nd\u{1}e\u{2028}</script>ü🎉";
        let lit = string(nasty);
        assert_eq!(lit, "\"a\\\"b\\\\c\\nd\\u0001e\\u2028</script>ü🎉\"");
        assert_eq!(from_str::<String>(&lit).as_deref(), Some(nasty));
    }

    #[test]
    fn raw_decodes_later_and_bad_input_is_none() {
        #[derive(Deserialize)]
        struct Holder {
            args: Vec<Raw>,
        }
        let h: Holder = from_str(r#"{"args":[1,"x",{"id":2}]}"#).unwrap();
        assert_eq!(h.args[0].decode::<u64>(), Some(1));
        assert_eq!(h.args[1].decode::<String>().as_deref(), Some("x"));
        assert_eq!(h.args[1].decode::<u64>(), None);
        assert_eq!(from_str::<Holder>("{nope").map(|_| ()), None);
    }
}
