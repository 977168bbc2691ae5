//! The one rule for comparing text without regard to case, wherever Gatehouse does it for
//! SCIM (filters on `caseExact: false` attributes, sorting by them, the uniqueness of
//! `userName`, group `displayName` and User emails): **Unicode simple case folding**, the `C`
//! and `S` mappings of `CaseFolding.txt` (Unicode 16, through `unicode-case-mapping`).
//!
//! Folding happens here, in Rust, for stored keys and for the values compared with them, so the
//! result never depends on the database (SQLite's `lower()` folds ASCII only, PostgreSQL's
//! follows the database's locale). Simple folding maps one character to one character: `ß`
//! stays `ß` (`ẞ` folds to it, `SS` does not), both Greek sigmas fold to `σ`, `İ` stays `İ`, and
//! no language-specific (Turkic) rule applies. It does not normalise: a precomposed `é` and `e`
//! followed by a combining accent stay different.

/// `text` with every character replaced by its simple case folding.
pub fn fold_case(text: &str) -> String {
    // ASCII is the common case and folds without a table look-up.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    unicode_case_mapping::case_folded(c)
        .and_then(|folded| char::from_u32(folded.get()))
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::fold_case;

    #[test]
    fn folds_several_scripts_the_same_way() {
        let same = [
            ("MÜLLER", "müller"),
            ("Ærøskøbing", "ærøskøbing"),
            ("ÉLODIE", "élodie"),
            ("ΣΟΦΊΑ", "σοφία"),
            ("ΟΔΟΣ", "οδοσ"),
            ("οδος", "οδοσ"),
            ("ПЕТРОВ", "петров"),
            ("ЁЛКА", "ёлка"),
            ("STRAẞE", "straße"),
            ("Straße", "straße"),
            ("\u{212A}elvin", "kelvin"),
            ("ᏣᎳᎩ", "ᏣᎳᎩ"),
            ("ꮳꮃꭹ", "ᏣᎳᎩ"),
        ];
        for (text, folded) in same {
            assert_eq!(fold_case(text), folded, "{text}");
        }
    }

    #[test]
    fn simple_folding_never_changes_the_length_in_characters() {
        for (text, folded) in [("STRASSE", "strasse"), ("ß", "ß"), ("İ", "İ"), ("ŉ", "ŉ")] {
            assert_eq!(fold_case(text), folded, "{text}");
            assert_eq!(fold_case(text).chars().count(), text.chars().count());
        }
        assert_ne!(fold_case("STRASSE"), fold_case("straße"));
        assert_ne!(fold_case("e\u{301}"), fold_case("é"));
    }
}
