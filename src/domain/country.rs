use std::sync::LazyLock;

use icu_experimental::displaynames::{DisplayNamesOptions, RegionDisplayNames};
use icu_locale_core::{locale, subtags::Region};
use isocountry::CountryCode;

/// A country or territory: an ISO 3166-1 alpha-2 code, plus `XK` (Kosovo),
/// the user-assigned code in general use, so that nobody is left without a
/// choice in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(&'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("Choose your country")]
    Empty,
    #[error("Choose a country from the list")]
    Unknown,
}

impl super::errors::Localised for CountryError {
    fn message_id(&self) -> Option<&'static str> {
        Some(match self {
            Self::Empty => "error-country-empty",
            Self::Unknown => "error-country-unknown",
        })
    }
}

const KOSOVO: &str = "XK";

/// Every selectable country with its English name (CLDR short names, the
/// ones people use: "Taiwan", "United Kingdom", "South Korea"), sorted by name.
static ENGLISH_NAMES: LazyLock<Vec<(Country, String)>> = LazyLock::new(|| {
    let names = RegionDisplayNames::try_new(locale!("en").into(), DisplayNamesOptions::default()).ok();
    let mut list: Vec<(Country, String)> = CountryCode::iter()
        .map(|c| c.alpha2())
        .chain(std::iter::once(KOSOVO))
        .map(|code| {
            let name = names
                .as_ref()
                .and_then(|n| code.parse::<Region>().ok().and_then(|r| n.of(r)))
                .map(str::to_owned)
                .unwrap_or_else(|| code.to_owned());
            (Country(code), name)
        })
        .collect();
    list.sort_by_cached_key(|(_, name)| sort_key(name));
    list
});

/// Orders "Åland Islands" with the A's and "Côte d’Ivoire" with the C's.
fn sort_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd().filter(char::is_ascii).collect::<String>().to_lowercase()
}

impl Country {
    pub fn parse(input: &str) -> Result<Self, CountryError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(CountryError::Empty);
        }
        if code == KOSOVO {
            return Ok(Self(KOSOVO));
        }
        CountryCode::for_alpha2(&code).map(|c| Self(c.alpha2())).map_err(|_| CountryError::Unknown)
    }

    pub fn code(&self) -> &'static str {
        self.0
    }

    pub fn name(&self) -> &'static str {
        ENGLISH_NAMES.iter().find(|(c, _)| c == self).map(|(_, n)| n.as_str()).unwrap_or(self.0)
    }

    /// All countries, sorted by name, for the form's select.
    pub fn all() -> &'static [(Country, String)] {
        &ENGLISH_NAMES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_in_any_case() {
        assert_eq!(Country::parse(" fr ").unwrap().code(), "FR");
        assert_eq!(Country::parse("XK").unwrap().code(), "XK");
        assert_eq!(Country::parse(""), Err(CountryError::Empty));
        for bad in ["ZZ", "UK", "FRA", "F", "1", "É"] {
            assert_eq!(Country::parse(bad), Err(CountryError::Unknown), "{bad}");
        }
    }

    #[test]
    fn names_are_the_common_ones() {
        assert_eq!(Country::parse("TW").unwrap().name(), "Taiwan");
        assert_eq!(Country::parse("GB").unwrap().name(), "United Kingdom");
        assert_eq!(Country::parse("CH").unwrap().name(), "Switzerland");
        assert!(Country::all().len() >= 250);
        assert_eq!(Country::all()[0].0.code(), "AF");
        assert!(Country::all().iter().all(|(c, n)| n != c.code()), "every country has a name");
    }
}
