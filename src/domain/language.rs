/// A language the pages and mails are written in: the six official
/// languages of the United Nations. Anything else falls back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Language {
    Ar,
    Zh,
    #[default]
    En,
    Fr,
    Ru,
    Es,
}

impl Language {
    /// In the UN's order (alphabetical in English): the language menu's order.
    pub const ALL: [Language; 6] = [Self::Ar, Self::Zh, Self::En, Self::Fr, Self::Ru, Self::Es];

    /// The BCP 47 tag: "ar", "zh", "en", "fr", "ru", "es".
    pub fn code(self) -> &'static str {
        match self {
            Self::Ar => "ar",
            Self::Zh => "zh",
            Self::En => "en",
            Self::Fr => "fr",
            Self::Ru => "ru",
            Self::Es => "es",
        }
    }

    /// The language of a BCP 47 tag, by its primary subtag, in any case:
    /// "fr-CA" is French, "zh-Hans-CN" Chinese. None for other languages.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Self::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// As stored: an unknown value (none is ever written) reads as English.
    pub fn from_db(code: &str) -> Self {
        Self::parse(code).unwrap_or_default()
    }

    /// The language's name in itself, for the language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::Ar => "العربية",
            Self::Zh => "中文",
            Self::En => "English",
            Self::Fr => "Français",
            Self::Ru => "Русский",
            Self::Es => "Español",
        }
    }

    /// "rtl" for Arabic, "ltr" for the others: the `dir` attribute.
    pub fn dir(self) -> &'static str {
        if self == Self::Ar { "rtl" } else { "ltr" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_by_primary_subtag() {
        assert_eq!(Language::parse("fr-CA"), Some(Language::Fr));
        assert_eq!(Language::parse("ZH-hans-cn"), Some(Language::Zh));
        assert_eq!(Language::parse("zh_TW"), Some(Language::Zh));
        assert_eq!(Language::parse(" ar "), Some(Language::Ar));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::parse("english"), None);
        assert_eq!(Language::parse(""), None);
        assert_eq!(Language::from_db("xx"), Language::En);
        for l in Language::ALL {
            assert_eq!(Language::parse(l.code()), Some(l));
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_to_one_of_six_or_none(tag in "\\PC{0,20}") {
            if let Some(l) = Language::parse(&tag) {
                prop_assert!(tag.trim().to_ascii_lowercase().starts_with(l.code()));
            }
        }
    }
}
