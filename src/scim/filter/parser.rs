//! Recursive-descent parser for the SCIM filter grammar of RFC 7644 §3.4.2.2
//! (Figure 1) and the PATCH `path` grammar of RFC 7644 §3.5.2, enforcing the
//! size, depth and complexity limits of this module.

use std::str::FromStr;

use super::ast::{AttrPath, CompareOp, Filter, PatchPath, Value};
use super::error::FilterError;
use super::lexer::{shorten, tokenize, Token, TokenKind};
use super::terms::{check_name, parse_attr_path, parse_child_name, parse_literal};
use super::{MAX_COMPARISONS, MAX_DEPTH, MAX_FILTER_LEN};

/// Parses a filter (the `filter` query parameter or `"filter"` member of a
/// search request, RFC 7644 §3.4.2.2).
pub(crate) fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(input)?;
    if parser.tokens.is_empty() {
        return Err(FilterError::syntax(0, "filter is empty"));
    }
    let filter = parser.parse_or(false)?;
    if let Some(tok) = parser.peek() {
        let msg = format!(
            "unexpected {}; expected \"and\", \"or\" or end of filter",
            tok.describe()
        );
        return Err(FilterError::syntax(tok.start, msg));
    }
    Ok(filter)
}

/// Parses a PATCH path (RFC 7644 §3.5.2); every error is wrapped in
/// [`FilterError::InvalidPath`].
pub(crate) fn parse_patch_path(input: &str) -> Result<PatchPath, FilterError> {
    parse_patch_path_inner(input).map_err(|e| FilterError::InvalidPath(Box::new(e)))
}

fn parse_patch_path_inner(input: &str) -> Result<PatchPath, FilterError> {
    let mut parser = Parser::new(input)?;
    let Some(first) = parser.next() else {
        return Err(FilterError::syntax(0, "path is empty"));
    };
    let TokenKind::Word(word) = &first.kind else {
        let msg = format!(
            "unexpected {}; expected an attribute path",
            first.describe()
        );
        return Err(FilterError::syntax(first.start, msg));
    };
    let attr = parse_attr_path(word, first.start)?;
    let mut value_filter = None;
    let mut sub_attr = None;
    if let Some(open) = parser.eat(|k| *k == TokenKind::LBracket) {
        let (filter, close) = parser.parse_bracket(&attr, open.start)?;
        value_filter = Some(filter);
        if let Some((sub, _)) = parser.eat_trailing_sub(close.end)? {
            sub_attr = Some(sub);
        }
    }
    if let Some(tok) = parser.peek() {
        let msg = format!("unexpected {} after path", tok.describe());
        return Err(FilterError::syntax(tok.start, msg));
    }
    Ok(PatchPath {
        attr,
        value_filter,
        sub_attr,
    })
}

impl FromStr for Filter {
    type Err = FilterError;

    /// Same as [`super::parse_filter`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
    }
}

impl FromStr for PatchPath {
    type Err = FilterError;

    /// Same as [`super::parse_patch_path`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_patch_path(s)
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    input_len: usize,
    depth: usize,
    comparisons: usize,
}

