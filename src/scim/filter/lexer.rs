//! Tokenizer for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths
//! (RFC 7644 §3.5.2).
//!
//! The lexer only knows punctuation, JSON strings and "words"; the parser
//! decides whether a word is a keyword, an operator, a literal or a path, so
//! that e.g. an attribute named `not` or `and` still parses.

use super::error::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// A JSON string literal (RFC 8259 §7), already unescaped.
    Str(String),
    /// A maximal run of characters other than whitespace, `()[]` and `"`.
    Word(String),
}

/// A token with its byte span in the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Short description for error messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::LParen => "\"(\"".to_string(),
            TokenKind::RParen => "\")\"".to_string(),
            TokenKind::LBracket => "\"[\"".to_string(),
            TokenKind::RBracket => "\"]\"".to_string(),
            TokenKind::Str(_) => "string".to_string(),
            TokenKind::Word(w) => format!("\"{}\"", shorten(w)),
        }
    }
}

/// Clips user text quoted in error messages to keep them short.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Whitespace between tokens. RFC 7644 asks for SP; tabs and line breaks are
/// tolerated too, as are runs of several.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn ends_word(b: u8) -> bool {
    is_space(b) || matches!(b, b'(' | b')' | b'[' | b']' | b'"')
}

/// Splits `input` into tokens.
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_space(b) {
            i += 1;
            continue;
        }
        let punct = match b {
            b'(' => Some(TokenKind::LParen),
            b')' => Some(TokenKind::RParen),
            b'[' => Some(TokenKind::LBracket),
            b']' => Some(TokenKind::RBracket),
            _ => None,
        };
        let start = i;
        let kind = if let Some(kind) = punct {
            i += 1;
            kind
        } else if b == b'"' {
            let (text, end) = lex_string(input, start)?;
            i = end;
            TokenKind::Str(text)
        } else {
            // All delimiters are ASCII, so `i` always lands on a char boundary.
            while i < bytes.len() && !ends_word(bytes[i]) {
                i += 1;
            }
            TokenKind::Word(input[start..i].to_string())
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Ok(tokens)
}

/// Lexes the JSON string whose opening quote is at `start`; returns the
/// unescaped text and the offset just past the closing quote.
fn lex_string(input: &str, start: usize) -> Result<(String, usize), FilterError> {
    let body = start + 1;
    let mut chars = input[body..].char_indices().map(|(i, c)| (i + body, c));
    let mut out = String::new();
    while let Some((pos, c)) = chars.next() {
        match c {
            '"' => return Ok((out, pos + 1)),
            '\\' => {
                let Some((_, esc)) = chars.next() else { break };
                match esc {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => out.push(lex_unicode_escape(&mut chars, pos)?),
                    other => {
                        let msg = format!("invalid escape sequence \"\\{other}\" in string");
                        return Err(FilterError::syntax(pos, msg));
                    }
                }
            }
            c if (c as u32) < 0x20 => {
                return Err(FilterError::syntax(
                    pos,
                    "unescaped control character in string",
                ));
            }
            c => out.push(c),
        }
    }
    Err(FilterError::syntax(start, "unterminated string"))
}

/// Reads the `XXXX` after `\u` (and a following `\uXXXX` low surrogate when
/// the first is a high surrogate). `pos` is where the backslash was.
fn lex_unicode_escape(
    chars: &mut impl Iterator<Item = (usize, char)>,
    pos: usize,
) -> Result<char, FilterError> {
    let high = read_hex4(chars, pos)?;
    let code = match high {
        0xD800..=0xDBFF => {
            let backslash = chars.next().map(|(_, c)| c);
            let u = chars.next().map(|(_, c)| c);
            if backslash != Some('\\') || u != Some('u') {
                return Err(FilterError::syntax(pos, "unpaired surrogate in \\u escape"));
            }
            let low = read_hex4(chars, pos)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(FilterError::syntax(pos, "unpaired surrogate in \\u escape"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        }
        0xDC00..=0xDFFF => {
            return Err(FilterError::syntax(pos, "unpaired surrogate in \\u escape"));
        }
        other => other,
    };
    char::from_u32(code).ok_or_else(|| FilterError::syntax(pos, "invalid \\u escape"))
}

fn read_hex4(
    chars: &mut impl Iterator<Item = (usize, char)>,
    pos: usize,
) -> Result<u32, FilterError> {
    let mut value = 0;
    for _ in 0..4 {
        let digit = chars
            .next()
            .and_then(|(_, c)| c.to_digit(16))
            .ok_or_else(|| FilterError::syntax(pos, "invalid \\u escape: expected 4 hex digits"))?;
        value = value * 16 + digit;
    }
    Ok(value)
}
