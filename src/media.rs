//! Attachments as the hub takes them: a file's bytes become an [`OutMedia`] with base64 data.

use crate::state::OutMedia;

/// The largest file the reference server stores (`MAX_MEDIA_BYTES`).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub struct TooBig;

/// An attachment from a file's name, MIME type and bytes. Images are type 1, anything else 0.
pub fn attach(name: &str, format: &str, bytes: &[u8]) -> Result<OutMedia, TooBig> {
    if bytes.len() > MAX_BYTES {
        return Err(TooBig);
    }
    Ok(OutMedia {
        name: name.to_owned(),
        format: format.to_owned(),
        data_base64: base64(bytes),
        kind: u8::from(is_image(format)),
    })
}

pub fn is_image(format: &str) -> bool {
    format.starts_with("image/")
}

/// Standard padded base64.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn images_are_type_one_and_big_files_are_refused() {
        let m = attach("a.png", "image/png", b"x").unwrap();
        assert_eq!((m.kind, m.data_base64.as_str()), (1, "eA=="));
        assert_eq!(attach("a.pdf", "application/pdf", b"").unwrap().kind, 0);
        assert_eq!(attach("big", "", &vec![0; MAX_BYTES + 1]), Err(TooBig));
    }
}
