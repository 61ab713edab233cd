//! Sorted JSON written straight from `Serialize`, without building a `serde_json::Value` first.
//!
//! [`super::json::to_sorted_vec`] used to convert every value with `serde_json::to_value` (a
//! deep copy: one allocation per string and per node) and then write that tree. This serializer
//! writes the same bytes directly: scalars and arrays go to the output as they come; the
//! entries of an object are serialized into a scratch buffer, then sorted by key (UTF-16 code
//! units) and copied out. Anything it does not reproduce exactly as `to_value` would (integers
//! beyond 64 bits, non-string map keys other than integers, booleans and unit variants, and
//! every error) makes it give up, and the caller falls back to the `Value` route, so the result
//! (bytes or error) is always the `Value` route's.

use std::fmt;
use std::ops::Range;

use serde::ser::{self, Impossible, Serialize};

use super::json::{js_number, utf16_cmp_bytes, write_escaped, write_escaped_utf8};

/// Writes `value` as sorted JSON into `out`; `Err` means "use the `Value` route" (`out` may hold
/// partial output then).
pub(super) fn write<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    value.serialize(Writer { out })
}

/// Why the direct route gave up (the `Value` route decides what really happens).
#[derive(Debug)]
pub(super) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not handled by the direct sorted-JSON writer")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    // `to_value` turns NaN and the infinities into null, and every other float into a float
    // number, which the sorted writer prints as JavaScript does.
    out.extend_from_slice(js_number(v).as_bytes());
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = VariantSeq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = VariantObject<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<()> {
        write_i64(self.out, v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<()> {
        if let Ok(v) = u64::try_from(v) {
            self.serialize_u64(v)
        } else if let Ok(v) = i64::try_from(v) {
            self.serialize_i64(v)
        } else {
            Err(GiveUp)
        }
    }

    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        write_u64(self.out, v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<()> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => Err(GiveUp),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        write_f64(self.out, f64::from(v));
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        write_f64(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<()> {
        let mut buf = [0u8; 4];
        write_escaped(v.encode_utf8(&mut buf), self.out);
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        write_escaped(v, self.out);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.out.push(b'[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_u64(self.out, u64::from(*b));
        }
        self.out.push(b']');
        Ok(())
    }

    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        // A one-entry object: nothing to sort. (Output left half-written by a value that gives
        // up is thrown away with everything else.)
        let out = self.out;
        out.push(b'{');
        write_escaped(variant, out);
        out.push(b':');
        value.serialize(Writer { out: &mut *out })?;
        out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>> {
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSeq<'a>> {
        self.out.push(b'{');
        write_escaped(variant, self.out);
        self.out.extend_from_slice(b":[");
        Ok(VariantSeq {
            seq: Seq {
                out: self.out,
                first: true,
            },
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a>> {
        Ok(Object::new(self.out, len.unwrap_or(0)))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Object<'a>> {
        Ok(Object::new(self.out, len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantObject<'a>> {
        self.out.push(b'{');
        write_escaped(variant, self.out);
        self.out.push(b':');
        Ok(VariantObject {
            object: Object::new(self.out, len),
        })
    }
}

pub(super) struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Writer { out: self.out })
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        self.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

pub(super) struct VariantSeq<'a> {
    seq: Seq<'a>,
}

impl ser::SerializeTupleVariant for VariantSeq<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.seq.element(value)
    }

    fn end(self) -> Result<()> {
        self.seq.out.extend_from_slice(b"]}");
        Ok(())
    }
}

/// Where an entry's key is: a struct field name, or raw (unescaped) bytes in the scratch.
enum Key {
    Static(&'static str),
    Scratch(Range<usize>),
}

/// One entry of an object: its key, where its value is in the scratch, and whether the key has
/// characters outside the BMP (then UTF-16 order is not byte order).
struct Entry {
    key: Key,
    value: Range<usize>,
    supplementary: bool,
}

/// An object being collected: keys and values go to `scratch`, sorted into `out` at the end.
pub(super) struct Object<'a> {
    out: &'a mut Vec<u8>,
    scratch: Vec<u8>,
    entries: Vec<Entry>,
    next_key: Option<Range<usize>>,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>, len: usize) -> Self {
        Object {
            out,
            scratch: Vec::with_capacity(64 * len.clamp(1, 16)),
            entries: Vec::with_capacity(len),
            next_key: None,
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<()> {
        let start = self.scratch.len();
        value.serialize(Writer {
            out: &mut self.scratch,
        })?;
        let supplementary = Self::key_bytes(&self.scratch, &key)
            .iter()
            .any(|b| *b >= 0xF0);
        self.entries.push(Entry {
            key,
            value: start..self.scratch.len(),
            supplementary,
        });
        Ok(())
    }

    fn key_bytes<'s>(scratch: &'s [u8], key: &'s Key) -> &'s [u8] {
        match key {
            Key::Static(s) => s.as_bytes(),
            Key::Scratch(r) => &scratch[r.clone()],
        }
    }

    /// Writes the sorted object; returns the output for what follows it.
    fn finish(self) -> &'a mut Vec<u8> {
        let Object {
            out,
            scratch,
            mut entries,
            ..
        } = self;
        // Stable: of entries with the same key, the last one wins (as in a map insert). Maps
        // from a `BTreeMap` (every `serde_json::Value` object) usually come sorted already.
        let order = |a: &Entry, b: &Entry| {
            let (ka, kb) = (
                Self::key_bytes(&scratch, &a.key),
                Self::key_bytes(&scratch, &b.key),
            );
            if a.supplementary || b.supplementary {
                utf16_cmp_bytes(ka, kb)
            } else {
                ka.cmp(kb)
            }
        };
        if !entries.is_sorted_by(|a, b| order(a, b).is_le()) {
            entries.sort_by(order);
        }
        out.push(b'{');
        let mut first = true;
        for (i, entry) in entries.iter().enumerate() {
            let k = Self::key_bytes(&scratch, &entry.key);
            if entries
                .get(i + 1)
                .is_some_and(|next| Self::key_bytes(&scratch, &next.key) == k)
            {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            // Keys come from `&str`s, so they are UTF-8.
            write_escaped_utf8(k, out);
            out.push(b':');
            out.extend_from_slice(&scratch[entry.value.clone()]);
        }
        out.push(b'}');
        out
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let start = self.scratch.len();
        key.serialize(MapKey {
            out: &mut self.scratch,
        })?;
        self.next_key = Some(start..self.scratch.len());
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.next_key.take().ok_or(GiveUp)?;
        self.value(Key::Scratch(key), value)
    }

    fn end(self) -> Result<()> {
        self.finish();
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.value(Key::Static(key), value)
    }

    fn end(self) -> Result<()> {
        self.finish();
        Ok(())
    }
}

pub(super) struct VariantObject<'a> {
    object: Object<'a>,
}

impl ser::SerializeStructVariant for VariantObject<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.object.value(Key::Static(key), value)
    }

    fn end(self) -> Result<()> {
        self.object.finish().push(b'}');
        Ok(())
    }
}

/// Map keys as `serde_json`'s `Value` serializer turns them into strings: strings and chars
/// as they are, integers and booleans as their text, unit variants as their name. Float keys
/// and the rest give up.
struct MapKey<'a> {
    out: &'a mut Vec<u8>,
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Impossible<(), GiveUp>;
    type SerializeTuple = Impossible<(), GiveUp>;
    type SerializeTupleStruct = Impossible<(), GiveUp>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Impossible<(), GiveUp>;
    type SerializeStruct = Impossible<(), GiveUp>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<()> {
        write_i64(self.out, v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        write_u64(self.out, v);
        Ok(())
    }

    fn serialize_f32(self, _v: f32) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_f64(self, _v: f64) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_char(self, v: char) -> Result<()> {
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(v.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        self.out.extend_from_slice(v.as_bytes());
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_none(self) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_unit(self) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(GiveUp)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(GiveUp)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(GiveUp)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(GiveUp)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(GiveUp)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(GiveUp)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(GiveUp)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(GiveUp)
    }
}
