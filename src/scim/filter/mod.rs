//! SCIM 2.0 filters and PATCH paths: parsing (RFC 7644 §3.4.2.2 and §3.5.2),
//! a typed syntax tree with a canonical, round-tripping `Display`, and
//! validation against a caller-supplied schema (RFC 7643 §2).
//!
//! Pipeline: [`parse_filter`] → [`Filter`] → [`validate()`] → [`TypedFilter`]
//! (and [`parse_patch_path`] → [`PatchPath`] → [`validate_patch_path`]).
//! Everything is pure: no I/O, no allocation beyond the trees.
//!
//! Decisions on points the RFC leaves open:
//! - Keywords (`and`, `or`, `not`, operators, `pr`, `true`, `false`, `null`)
//!   are case-insensitive. Whitespace may be any run of SP, HTAB, CR or LF.
//! - A word is only the logical `not` when it is not followed by an operator,
//!   so an attribute called `not` still works; `not` must be followed by `(`.
//! - The schema URI of a path is everything before the last `:`; it must
//!   look like `scheme:rest`.
//! - Inside `[…]` only bare sub-attribute names (or `$ref`) are allowed;
//!   value filters cannot nest; `name.sub[…]` is refused.
//! - `attr[filter].sub op value` is not in the RFC's filter grammar (only in
//!   PATCH paths), but Entra ID and other clients send it; it is accepted and
//!   parsed as `attr[filter and sub op value]` (its canonical display).
//! - Numbers follow JSON: integers that fit `i64` become [`Value::Integer`],
//!   anything with fraction or exponent [`Value::Decimal`]; out-of-range
//!   integers and non-finite decimals are syntax errors.
//! - Limits: [`MAX_FILTER_LEN`] bytes, [`MAX_DEPTH`] nesting levels (each
//!   `(`, `not (` and `[` counts one), [`MAX_COMPARISONS`] attribute
//!   expressions (comparisons and `pr`).
//! - Every error maps to `invalidFilter`, except errors from the PATCH path
//!   functions, which are wrapped in [`FilterError::InvalidPath`] and map to
//!   `invalidPath` (RFC 7644 §3.12).

mod ast;
mod error;
mod lexer;
mod parser;
mod terms;
mod validate;

#[cfg(test)]
mod tests_parse;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_support;
#[cfg(test)]
mod tests_syntax;
#[cfg(test)]
mod tests_validate;

pub use ast::{AttrPath, CompareOp, Filter, PatchPath, Value};
pub use error::FilterError;
pub use validate::{
    validate, validate_patch_path, AttrInfo, AttrType, ResolvedAttr, SchemaLookup, TypedFilter,
    TypedPatchPath, TypedValue,
};

/// Longest accepted filter or PATCH path, in bytes (8 KiB).
pub const MAX_FILTER_LEN: usize = 8 * 1024;

/// Deepest accepted nesting of `(…)`, `not (…)` and `attr[…]`.
pub const MAX_DEPTH: usize = 32;

/// Most attribute expressions (comparisons and `pr`) in one filter.
pub const MAX_COMPARISONS: usize = 200;

/// Parses a filter expression (RFC 7644 §3.4.2.2, Figure 1), e.g.
/// `userName eq "bjensen"` or `emails[type eq "work" and value co "@example.com"]`.
///
/// The input must be already URL-decoded. Errors are [`FilterError::Syntax`],
/// [`FilterError::TooLong`], [`FilterError::TooDeep`] or
/// [`FilterError::TooComplex`], all `400 invalidFilter`.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    parser::parse_filter(input)
}

/// Parses a PATCH operation's `path` (RFC 7644 §3.5.2:
/// `PATH = attrPath / valuePath [subAttr]`), e.g. `name.givenName`,
/// `members[value eq "2819c223"]` or `emails[type eq "work"].value`.
///
/// Every error is a [`FilterError::InvalidPath`] (`400 invalidPath`).
pub fn parse_patch_path(input: &str) -> Result<PatchPath, FilterError> {
    parser::parse_patch_path(input)
}
