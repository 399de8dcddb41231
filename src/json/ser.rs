//! A serde `Serializer` that writes JSON text straight into a `String`: smaller than building a JS
//! object to `JSON.stringify`. Floats are the one thing it asks the engine to write, so the wasm
//! carries no float formatting.

use serde::ser::{self, Serialize};

use super::de::Error;
use super::escape_into;

pub struct Ser(pub String);

type Res = Result<(), Error>;

impl Ser {
    fn uint(&mut self, n: u64) -> Res {
        self.0.push_str(&crate::dom::num(n));
        Ok(())
    }

    /// Opens the `{"Variant":` wrapper serde_json writes around an enum variant's content.
    fn tag(&mut self, variant: &str) {
        self.0.push('{');
        escape_into(&mut self.0, variant);
        self.0.push(':');
    }

    fn open(&mut self, open: &str, variant: Option<&str>, close: &'static str) -> Compound<'_> {
        if let Some(name) = variant {
            self.tag(name);
        }
        self.0.push_str(open);
        Compound {
            ser: self,
            first: true,
            close,
        }
    }
}

impl<'a> ser::Serializer for &'a mut Ser {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Res {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Res {
        if v < 0 {
            self.0.push('-');
        }
        self.uint(v.unsigned_abs())
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.uint(v.into())
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.uint(v.into())
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.uint(v.into())
    }
    fn serialize_u64(self, v: u64) -> Res {
        self.uint(v)
    }
    fn serialize_f32(self, v: f32) -> Res {
        self.serialize_f64(v.into())
    }
    /// The engine writes floats (`null` for NaN and infinities, as serde_json does).
    fn serialize_f64(self, v: f64) -> Res {
        let text = js_sys::JSON::stringify(&v.into()).map_err(|_| Error)?;
        self.0.push_str(&String::from(text));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Res {
        escape_into(&mut self.0, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        v.serialize(self)
    }
    fn serialize_none(self) -> Res {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        self.0.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Res {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        v: &T,
    ) -> Res {
        self.tag(variant);
        v.serialize(&mut *self)?;
        self.0.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open("[", None, "]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.open("[", None, "]"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.open("[", None, "]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.open("[", Some(variant), "]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open("{", None, "}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.open("{", None, "}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.open("{", Some(variant), "}}"))
    }
}

/// An array or object being written; `close` ends it, and the `{"Variant":` wrapper if any.
pub struct Compound<'a> {
    ser: &'a mut Ser,
    first: bool,
    close: &'static str,
}

impl Compound<'_> {
    fn item<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        if !self.first {
            self.ser.0.push(',');
        }
        self.first = false;
        v.serialize(&mut *self.ser)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &str, v: &T) -> Res {
        self.item(key)?;
        self.ser.0.push(':');
        v.serialize(&mut *self.ser)
    }

    fn end(self) -> Res {
        self.ser.0.push_str(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        self.item(v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        self.item(v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        self.item(v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        self.item(v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    /// Keys must come out as strings: integer keys get quoted, as serde_json does; others fail.
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Res {
        let start = self.ser.0.len() + usize::from(!self.first);
        self.item(key)?;
        let out = &mut self.ser.0;
        match out.as_bytes().get(start) {
            Some(b'"') => Ok(()),
            Some(b'-' | b'0'..=b'9') if !out[start..].contains(['.', 'e', 'E']) => {
                out.insert(start, '"');
                out.push('"');
                Ok(())
            }
            _ => Err(Error),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Res {
        self.ser.0.push(':');
        v.serialize(&mut *self.ser)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Res {
        self.field(key, v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Res {
        self.field(key, v)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}
