//! Pages and mails in the six official UN languages: Project Fluent
//! messages (src/locales/<language>/main.ftl, compiled into the binary) and
//! CLDR data through ICU4X for numbers, dates and country names.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use icu_locale_core::Locale;

use crate::domain::{Country, Language, Problem};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: names and titles in
        // another script are isolated in the HTML (<bdi>) where it matters,
        // and mail subjects stay plain.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The language identifiers of the six languages, in `Language::ALL` order.
static LANGIDS: LazyLock<Vec<LanguageIdentifier>> =
    LazyLock::new(|| Language::ALL.iter().map(|l| l.code().parse().unwrap_or_default()).collect());

fn langid(lang: Language) -> &'static LanguageIdentifier {
    let i = Language::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    &LANGIDS[i]
}

/// The CLDR locale of a language, always with the Gregorian calendar.
fn locale(lang: Language) -> Locale {
    Locale::try_from_str(&format!("{}-u-ca-gregory", lang.code())).unwrap_or(Locale::UNKNOWN)
}

/// Every selectable country with its name in each language, sorted the way
/// that language sorts.
static COUNTRIES: LazyLock<Vec<Vec<(Country, String)>>> =
    LazyLock::new(|| Language::ALL.iter().map(|l| country_list(*l)).collect());

fn country_list(lang: Language) -> Vec<(Country, String)> {
    use icu_experimental::displaynames::{DisplayNamesOptions, RegionDisplayNames};
    let loc = locale(lang);
    let names = RegionDisplayNames::try_new(loc.clone().into(), DisplayNamesOptions::default()).ok();
    let mut list: Vec<(Country, String)> = Country::all()
        .iter()
        .map(|(c, english)| {
            let name = names
                .as_ref()
                .and_then(|n| c.code().parse().ok().and_then(|r| n.of(r)))
                .map(str::to_owned)
                .unwrap_or_else(|| english.clone());
            (*c, name)
        })
        .collect();
    match icu_collator::Collator::try_new(loc.into(), Default::default()) {
        Ok(collator) => list.sort_by(|a, b| collator.compare(&a.1, &b.1)),
        Err(_) => list.sort_by(|a, b| a.1.cmp(&b.1)),
    }
    list
}

/// A translator for one language: what templates and mails call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr {
    pub lang: Language,
}

type Args = HashMap<Cow<'static, str>, FluentValue<'static>>;

impl Tr {
    pub const ENGLISH: Tr = Tr { lang: Language::En };

    pub fn new(lang: Language) -> Self {
        Self { lang }
    }

