//! JSON through serde, from the same derives on every target: in the browser the engine's
//! `JSON.parse`/`JSON.stringify` with serde-wasm-bindgen (no JSON parser in the wasm), natively
//! serde_json, so `cargo test` reads and writes exactly what the browser does.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A JSON value kept as it came, decoded later into the type its place calls for: a hub argument,
/// a completion's result. In the browser it is the JS value itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Raw(
    #[cfg_attr(target_arch = "wasm32", serde(with = "serde_wasm_bindgen::preserve"))] Inner,
);

#[cfg(target_arch = "wasm32")]
type Inner = wasm_bindgen::JsValue;
#[cfg(not(target_arch = "wasm32"))]
type Inner = serde_json::Value;

/// Parses and reads `text`; `None` for bad JSON or the wrong shape.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).ok()
    }
}

/// Writes `value` as JSON text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        to_js(value)
            .and_then(|v| js_sys::JSON::stringify(&v).ok())
            .map(String::from)
            .unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::to_string(value).unwrap_or_default()
    }
}

/// `value` as a plain JS object (maps as objects, not `Map`s), for event details.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Option<wasm_bindgen::JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
}

impl Raw {
    pub fn decode<T: DeserializeOwned>(&self) -> Option<T> {
        #[cfg(target_arch = "wasm32")]
        {
            serde_wasm_bindgen::from_value(self.0.clone()).ok()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            T::deserialize(&self.0).ok()
        }
    }

    /// The value for the page, as the server sent it (an event's detail).
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        #[cfg(target_arch = "wasm32")]
        {
            self.0.clone()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            to_js(&self.0).unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        first_id: u64,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn round_trips_and_refuses_the_wrong_shape() {
        let p = Probe {
            first_id: 2,
            note: Some("a\"b\u{2028}".into()),
        };
        assert_eq!(from_str::<Probe>(&to_string(&p)), Some(p));
        assert_eq!(from_str::<Probe>(r#"{"note":"z"}"#), None);
        assert_eq!(from_str::<Probe>(r#"{"firstId":"1"}"#), None);
        assert_eq!(from_str::<Probe>("{nope"), None);
        let raw: Vec<Raw> = from_str(r#"[{"firstId":1},"x",null]"#).unwrap();
        assert_eq!(raw[0].decode::<Probe>().unwrap().first_id, 1);
        assert_eq!(raw[1].decode::<String>().as_deref(), Some("x"));
        assert_eq!(raw[2].decode::<Option<u8>>(), Some(None));
    }
}
