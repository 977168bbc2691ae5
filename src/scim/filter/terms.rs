//! Parsing of the terminal symbols of RFC 7644 §3.4.2.2 (Figure 1) that the
//! lexer hands over as words: attribute paths (`attrPath`, RFC 7643 §2.1
//! names) and the non-string comparison values (`compValue`).

use super::ast::{AttrPath, Value};
use super::error::FilterError;
use super::lexer::shorten;

/// `false` / `null` / `true` (case-insensitive) or a JSON number.
pub(crate) fn parse_literal(word: &str, pos: usize) -> Result<Value, FilterError> {
    if word.eq_ignore_ascii_case("true") {
        return Ok(Value::Boolean(true));
    }
    if word.eq_ignore_ascii_case("false") {
        return Ok(Value::Boolean(false));
    }
    if word.eq_ignore_ascii_case("null") {
        return Ok(Value::Null);
    }
    if word.starts_with(|c: char| matches!(c, '-' | '+' | '.') || c.is_ascii_digit()) {
        return parse_number(word, pos);
    }
    let msg = format!(
        "invalid comparison value \"{}\" (strings must be in double quotes)",
        shorten(word)
    );
    Err(FilterError::syntax(pos, msg))
}

/// A JSON number (RFC 8259 §6): `-? int frac? exp?`.
fn parse_number(word: &str, pos: usize) -> Result<Value, FilterError> {
    let bad = || FilterError::syntax(pos, format!("invalid number \"{}\"", shorten(word)));
    let b = word.as_bytes();
    let digits = |mut i: usize| {
        let from = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i, i > from)
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return Err(bad()),
    }
    let mut integral = true;
    if b.get(i) == Some(&b'.') {
        let (next, any) = digits(i + 1);
        if !any {
            return Err(bad());
        }
        i = next;
        integral = false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (next, any) = digits(i);
        if !any {
            return Err(bad());
        }
        i = next;
        integral = false;
    }
    if i != b.len() {
        return Err(bad());
    }
    if integral {
        let msg = format!("integer \"{}\" is out of range", shorten(word));
        return word
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| FilterError::syntax(pos, msg));
    }
    match word.parse::<f64>() {
        Ok(d) if d.is_finite() => Ok(Value::Decimal(d)),
        _ => Err(FilterError::syntax(
            pos,
            format!("number \"{}\" is out of range", shorten(word)),
        )),
    }
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`; the URI is everything up to the
/// last `:`.
pub(crate) fn parse_attr_path(word: &str, pos: usize) -> Result<AttrPath, FilterError> {
    let (urn, rest, offset) = match word.rfind(':') {
        Some(colon) => {
            let urn = &word[..colon];
            check_uri(urn, pos)?;
            (Some(urn.to_string()), &word[colon + 1..], colon + 1)
        }
        None => (None, word, 0),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    check_name(name, false, pos + offset)?;
    if let Some(sub) = sub {
        check_name(sub, true, pos + offset + name.len() + 1)?;
    }
    Ok(AttrPath {
        urn,
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

/// Inside `[…]` paths are bare sub-attribute names of the enclosing attribute.
pub(crate) fn parse_child_name(word: &str, pos: usize) -> Result<AttrPath, FilterError> {
    if word.contains(['.', ':']) {
        let msg = format!(
            "expected a sub-attribute name inside \"[…]\", found \"{}\"",
            shorten(word)
        );
        return Err(FilterError::syntax(pos, msg));
    }
    check_name(word, true, pos)?;
    Ok(AttrPath::new(word))
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`
/// (RFC 7643 §2.1); `$ref` is accepted where a sub-attribute is expected.
pub(crate) fn check_name(name: &str, allow_ref: bool, pos: usize) -> Result<(), FilterError> {
    if name.is_empty() {
        return Err(FilterError::syntax(pos, "expected attribute name"));
    }
    if allow_ref && name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    if first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(());
    }
    let msg = format!("invalid attribute name \"{}\"", shorten(name));
    Err(FilterError::syntax(pos, msg))
}

/// A schema URI prefix: `scheme ":" rest` with a valid scheme and visible
/// ASCII only (SCIM schema URIs are URNs, RFC 7643 §3).
fn check_uri(uri: &str, pos: usize) -> Result<(), FilterError> {
    let valid = uri.split_once(':').is_some_and(|(scheme, rest)| {
        let mut s = scheme.bytes();
        s.next().is_some_and(|b| b.is_ascii_alphabetic())
            && s.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            && !rest.is_empty()
            && uri.bytes().all(|b| b.is_ascii_graphic())
    });
    if valid {
        Ok(())
    } else {
        let msg = format!("invalid schema URI \"{}\"", shorten(uri));
        Err(FilterError::syntax(pos, msg))
    }
}