    /// The language tag, for `lang` attributes.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// "rtl" or "ltr", for `dir` attributes.
    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }

    fn lookup(&self, id: &str, args: Option<&Args>) -> String {
        LOCALES.lookup_complete(langid(self.lang), id, args)
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        self.lookup(id, None)
    }

    /// The message `id` with one text argument.
    pub fn t1(&self, id: &str, name: &'static str, value: &str) -> String {
        let args = Args::from([(Cow::Borrowed(name), FluentValue::from(value.to_owned()))]);
        self.lookup(id, Some(&args))
    }

    /// The message `id` with two text arguments.
    pub fn t2(&self, id: &str, a: (&'static str, &str), b: (&'static str, &str)) -> String {
        let args = Args::from([
            (Cow::Borrowed(a.0), FluentValue::from(a.1.to_owned())),
            (Cow::Borrowed(b.0), FluentValue::from(b.1.to_owned())),
        ]);
        self.lookup(id, Some(&args))
    }

    /// A message about a number of things: `$count` selects the plural
    /// form, `$shown` is the number formatted for the language.
    pub fn count(&self, id: &str, n: i64) -> String {
        self.lookup(id, Some(&self.count_args(n)))
    }

    /// "1,234 signatures of a goal of 10,000".
    pub fn count_of_goal(&self, n: i64, goal: i64) -> String {
        let mut args = self.count_args(n);
        args.insert(Cow::Borrowed("goal"), FluentValue::from(self.number(goal)));
        self.lookup("count-with-goal", Some(&args))
    }

    fn count_args(&self, n: i64) -> Args {
        Args::from([
            (Cow::Borrowed("count"), FluentValue::from(n)),
            (Cow::Borrowed("shown"), FluentValue::from(self.number(n))),
        ])
    }

    /// A field's problem in this language (its English text if it has no
    /// translation).
    pub fn problem(&self, problem: &Problem) -> String {
        match (problem.message_id, &problem.arg) {
            (Some(id), Some((name, value))) => self.t1(id, name, value),
            (Some(id), None) => self.t(id),
            (None, _) => problem.text.clone(),
        }
    }

    /// A whole number with the language's digits and grouping.
    pub fn number(&self, n: i64) -> String {
        thread_local! {
            static FORMATTERS: std::cell::RefCell<HashMap<Language, icu_decimal::DecimalFormatter>> =
                std::cell::RefCell::new(HashMap::new());
        }
        FORMATTERS.with(|cache| {
            let mut cache = cache.borrow_mut();
            let formatter = match cache.entry(self.lang) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    match icu_decimal::DecimalFormatter::try_new(locale(self.lang).into(), Default::default()) {
                        Ok(f) => e.insert(f),
                        Err(_) => return crate::text::thousands(n),
                    }
                }
            };
            formatter.format(&icu_decimal::input::Decimal::from(n)).to_string()
        })
    }

    /// A calendar date, written out: "27 November 2026", "27 novembre 2026",
    /// "2026年11月27日".
    pub fn date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        use icu_datetime::DateTimeFormatter;
        use icu_datetime::fieldsets::YMD;
        use icu_datetime::input::Date;
        let formatted = Date::try_new_iso(date.year(), date.month() as u8, date.day() as u8).ok().and_then(|d| {
            let f = DateTimeFormatter::try_new(locale(self.lang).into(), YMD::long()).ok()?;
            Some(f.format(&d).to_string())
        });
        formatted.unwrap_or_else(|| date.format("%Y-%m-%d").to_string())
    }

    /// A duration in the largest whole unit that fits: "7 days", "1 hour".
    pub fn duration(&self, d: Duration) -> String {
        let secs = d.as_secs();
        let (n, id) = match secs {
            s if s >= 86_400 && s.is_multiple_of(86_400) => (s / 86_400, "duration-days"),
            s if s >= 3_600 && s.is_multiple_of(3_600) => (s / 3_600, "duration-hours"),
            s if s >= 60 => (s / 60, "duration-minutes"),
            s => (s, "duration-seconds"),
        };
        let args = Args::from([(Cow::Borrowed("n"), FluentValue::from(n))]);
        self.lookup(id, Some(&args))
    }

    /// How long ago something was, in the largest unit that has passed
    /// whole, rounded down: "5 seconds ago", "3 minutes ago", "2 days ago".
    pub fn ago(&self, d: Duration) -> String {
        let (n, id) = ago_unit(d.as_secs());
        let args = Args::from([(Cow::Borrowed("n"), FluentValue::from(n))]);
        self.lookup(id, Some(&args))
    }

    /// Every country with its name in this language, sorted for it.
    pub fn countries(&self) -> &'static [(Country, String)] {
        let i = Language::ALL.iter().position(|l| *l == self.lang).unwrap_or(0);
        &COUNTRIES[i]
    }

    pub fn country_name(&self, country: Country) -> &'static str {
        self.countries().iter().find(|(c, _)| *c == country).map(|(_, n)| n.as_str()).unwrap_or(country.code())
    }

    /// The language menu: each language, and whether it is this one.
    pub fn menu(&self) -> Vec<(Language, bool)> {
        Language::ALL.iter().map(|l| (*l, *l == self.lang)).collect()
    }
}

