//! Small number and string helpers shared by the core and the view: decimal digits, whole-number
//! parsing that refuses signs and spaces, joining, and splitting on an ASCII byte.

/// The decimal digits of `n`.
pub fn num(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[i..].iter().map(|&d| d as char).collect()
}

/// A number written in plain decimal digits (no sign, no spaces), that fits `T`.
pub fn parse<T: TryFrom<u64>>(s: &str) -> Option<T> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for b in s.bytes() {
        n = n * 10 + u64::from(b.checked_sub(b'0').filter(|d| *d < 10)?);
    }
    n.try_into().ok()
}

/// The parts, joined.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `s` split around the first `sep` (an ASCII byte, so both sides stay valid UTF-8).
pub fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

/// `template` with each `{name}` replaced by its value from `args`, in one pass: values are not
/// scanned again, and a placeholder without a value stays as it is.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut rest = template;
    let mut out = String::with_capacity(rest.len());
    while let Some((before, after)) = split_once(rest, b'{') {
        out.push_str(before);
        let arg = split_once(after, b'}').and_then(|(name, tail)| {
            let value = args.iter().find(|(k, _)| *k == name)?.1;
            Some((value, tail))
        });
        match arg {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_both_ways() {
        assert_eq!(num(0), "0");
        assert_eq!(num(u64::MAX), "18446744073709551615");
        assert_eq!(
            parse::<u64>("9007199254740991"),
            Some(9_007_199_254_740_991)
        );
        assert_eq!(parse::<u8>("255"), Some(255));
        for bad in [
            "",
            "256",
            "-1",
            "+1",
            " 1",
            "1.0",
            "x",
            "99999999999999999999",
        ] {
            assert_eq!(parse::<u8>(bad), None, "{bad:?}");
        }
        assert_eq!(parse::<u32>("4294967296"), None);
    }

    #[test]
    fn cat_and_split_once() {
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert_eq!(split_once("a.b.c", b'.'), Some(("a", "b.c")));
        assert_eq!(split_once("ü.é", b'.'), Some(("ü", "é")));
        assert_eq!(split_once("abc", b'.'), None);
    }
}
