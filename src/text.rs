//! Small formatting helpers shared by pages and mails.

use std::borrow::Cow;
use std::fmt::Write as _;

/// 1234567 → "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `c` can change how a terminal shows what follows: control
/// characters (C0, DEL, C1: escape sequences, carriage return, ...) and the
/// Unicode marks and overrides that reorder bidirectional text.
fn moves_the_display(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from outside (a name inside an archive, say), safe to print on a
/// terminal: every character that [`moves_the_display`] is written as
/// `\u{..}`, and a backslash as `\\`, so that what is printed can neither
/// clear the screen nor rewrite a line, and tells exactly what was there.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || moves_the_display(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if moves_the_display(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
    }

    #[test]
    fn printable_escapes_what_could_rewrite_a_terminal() {
        assert!(matches!(printable("signatures.csv"), Cow::Borrowed("signatures.csv")));
        assert_eq!(printable("王秀英 é"), "王秀英 é");
        assert_eq!(printable("\x1b[2Jx.csv"), "\\u{1b}[2Jx.csv");
        assert_eq!(printable("a\rb\nc\td\0\x7f\u{9b}"), "a\\u{d}b\\u{a}c\\u{9}d\\u{0}\\u{7f}\\u{9b}");
        assert_eq!(printable("evil\u{202e}vsc.exe"), "evil\\u{202e}vsc.exe");
        // A name that spells an escape is told apart from one that holds it.
        assert_eq!(printable("\\u{1b}"), "\\\\u{1b}");
        assert!(!printable("\x1b]0;title\x07").chars().any(char::is_control));
    }
}