/// An age in seconds as a number of the largest unit that has passed whole
/// (rounded down), and the message that says it.
fn ago_unit(secs: u64) -> (u64, &'static str) {
    match secs {
        s if s >= 86_400 => (s / 86_400, "ago-days"),
        s if s >= 3_600 => (s / 3_600, "ago-hours"),
        s if s >= 60 => (s / 60, "ago-minutes"),
        s => (s, "ago-seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_in_the_largest_whole_unit_rounded_down() {
        assert_eq!(ago_unit(0), (0, "ago-seconds"));
        assert_eq!(ago_unit(59), (59, "ago-seconds"));
        assert_eq!(ago_unit(60), (1, "ago-minutes"));
        assert_eq!(ago_unit(3_599), (59, "ago-minutes"));
        assert_eq!(ago_unit(3_600), (1, "ago-hours"));
        assert_eq!(ago_unit(86_399), (23, "ago-hours"));
        assert_eq!(ago_unit(86_400 * 3 + 7), (3, "ago-days"));
        let en = Tr::new(Language::En);
        assert_eq!(en.ago(Duration::from_secs(1)), "1 second ago");
        assert_eq!(en.ago(Duration::from_secs(125)), "2 minutes ago");
        let ru = Tr::new(Language::Ru);
        assert_eq!(ru.ago(Duration::from_secs(1)), "1 секунду назад");
        assert_eq!(ru.ago(Duration::from_secs(5)), "5 секунд назад");
    }

    fn ids(ftl: &str) -> std::collections::BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_language_has_every_message_and_no_other() {
        let english = ids(include_str!("locales/en/main.ftl"));
        assert!(english.len() > 100);
        for lang in Language::ALL {
            let path = format!("{}/src/locales/{}/main.ftl", env!("CARGO_MANIFEST_DIR"), lang.code());
            let text = std::fs::read_to_string(&path).unwrap();
            let theirs = ids(&text);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{path}: missing {missing:?}, extra {extra:?}");
            let tr = Tr::new(lang);
            let mut args = tr.count_args(3);
            for name in [
                "title",
                "name",
                "goal",
                "percent",
                "addressee",
                "date",
                "duration",
                "url",
                "domain",
                "ago",
                "size",
                "index",
                "problem",
            ] {
                args.insert(Cow::Borrowed(name), FluentValue::from("x"));
            }
            args.insert(Cow::Borrowed("n"), FluentValue::from(2));
            for id in &english {
                // This language alone, no fallback: a broken message fails here.
                let text = LOCALES.lookup_single_language(langid(lang), id, Some(&args));
                assert!(text.as_ref().is_ok_and(|t| !t.trim().is_empty()), "{path}: {id}: {text:?}");
            }
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let en = Tr::new(Language::En);
        assert_eq!(en.count("signature-count", 1), "1 signature");
        assert_eq!(en.count("signature-count", 1234), "1,234 signatures");
        let ru = Tr::new(Language::Ru);
        let (one, few, many) =
            (ru.count("signature-count", 21), ru.count("signature-count", 3), ru.count("signature-count", 5));
        assert!(one != few && few != many && one != many, "{one} / {few} / {many}");
        let fr = Tr::new(Language::Fr);
        assert!(fr.count("signature-count", 1234).starts_with("1\u{202f}234"), "{}", fr.count("signature-count", 1234));
    }

    #[test]
    fn numbers_dates_and_countries_in_each_language() {
        assert_eq!(Tr::new(Language::En).number(1234567), "1,234,567");
        assert_eq!(Tr::new(Language::Zh).number(1234567), "1,234,567");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(Tr::new(Language::En).date(date), "November 27, 2026");
        assert!(Tr::new(Language::Fr).date(date).contains("novembre"));
        assert!(Tr::new(Language::Zh).date(date).contains("年"));
        let ch = Country::parse("CH").unwrap();
        assert_eq!(Tr::new(Language::Fr).country_name(ch), "Suisse");
        assert_eq!(Tr::new(Language::Ru).country_name(ch), "Швейцария");
        for lang in Language::ALL {
            let list = Tr::new(lang).countries();
            assert_eq!(list.len(), Country::all().len());
        }
        // French sorts "Égypte" with the E's, not after "Zimbabwe".
        let fr = Tr::new(Language::Fr).countries();
        let egypt = fr.iter().position(|(c, _)| c.code() == "EG").unwrap();
        let zimbabwe = fr.iter().position(|(c, _)| c.code() == "ZW").unwrap();
        assert!(egypt < zimbabwe);
    }
}
