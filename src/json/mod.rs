//! JSON in and out, behind one door, with no serde in the wasm. Reading: the engine's own
//! `JSON.parse` in the browser (serde_json natively) gives a [`Value`], and each type picks its
//! fields by hand ([`FromJson`]); serde's derived visitors were a sixth of the wasm. Writing: [`Obj`]
//! builds the few small objects the panel writes.

use crate::text::num;

/// A parsed JSON value: the JS value itself in the browser, serde_json's natively.
#[derive(Debug, Clone, PartialEq)]
pub struct Value(backend::V);

/// A type read from JSON. `None` means the value has the wrong shape.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Option<Self>;
}

/// Parses and reads `text`; `None` for bad JSON or the wrong shape.
pub fn from_str<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&Value::parse(text)?)
}

/// `Number.MAX_SAFE_INTEGER`: above it a JS number no longer holds every integer exactly.
const SAFE: f64 = 9_007_199_254_740_991.0;

impl Value {
    pub fn parse(text: &str) -> Option<Value> {
        backend::parse(text).map(Value)
    }

    pub fn decode<T: FromJson>(&self) -> Option<T> {
        T::from_json(self)
    }

    /// The fields of a plain object (not an array), to read a struct from.
    pub fn fields(&self) -> Option<Fields<'_>> {
        backend::is_object(&self.0).then_some(Fields {
            obj: self,
            ok: true,
        })
    }

    /// An object's own entries, in order.
    pub fn entries(&self) -> Option<Vec<(String, Value)>> {
        backend::entries(&self.0)
    }

    /// The value for the page (an event's detail).
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        backend::to_js(&self.0)
    }

    /// A whole number that JavaScript holds exactly.
    fn whole(&self) -> Option<u64> {
        let n = backend::number(&self.0)?;
        (n.abs() <= SAFE && n.fract() == 0.0 && n >= 0.0).then_some(n as u64)
    }
}

/// Reads a struct field by field. Missing and null fields are `None` (the API documents little, so
/// the model is lenient), but a field of the wrong type fails the whole struct in [`Fields::done`].
pub struct Fields<'a> {
    obj: &'a Value,
    ok: bool,
}

impl Fields<'_> {
    pub fn get<T: FromJson>(&mut self, key: &str) -> Option<T> {
        let value = Value(backend::field(&self.obj.0, key)?);
        let read = T::from_json(&value);
        self.ok &= read.is_some();
        read
    }

    pub fn or_default<T: FromJson + Default>(&mut self, key: &str) -> T {
        self.get(key).unwrap_or_default()
    }

    /// `t`, unless a field had the wrong type.
    pub fn done<T>(self, t: T) -> Option<T> {
        self.ok.then_some(t)
    }
}

impl FromJson for Value {
    fn from_json(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}

impl FromJson for String {
    fn from_json(v: &Value) -> Option<Self> {
        backend::string(&v.0)
    }
}

impl FromJson for bool {
    fn from_json(v: &Value) -> Option<Self> {
        backend::boolean(&v.0)
    }
}

macro_rules! whole_numbers {
    ($($t:ty)*) => {$(
        impl FromJson for $t {
            fn from_json(v: &Value) -> Option<Self> {
                v.whole()?.try_into().ok()
            }
        }
    )*};
}
whole_numbers!(u8 u32 u64);

// Loops rather than `collect::<Option<_>>()`, whose adapter is generated again for every type.
impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Option<Self> {
        let mut out = Vec::new();
        for x in backend::items(&v.0)? {
            out.push(T::from_json(&x)?);
        }
        Some(out)
    }
}

/// Writes one JSON object. Keys are the crate's own literals, so only values are escaped.
pub struct Obj(String);

impl Obj {
    pub fn new() -> Obj {
        Obj(String::from("{"))
    }

    /// A value that is already JSON.
    pub fn raw(mut self, key: &str, json: &str) -> Obj {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        for part in ["\"", key, "\":", json] {
            self.0.push_str(part);
        }
        self
    }

    pub fn str(self, key: &str, s: &str) -> Obj {
        self.raw(key, &string(s))
    }

    pub fn num(self, key: &str, n: u64) -> Obj {
        self.raw(key, &num(n))
    }

    pub fn bool(self, key: &str, b: bool) -> Obj {
        self.raw(key, if b { "true" } else { "false" })
    }

    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

/// `[a,b,…]` of values that are already JSON.
pub fn array<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out.push(']');
    out
}

/// A JSON string literal.
pub fn string(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(s.len() + 2);
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
    out
}

#[cfg(target_arch = "wasm32")]
mod backend {
    use super::Value;
    // The browser's own property reads (`Reflect.get`), shared with the shell.
    use crate::dom::{at, get, len};
    use js_sys::{Array, Object, JSON};
    use wasm_bindgen::{JsCast, JsValue};

    pub type V = JsValue;

    pub fn parse(text: &str) -> Option<V> {
        JSON::parse(text).ok()
    }

    pub fn to_js(v: &V) -> JsValue {
        v.clone()
    }

