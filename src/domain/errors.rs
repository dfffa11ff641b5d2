use std::collections::BTreeMap;

use serde::Serialize;

/// Messages for each invalid field of a submitted form, keyed by field name.
///
/// Serialises as `{"field": ["message", ...]}`, the shape of the JSON API's
/// 422 answer, and feeds the messages shown next to each field of an HTML form.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        self.0.entry(field).or_default().push(message.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> &[String] {
        self.0.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &[String])> {
        self.0.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// Records the error of a field parse and yields its value if it parsed.
    pub fn check<T, E: ToString>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
}
