//! A serde `Deserializer` over the values `JSON.parse` returns. Its error carries no message: the
//! door only answers `None`, and formatting serde's messages would link float formatting
//! (`Unexpected::Float`) and most of `core::fmt` for nothing.

use core::fmt;
use std::cell::Cell;

use js_sys::{Array, Object, Reflect};
use serde::de::{
    self, Deserialize, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use wasm_bindgen::{JsCast, JsValue};

/// Any failure to map a value, or to write one; deliberately without detail.
#[derive(Debug)]
pub struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON value of the wrong shape")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Error
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Error
    }
}

/// The newtype name `json::Raw` asks for: the deserializer then parks the value in `PARKED`
/// instead of mapping it, and the visitor takes it back at once.
pub const RAW: &str = "__chathub_raw";

thread_local! {
    static PARKED: Cell<Option<JsValue>> = const { Cell::new(None) };
}

/// The value parked for `RAW`; `None` if another deserializer was asked.
pub fn take_parked() -> Option<JsValue> {
    PARKED.with(Cell::take)
}

/// `Number.MAX_SAFE_INTEGER`: above it a JS number no longer holds every integer exactly.
const SAFE: f64 = 9_007_199_254_740_991.0;

/// A whole number held exactly; integer visitors range-check it further.
fn int(x: &JsValue) -> Option<i64> {
    let n = x.as_f64()?;
    (n.abs() <= SAFE && n.fract() == 0.0).then_some(n as i64)
}

fn seq(x: JsValue) -> Option<Seq> {
    let arr: Array = x.dyn_into().ok()?;
    Some(Seq {
        len: arr.length(),
        arr,
        i: 0,
    })
}

/// Plain objects only: arrays are not maps (nor structs, unlike serde_json, to keep code small).
fn map(x: JsValue) -> Option<Map> {
    if !x.is_object() || x.is_array() {
        return None;
    }
    let keys = Object::keys(x.unchecked_ref::<Object>());
    Some(Map {
        len: keys.length(),
        keys,
        obj: x,
        i: 0,
    })
}

/// One value from `JSON.parse`. Each `deserialize_*` checks the JS type itself and calls only the
/// visitor methods that fit, since every visitor monomorphises the whole body.
pub struct De(pub JsValue);

impl De {
    fn int<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match int(&self.0) {
            Some(n) if n >= 0 => v.visit_u64(n as u64),
            Some(n) => v.visit_i64(n),
            None => Err(Error),
        }
    }
}

macro_rules! ints {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.int(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let x = self.0;
        if x.is_null_or_undefined() {
            v.visit_unit()
        } else if let Some(b) = x.as_bool() {
            v.visit_bool(b)
        } else if int(&x).is_some() {
            De(x).int(v)
        } else if let Some(n) = x.as_f64() {
            v.visit_f64(n)
        } else if let Some(s) = x.as_string() {
            v.visit_string(s)
        } else if x.is_array() {
            v.visit_seq(seq(x).ok_or(Error)?)
        } else {
            v.visit_map(map(x).ok_or(Error)?)
        }
    }

    ints!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_bool(self.0.as_bool().ok_or(Error)?)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_f64(self.0.as_f64().ok_or(Error)?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_string(self.0.as_string().ok_or(Error)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_string(v)
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_string(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_string(v)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if !self.0.is_null_or_undefined() {
            return Err(Error);
        }
        v.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.0.is_null_or_undefined() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        if name != RAW {
            return v.visit_newtype_struct(self);
        }
        if self.0.is_undefined() {
            return Err(Error); // a missing field: `JSON.parse` makes no undefined values
        }
        PARKED.with(|p| p.set(Some(self.0)));
        let out = v.visit_unit();
        // A visitor that did not take it must not keep it alive.
        drop(take_parked());
        out
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_seq(seq(self.0).ok_or(Error)?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_map(map(self.0).ok_or(Error)?)
    }

    /// A struct is read field by field, by name, through its visitor's `visit_seq`: the derived
    /// `visit_map` matches every key against the field names, which cost 1–3 KB of wasm per type.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        if !self.0.is_object() || self.0.is_array() {
            return Err(Error);
        }
        v.visit_seq(Fields {
            obj: self.0,
            names: fields,
            i: 0,
        })
    }

    /// Unit variants from strings; anything else is not a shape the panel reads.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_enum(self.0.as_string().ok_or(Error)?.into_deserializer())
    }

    /// Skipped values are never looked into.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }
}

struct Seq {
    arr: Array,
    len: u32,
    i: u32,
}

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.i >= self.len {
            return Ok(None);
        }
        let x = self.arr.get(self.i);
        self.i += 1;
        seed.deserialize(De(x)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.len - self.i) as usize)
    }
}

/// A plain object's properties named in `names`, in that order: the order in which serde's derived
/// `visit_seq` asks for a struct's fields.
struct Fields {
    obj: JsValue,
    names: &'static [&'static str],
    i: usize,
}

impl Fields {
    fn next_value(&mut self) -> Option<JsValue> {
        let name = self.names.get(self.i)?;
        self.i += 1;
        Reflect::get(&self.obj, &JsValue::from_str(name)).ok()
    }
}

impl<'de> SeqAccess<'de> for Fields {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.next_value() {
            Some(x) => seed.deserialize(De(x)).map(Some),
            None => Ok(None),
        }
    }

    /// What derived visitors call. A missing field is `None` for an `Option`; for any other type the
    /// answer "no element" makes the visitor use the field's default, or fail if it has none: the
    /// same outcomes as the map path.
    fn next_element<T: Deserialize<'de>>(&mut self) -> Result<Option<T>, Error> {
        match self.next_value() {
            Some(x) if x.is_undefined() => Ok(T::deserialize(De(x)).ok()),
            Some(x) => T::deserialize(De(x)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.names.len() - self.i)
    }
}

/// A plain object, key by key in `Object.keys` order; structs ignore the keys they do not name.
struct Map {
    obj: JsValue,
    keys: Array,
    len: u32,
    i: u32,
}

impl Map {
    /// Kept out of line: inlined, it was repeated in every struct's visitor.
    #[inline(never)]
    fn value(&mut self) -> Result<JsValue, Error> {
        let key = self.keys.get(self.i);
        self.i += 1;
        Reflect::get(&self.obj, &key).map_err(|_| Error)
    }
}

impl<'de> MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.i >= self.len {
            return Ok(None);
        }
        seed.deserialize(De(self.keys.get(self.i))).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(De(self.value()?))
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.len - self.i) as usize)
    }
}