impl Parser {
    fn new(input: &str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(FilterError::TooLong {
                len: input.len(),
                max: MAX_FILTER_LEN,
            });
        }
        Ok(Parser {
            tokens: tokenize(input)?,
            pos: 0,
            input_len: input.len(),
            depth: 0,
            comparisons: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn next(&mut self) -> Option<Token> {
        let tok = self.tokens.get(self.pos).cloned();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    /// Consumes the next token if `pred` accepts its kind.
    fn eat(&mut self, pred: impl FnOnce(&TokenKind) -> bool) -> Option<Token> {
        match self.peek() {
            Some(tok) if pred(&tok.kind) => self.next(),
            _ => None,
        }
    }

    /// Offset of the next token, or the end of input.
    fn here(&self) -> usize {
        self.peek().map_or(self.input_len, |t| t.start)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(w), .. }) if w.eq_ignore_ascii_case(keyword))
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::TooDeep { max: MAX_DEPTH });
        }
        Ok(())
    }

    fn count_comparison(&mut self) -> Result<(), FilterError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(FilterError::TooComplex {
                max: MAX_COMPARISONS,
            });
        }
        Ok(())
    }

    /// `or_expr := and_expr ("or" and_expr)*` — left-associative.
    fn parse_or(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.parse_and(in_value_path)?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.parse_and(in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `and_expr := unary ("and" unary)*` — left-associative.
    fn parse_and(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.parse_unary(in_value_path)?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.parse_unary(in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `unary := "not" "(" or_expr ")" / "(" or_expr ")" / attrExp / valuePath`.
    fn parse_unary(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let Some(tok) = self.peek().cloned() else {
            let msg = "unexpected end of filter; expected an attribute path, \"not\" or \"(\"";
            return Err(FilterError::syntax(self.input_len, msg));
        };
        match &tok.kind {
            TokenKind::LParen => {
                self.pos += 1;
                self.parse_group(tok.start, in_value_path)
            }
            TokenKind::Word(w)
                if (w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"))
                    && !self.followed_by_operator() =>
            {
                let msg =
                    format!("unexpected \"{w}\"; expected an attribute path, \"not\" or \"(\"");
                Err(FilterError::syntax(tok.start, msg))
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("not") && !self.followed_by_operator() => {
                self.pos += 1;
                match self.next() {
                    Some(Token {
                        kind: TokenKind::LParen,
                        start,
                        ..
                    }) => Ok(Filter::Not(Box::new(
                        self.parse_group(start, in_value_path)?,
                    ))),
                    _ => Err(FilterError::syntax(tok.end, "expected \"(\" after \"not\"")),
                }
            }
            TokenKind::Word(w) => {
                self.pos += 1;
                self.parse_attr_exp(w, &tok, in_value_path)
            }
            _ => {
                let msg = format!(
                    "unexpected {}; expected an attribute path, \"not\" or \"(\"",
                    tok.describe()
                );
                Err(FilterError::syntax(tok.start, msg))
            }
        }
    }

    /// Whether the token after the current one is an operator or `[`: then a
    /// current `not`, `and` or `or` is an attribute name, not a keyword.
    fn followed_by_operator(&self) -> bool {
        match self.peek_at(1).map(|t| &t.kind) {
            Some(TokenKind::Word(w)) => {
                CompareOp::from_keyword(w).is_some() || w.eq_ignore_ascii_case("pr")
            }
            Some(TokenKind::LBracket) => true,
            _ => false,
        }
    }

    /// After `(`: `or_expr ")"`.
    fn parse_group(&mut self, open: usize, in_value_path: bool) -> Result<Filter, FilterError> {
        self.enter()?;
        let inner = self.parse_or(in_value_path)?;
        if self.eat(|k| *k == TokenKind::RParen).is_none() {
            let msg = format!("expected \")\" to close \"(\" at position {open}");
            return Err(FilterError::syntax(self.here(), msg));
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// After an attribute word: `pr`, `op value`, or `[valFilter]` with an
    /// optional `.sub op value` tail (accepted from real-world clients).
    fn parse_attr_exp(
        &mut self,
        word: &str,
        tok: &Token,
        in_value_path: bool,
    ) -> Result<Filter, FilterError> {
        let path = if in_value_path {
            parse_child_name(word, tok.start)?
        } else {
            parse_attr_path(word, tok.start)?
        };
        let Some(open) = self.eat(|k| *k == TokenKind::LBracket) else {
            return self.parse_comparison_tail(path, word);
        };
        if in_value_path {
            return Err(FilterError::syntax(
                open.start,
                "value filters cannot be nested",
            ));
        }
        let (mut filter, close) = self.parse_bracket(&path, open.start)?;
        if let Some((sub, label)) = self.eat_trailing_sub(close.end)? {
            let tail = self.parse_comparison_tail(AttrPath::new(sub), &label)?;
            filter = Filter::And(Box::new(filter), Box::new(tail));
        }
        Ok(Filter::ValuePath {
            path,
            filter: Box::new(filter),
        })
    }

    /// After `[`: `valFilter "]"`. Returns the filter and the `]` token.
    fn parse_bracket(
        &mut self,
        attr: &AttrPath,
        open: usize,
    ) -> Result<(Filter, Token), FilterError> {
        if attr.sub.is_some() {
            return Err(FilterError::syntax(
                open,
                "a value filter must follow an attribute, not a sub-attribute",
            ));
        }
        self.enter()?;
        let filter = self.parse_or(true)?;
        let Some(close) = self.eat(|k| *k == TokenKind::RBracket) else {
            let msg = format!("expected \"]\" to close \"[\" at position {open}");
            return Err(FilterError::syntax(self.here(), msg));
        };
        self.depth -= 1;
        Ok((filter, close))
    }

    /// A `.subAttr` word written right after `]` (no space).
    fn eat_trailing_sub(&mut self, after: usize) -> Result<Option<(String, String)>, FilterError> {
        let Some(tok) = self.peek().cloned() else {
            return Ok(None);
        };
        match &tok.kind {
            TokenKind::Word(w) if tok.start == after && w.starts_with('.') => {
                self.pos += 1;
                let sub = &w[1..];
                check_name(sub, true, tok.start + 1)?;
                Ok(Some((sub.to_string(), w.clone())))
            }
            _ => Ok(None),
        }
    }

    /// `SP "pr"` or `SP compareOp SP compValue` after a path.
    fn parse_comparison_tail(
        &mut self,
        path: AttrPath,
        label: &str,
    ) -> Result<Filter, FilterError> {
        let Some(tok) = self.peek().cloned() else {
            let msg = format!("expected comparison operator after \"{}\"", shorten(label));
            return Err(FilterError::syntax(self.input_len, msg));
        };
        let TokenKind::Word(word) = &tok.kind else {
            let msg = format!("expected comparison operator after \"{}\"", shorten(label));
            return Err(FilterError::syntax(tok.start, msg));
        };
        self.pos += 1;
        if word.eq_ignore_ascii_case("pr") {
            self.count_comparison()?;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            let msg = format!("unknown comparison operator \"{}\"", shorten(word));
            return Err(FilterError::syntax(tok.start, msg));
        };
        let value = self.parse_value(word)?;
        self.count_comparison()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn parse_value(&mut self, op: &str) -> Result<Value, FilterError> {
        let expected = || format!("expected comparison value after \"{op}\"");
        let Some(tok) = self.next() else {
            return Err(FilterError::syntax(self.input_len, expected()));
        };
        match tok.kind {
            TokenKind::Str(s) => Ok(Value::String(s)),
            TokenKind::Word(w) => parse_literal(&w, tok.start),
            _ => Err(FilterError::syntax(tok.start, expected())),
        }
    }
}
