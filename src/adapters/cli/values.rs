//! The enum-like flags of the CLI as clap value enums: `--help` lists their values, shell
//! completion offers them, and a wrong one is a usage error (exit 2) naming the choices. Each
//! maps to the domain's own type, which stays free of clap.

use clap::ValueEnum;

use crate::{
    access::{MemberKind, Product},
    domain::{bridge::MatchKind, TokenKind},
};

/// `--kind` of `token create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenKindArg {
    /// For Okta / Entra ID provisioning (the SCIM endpoints).
    Scim,
    /// For other services (the admin and access APIs).
    Service,
}

impl From<TokenKindArg> for TokenKind {
    fn from(kind: TokenKindArg) -> Self {
        match kind {
            TokenKindArg::Scim => TokenKind::Scim,
            TokenKindArg::Service => TokenKind::Service,
        }
    }
}

/// One of `--products`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProductArg {
    Sources,
    Warehouses,
    Protocols,
    Personas,
}

impl From<ProductArg> for Product {
    fn from(product: ProductArg) -> Self {
        match product {
            ProductArg::Sources => Product::Sources,
            ProductArg::Warehouses => Product::Warehouses,
            ProductArg::Protocols => Product::Protocols,
            ProductArg::Personas => Product::Personas,
        }
    }
}

/// `--match` of `rules add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum MatchArg {
    /// The group's displayName equals the pattern (case-insensitively).
    DisplayNameEquals,
    /// The group's displayName starts with the pattern (case-insensitively).
    DisplayNamePrefix,
    /// The group's displayName matches the regular expression.
    DisplayNameRegex,
    /// The group's externalId equals the pattern.
    ExternalIdEquals,
}

impl From<MatchArg> for MatchKind {
    fn from(kind: MatchArg) -> Self {
        match kind {
            MatchArg::DisplayNameEquals => MatchKind::DisplayNameEquals,
            MatchArg::DisplayNamePrefix => MatchKind::DisplayNamePrefix,
            MatchArg::DisplayNameRegex => MatchKind::DisplayNameRegex,
            MatchArg::ExternalIdEquals => MatchKind::ExternalIdEquals,
        }
    }
}

/// `--kind` of `member add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MemberKindArg {
    /// May do what their grants allow.
    Member,
    /// May do everything in the workspace.
    Owner,
}

impl From<MemberKindArg> for MemberKind {
    fn from(kind: MemberKindArg) -> Self {
        match kind {
            MemberKindArg::Member => MemberKind::Member,
            MemberKindArg::Owner => MemberKind::Owner,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flag values are a public contract: they must stay the domain's own names.
    #[test]
    fn flag_values_are_the_domain_names() {
        for arg in TokenKindArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name, TokenKind::from(*arg).as_str());
        }
        for arg in ProductArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name, Product::from(*arg).as_str());
        }
        for arg in MatchArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name, MatchKind::from(*arg).as_str());
        }
        assert_eq!(Product::ALL.len(), ProductArg::value_variants().len());
    }
}