    pub fn is_object(v: &V) -> bool {
        v.is_object() && !Array::is_array(v)
    }

    pub fn field(v: &V, key: &str) -> Option<V> {
        let x = get(v, key);
        (!x.is_null_or_undefined()).then_some(x)
    }

    pub fn string(v: &V) -> Option<String> {
        v.as_string()
    }

    pub fn boolean(v: &V) -> Option<bool> {
        v.as_bool()
    }

    pub fn number(v: &V) -> Option<f64> {
        v.as_f64()
    }

    pub fn items(v: &V) -> Option<Vec<Value>> {
        if !Array::is_array(v) {
            return None;
        }
        let mut out = Vec::new();
        for i in 0..len(v) {
            out.push(Value(at(v, i)));
        }
        Some(out)
    }

    pub fn entries(v: &V) -> Option<Vec<(String, Value)>> {
        if !is_object(v) {
            return None;
        }
        let keys = Object::keys(v.unchecked_ref::<Object>());
        let mut out = Vec::new();
        for i in 0..len(&keys) {
            let key = at(&keys, i).as_string()?;
            let value = Value(get(v, &key));
            out.push((key, value));
        }
        Some(out)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    use super::Value;

    pub type V = serde_json::Value;

    pub fn parse(text: &str) -> Option<V> {
        serde_json::from_str(text).ok()
    }

    pub fn to_js(v: &V) -> wasm_bindgen::JsValue {
        js_sys::JSON::parse(&v.to_string()).unwrap_or(wasm_bindgen::JsValue::NULL)
    }

    pub fn is_object(v: &V) -> bool {
        v.is_object()
    }

    pub fn field(v: &V, key: &str) -> Option<V> {
        v.get(key).filter(|x| !x.is_null()).cloned()
    }

    pub fn string(v: &V) -> Option<String> {
        v.as_str().map(Into::into)
    }

    pub fn boolean(v: &V) -> Option<bool> {
        v.as_bool()
    }

    pub fn number(v: &V) -> Option<f64> {
        v.as_f64()
    }

    pub fn items(v: &V) -> Option<Vec<Value>> {
        Some(v.as_array()?.iter().cloned().map(Value).collect())
    }

    pub fn entries(v: &V) -> Option<Vec<(String, Value)>> {
        let map = v.as_object()?;
        Some(
            map.iter()
                .map(|(k, v)| (k.clone(), Value(v.clone())))
                .collect(),
        )
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
    fn numbers_must_be_whole_safe_and_in_range() {
        for bad in [
            "1.5",
            "-1",
            "1e300",
            "9007199254740992",
            "\"1\"",
            "true",
            "null",
        ] {
            assert_eq!(from_str::<u64>(bad), None, "{bad}");
        }
        assert_eq!(
            from_str::<u64>("9007199254740991"),
            Some(9_007_199_254_740_991)
        );
        assert_eq!(from_str::<u64>("2.0"), Some(2));
        assert_eq!(from_str::<u8>("255"), Some(255));
        assert_eq!(from_str::<u8>("256"), None);
        assert_eq!(from_str::<u32>("4294967296"), None);
    }

    #[test]
    fn fields_default_when_missing_and_fail_on_the_wrong_type() {
        struct Pair {
            a: u64,
            b: Option<String>,
        }
        impl FromJson for Pair {
            fn from_json(v: &Value) -> Option<Self> {
                let mut f = v.fields()?;
                let pair = Pair {
                    a: f.or_default("a"),
                    b: f.get("b"),
                };
                f.done(pair)
            }
        }
        let p: Pair = from_str(r#"{"b":"x","extra":[1]}"#).unwrap();
        assert_eq!((p.a, p.b.as_deref()), (0, Some("x")));
        assert!(from_str::<Pair>(r#"{"a":null}"#).unwrap().b.is_none());
        for bad in [
            r#"{"a":"1"}"#,
            r#"{"b":5}"#,
            "[]",
            "\"s\"",
            "null",
            "{nope",
            "",
        ] {
            assert!(from_str::<Pair>(bad).is_none(), "{bad}");
        }
        assert!(from_str::<Vec<u8>>("[1,2]").is_some());
        assert!(from_str::<Vec<u8>>("[1,\"2\"]").is_none());
        assert!(from_str::<Vec<u8>>(r#"{"0":1}"#).is_none());
    }

    #[test]
    fn obj_writes_what_json_reads() {
        let text = Obj::new()
            .num("n", 9_007_199_254_740_991)
            .str("s", "a\"\n")
            .bool("b", true)
            .raw("r", &array(["1".to_string(), "null".to_string()]))
            .end();
        assert_eq!(
            text,
            r#"{"n":9007199254740991,"s":"a\"\n","b":true,"r":[1,null]}"#
        );
        assert_eq!(Obj::new().end(), "{}");
        let v = Value::parse(&text).unwrap();
        let mut keys: Vec<String> = v.entries().unwrap().into_iter().map(|(k, _)| k).collect();
        keys.sort();
        assert_eq!(keys, ["b", "n", "r", "s"]);
    }
}
