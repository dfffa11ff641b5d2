use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// One thing wrong with a field: the English text (what the JSON API
/// answers), and the id of the same message in the page translations
/// (src/locales), with its one argument if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub text: String,
    pub message_id: Option<&'static str>,
    pub arg: Option<(&'static str, String)>,
}

impl Problem {
    /// A problem with a translated message.
    pub fn localised(text: impl ToString, message_id: &'static str) -> Self {
        Self { text: text.to_string(), message_id: Some(message_id), arg: None }
    }

    pub fn with_arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.arg = Some((name, value.to_string()));
        self
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// A parse error, with the id of its message in the page translations if
/// people ever see it on a page.
pub trait Localised: std::fmt::Display {
    fn message_id(&self) -> Option<&'static str>;
}

impl<E: Localised> From<E> for Problem {
    fn from(e: E) -> Self {
        Problem { text: e.to_string(), message_id: e.message_id(), arg: None }
    }
}

/// Messages for each invalid field of a submitted form, keyed by field name.
///
/// Serialises as `{"field": ["message", ...]}` (English), the shape of the
/// JSON API's 422 answer, and feeds the messages shown next to each field of
/// an HTML form, in the page's language.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<Problem>>);

impl FieldErrors {
    /// Adds a message that has no translation (the organisers' forms).
    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        self.push(field, Problem { text: message.to_string(), message_id: None, arg: None });
    }

    pub fn push(&mut self, field: &'static str, problem: Problem) {
        self.0.entry(field).or_default().push(problem);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The English messages of a field.
    pub fn get(&self, field: &str) -> Vec<&str> {
        self.problems(field).iter().map(|p| p.text.as_str()).collect()
    }

    pub fn problems(&self, field: &str) -> &[Problem] {
        self.0.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &[Problem])> {
        self.0.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// Records the error of a field parse and yields its value if it parsed.
    pub fn check<T, E: Into<Problem>>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.push(field, e.into());
                None
            }
        }
    }
}
