//! Case-insensitive access to resource documents (JSON objects), since
//! attribute names and schema URNs are case-insensitive (RFC 7643 §2.1).
//! Writers always store the canonical spelling and drop other spellings.

use serde_json::{Map, Value};

/// The key of `map` equal to `name` ignoring ASCII case (exact match first).
pub(crate) fn key_of<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    map.get_key_value(name)
        .map(|(k, _)| k)
        .or_else(|| map.keys().find(|k| k.eq_ignore_ascii_case(name)))
}

/// The value stored under `name`, any case.
pub(crate) fn get<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    key_of(map, name).and_then(|k| map.get(k))
}

/// Mutable access to the value stored under `name`, any case.
pub(crate) fn get_mut<'a>(map: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    let key = key_of(map, name)?.clone();
    map.get_mut(&key)
}

/// Removes every spelling of `name`; returns the first value removed.
pub(crate) fn remove(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    let mut first = None;
    for key in keys {
        let value = map.remove(&key);
        first = first.or(value);
    }
    first
}

/// Stores `value` under the canonical `name`, dropping other spellings.
pub(crate) fn set(map: &mut Map<String, Value>, name: &str, value: Value) {
    if map
        .keys()
        .any(|k| k != name && k.eq_ignore_ascii_case(name))
    {
        remove(map, name);
    }
    map.insert(name.to_string(), value);
}

/// The object stored under `name`, created (or replacing a non-object) and
/// renamed to the canonical spelling when needed.
pub(crate) fn object_mut<'a>(
    map: &'a mut Map<String, Value>,
    name: &str,
) -> &'a mut Map<String, Value> {
    let current = remove(map, name);
    let object = match current {
        Some(Value::Object(obj)) => obj,
        _ => Map::new(),
    };
    map.insert(name.to_string(), Value::Object(object));
    match map.get_mut(name) {
        Some(Value::Object(obj)) => obj,
        _ => unreachable!("an object was just inserted"),
    }
}

/// Whether a value counts as unassigned (RFC 7643 §2.5: null, empty array;
/// also an empty object or empty string).
pub(crate) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}
