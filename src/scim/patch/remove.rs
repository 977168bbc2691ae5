//! `remove` (RFC 7644 §3.5.2.2), also used for `replace` with `null`
//! (RFC 7643 §2.5): single values, sub-attributes, listed values of a
//! multi-valued attribute, and values selected by a filter.

use serde_json::{Map, Value};

use super::ops::{current_list, set_or_remove, Target};
use super::{select, values};
use crate::scim::error::ScimError;
use crate::scim::schema::doc;

type Object = Map<String, Value>;

/// `remove` (and `replace` with null). `strict`: a value filter matching
/// nothing is `noTarget` (RFC 7644 §3.5.2.2).
pub(super) fn remove(
    container: &mut Object,
    target: &Target<'_>,
    value: Option<&Value>,
    strict: bool,
) -> Result<(), ScimError> {
    let (attr, path) = (target.attr, target.text.as_str());
    if attr.multi_valued && (target.filter.is_some() || target.sub.is_some()) {
        return remove_elements(container, target, strict);
    }
    if let Some(sub) = target.sub {
        if let Some(Value::Object(parent)) = doc::get_mut(container, attr.name) {
            values::check_immutable(sub, doc::get(parent, sub.name), None, path)?;
            doc::remove(parent, sub.name);
            if parent.is_empty() {
                doc::remove(container, attr.name);
            }
        }
        return Ok(());
    }
    if let (true, Some(listed)) = (attr.multi_valued, value) {
        let items = match listed {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        let items = items
            .iter()
            .map(|item| values::element(attr, item, path))
            .collect::<Result<Vec<_>, _>>()?;
        let mut list = current_list(container, attr.name);
        list.retain(|e| !items.iter().any(|item| select::same_value(attr, e, item)));
        set_or_remove(container, attr.name, Value::Array(list));
        return Ok(());
    }
    values::check_immutable(attr, doc::get(container, attr.name), None, path)?;
    doc::remove(container, attr.name);
    Ok(())
}

fn remove_elements(
    container: &mut Object,
    target: &Target<'_>,
    strict: bool,
) -> Result<(), ScimError> {
    let (attr, path) = (target.attr, target.text.as_str());
    let mut list = current_list(container, attr.name);
    let matched: Vec<usize> = (0..list.len())
        .filter(|&i| target.filter.is_none_or(|f| select::matches(&list[i], f)))
        .collect();
    if matched.is_empty() {
        if strict && target.filter.is_some() {
            return Err(ScimError::no_target(format!("no value matches \"{path}\"")));
        }
        return Ok(());
    }
    match target.sub {
        Some(sub) => {
            for &i in &matched {
                if let Value::Object(element) = &mut list[i] {
                    values::check_immutable(sub, doc::get(element, sub.name), None, path)?;
                    doc::remove(element, sub.name);
                }
            }
            list.retain(|e| !doc::is_unassigned(e));
        }
        None => {
            let mut index = 0;
            list.retain(|_| {
                index += 1;
                !matched.contains(&(index - 1))
            });
        }
    }
    set_or_remove(container, attr.name, Value::Array(list));
    Ok(())
}
