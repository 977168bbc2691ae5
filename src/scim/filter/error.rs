//! Errors raised while parsing or validating SCIM filters and PATCH paths, and
//! their mapping to the `scimType` values of RFC 7644 §3.12 (Table 9).

use super::ast::CompareOp;
use super::validate::AttrType;

/// Everything that can go wrong with a filter (RFC 7644 §3.4.2.2) or a PATCH
/// path (RFC 7644 §3.5.2).
///
/// Every variant is a client error: the HTTP layer answers `400 Bad Request`
/// with the `scimType` given by [`FilterError::scim_type`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The text does not follow the grammar of RFC 7644 §3.4.2.2 (Figure 1).
    /// `position` is the 0-based byte offset of the offending token (or the
    /// length of the input when it ended too early).
    #[error("{message} at position {position}")]
    Syntax {
        /// 0-based byte offset into the filter string.
        position: usize,
        /// Short human-readable description of the problem.
        message: String,
    },
    /// The filter is longer than [`super::MAX_FILTER_LEN`] bytes.
    #[error("filter is {len} bytes long; at most {max} bytes are accepted")]
    TooLong {
        /// Length of the rejected input in bytes.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// Parentheses, `not (…)` and value paths nest deeper than
    /// [`super::MAX_DEPTH`] levels.
    #[error("filter nests deeper than {max} levels")]
    TooDeep {
        /// The limit in force.
        max: usize,
    },
    /// The filter holds more than [`super::MAX_COMPARISONS`] attribute
    /// expressions (comparisons and `pr`).
    #[error("filter has more than {max} comparisons")]
    TooComplex {
        /// The limit in force.
        max: usize,
    },
    /// The schema does not know this attribute (RFC 7644 §3.4.2.2: an
    /// unrecognised attribute in a filter is a `400 invalidFilter`).
    #[error("unknown attribute \"{0}\"")]
    UnknownAttribute(String),
    /// The operator cannot be applied to an attribute of this type, e.g. `gt`
    /// on a boolean (RFC 7644 §3.4.2.2, Table 3).
    #[error("operator \"{op}\" is not allowed on {attr_type} attribute \"{path}\"")]
    OperatorNotAllowed {
        /// Attribute path as written or as resolved.
        path: String,
        /// The refused operator.
        op: CompareOp,
        /// The attribute's type (RFC 7643 §2.3).
        attr_type: AttrType,
    },
    /// The comparison value does not fit the attribute's type, e.g. a string
    /// compared with an integer attribute or a malformed dateTime.
    #[error("invalid value for {attr_type} attribute \"{path}\": {reason}")]
    InvalidValue {
        /// Resolved attribute path.
        path: String,
        /// The attribute's type (RFC 7643 §2.3).
        attr_type: AttrType,
        /// What was wrong.
        reason: String,
    },
    /// A value filter (`attr[…]`) was put on an attribute that cannot take one.
    #[error("a value filter is not allowed on \"{path}\": {reason}")]
    ValueFilterNotAllowed {
        /// Attribute path as resolved.
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A PATCH `path` (RFC 7644 §3.5.2) was malformed or did not validate; the
    /// wrapped error tells why.
    #[error("invalid path: {0}")]
    InvalidPath(Box<FilterError>),
}

impl FilterError {
    /// The `scimType` for the error response (RFC 7644 §3.12, Table 9):
    /// `"invalidPath"` for PATCH path errors, `"invalidFilter"` for the rest.
    pub fn scim_type(&self) -> &'static str {
        match self {
            FilterError::InvalidPath(_) => "invalidPath",
            _ => "invalidFilter",
        }
    }

    /// Shorthand used by the lexer and parser.
    pub(crate) fn syntax(position: usize, message: impl Into<String>) -> Self {
        FilterError::Syntax {
            position,
            message: message.into(),
        }
    }
}
