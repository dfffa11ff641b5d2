//! Email parsing and canonicalisation on any text: never a panic; an
//! accepted address parses again to itself, and canonical forms are stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use undersigned::domain::EmailAddress;

fuzz_target!(|text: &str| {
    if let Ok(email) = EmailAddress::parse(text) {
        let again = EmailAddress::parse(email.as_str()).expect("an accepted address parses again");
        assert_eq!(again.as_str(), email.as_str());
        let canonical = email.canonical();
        if let Ok(c) = EmailAddress::parse(&canonical) {
            assert_eq!(c.canonical(), canonical, "canonical forms are fixed points");
        }
    }
});
