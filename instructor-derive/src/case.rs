//! serde's `rename_all` rules, applied the way serde applies them.

use syn::LitStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    pub fn from_lit(lit: &LitStr) -> syn::Result<Self> {
        Ok(match lit.value().as_str() {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            other => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                    "unknown rename rule `{other}`: expected one of \"lowercase\", \"UPPERCASE\", \
                         \"PascalCase\", \"camelCase\", \"snake_case\", \"SCREAMING_SNAKE_CASE\", \
                         \"kebab-case\", \"SCREAMING-KEBAB-CASE\""
                ),
                ))
            }
        })
    }

    /// A variant name (written in PascalCase in Rust).
    pub fn variant(self, name: &str) -> String {
        match self {
            Self::Pascal => name.to_owned(),
            Self::Lower => name.to_ascii_lowercase(),
            Self::Upper => name.to_ascii_uppercase(),
            Self::Camel => {
                let mut c = name.chars();
                match c.next() {
                    Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            }
            Self::Snake => {
                let mut out = String::new();
                for (i, ch) in name.char_indices() {
                    if i > 0 && ch.is_uppercase() {
                        out.push('_');
                    }
                    out.push(ch.to_ascii_lowercase());
                }
                out
            }
            Self::ScreamingSnake => Self::Snake.variant(name).to_ascii_uppercase(),
            Self::Kebab => Self::Snake.variant(name).replace('_', "-"),
            Self::ScreamingKebab => Self::ScreamingSnake.variant(name).replace('_', "-"),
        }
    }

    /// A field name (written in snake_case in Rust).
    pub fn field(self, name: &str) -> String {
        match self {
            Self::Lower | Self::Snake => name.to_owned(),
            Self::Upper | Self::ScreamingSnake => name.to_ascii_uppercase(),
            Self::Pascal => {
                let mut out = String::new();
                let mut upper = true;
                for ch in name.chars() {
                    if ch == '_' {
                        upper = true;
                    } else if upper {
                        out.push(ch.to_ascii_uppercase());
                        upper = false;
                    } else {
                        out.push(ch);
                    }
                }
                out
            }
            Self::Camel => {
                let pascal = Self::Pascal.field(name);
                let mut c = pascal.chars();
                match c.next() {
                    Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            }
            Self::Kebab => name.replace('_', "-"),
            Self::ScreamingKebab => Self::ScreamingSnake.field(name).replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn variants_match_serde() {
        for (rule, out) in [
            (Lower, "verylongvariant"),
            (Upper, "VERYLONGVARIANT"),
            (Pascal, "VeryLongVariant"),
            (Camel, "veryLongVariant"),
            (Snake, "very_long_variant"),
            (ScreamingSnake, "VERY_LONG_VARIANT"),
            (Kebab, "very-long-variant"),
            (ScreamingKebab, "VERY-LONG-VARIANT"),
        ] {
            assert_eq!(rule.variant("VeryLongVariant"), out, "{rule:?}");
        }
    }

    #[test]
    fn fields_match_serde() {
        for (rule, out) in [
            (Lower, "very_long_field"),
            (Upper, "VERY_LONG_FIELD"),
            (Pascal, "VeryLongField"),
            (Camel, "veryLongField"),
            (Snake, "very_long_field"),
            (ScreamingSnake, "VERY_LONG_FIELD"),
            (Kebab, "very-long-field"),
            (ScreamingKebab, "VERY-LONG-FIELD"),
        ] {
            assert_eq!(rule.field("very_long_field"), out, "{rule:?}");
        }
    }
}
