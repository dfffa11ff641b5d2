//! The text of each mail, from templates compiled into the binary
//! (src/templates/email). No images, no tracking, no remote content.

use askama::Template;

use crate::domain::MailKind;

pub struct MailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The links a mail carries, already absolute (`PUBLIC_URL` + path).
pub struct MailLinks {
    pub petition: String,
    pub confirm: String,
    pub withdraw: String,
}

#[derive(Template)]
#[template(path = "email/confirm.txt")]
struct ConfirmText<'a> {
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/confirm.html")]
struct ConfirmHtml<'a> {
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/already_signed.txt")]
struct AlreadyText<'a> {
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
}

#[derive(Template)]
#[template(path = "email/already_signed.html")]
struct AlreadyHtml<'a> {
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
}

/// Renders the mail of `kind` to `name` about the petition `title`.
pub fn render(
    kind: MailKind,
    name: &str,
    title: &str,
    links: &MailLinks,
    valid_for: &str,
) -> askama::Result<MailContent> {
    Ok(match kind {
        MailKind::Confirm => MailContent {
            subject: format!("Please confirm your signature: {title}"),
            text: ConfirmText { name, title, links, valid_for }.render()?,
            html: ConfirmHtml { name, title, links, valid_for }.render()?,
        },
        MailKind::AlreadySigned => MailContent {
            subject: format!("You have already signed: {title}"),
            text: AlreadyText { name, title, links }.render()?,
            html: AlreadyHtml { name, title, links }.render()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> MailLinks {
        MailLinks {
            petition: "https://x.test/p/a".into(),
            confirm: "https://x.test/s/TOKEN".into(),
            withdraw: "https://x.test/s/TOKEN/withdraw".into(),
        }
    }

    #[test]
    fn confirmation_names_the_petition_and_carries_both_links() {
        let m = render(MailKind::Confirm, "Ada <b>", "Free & fair", &links(), "7 days").unwrap();
        assert!(m.subject.contains("Free & fair"));
        for part in [&m.text, &m.html] {
            assert!(part.contains("https://x.test/s/TOKEN"));
            assert!(part.contains("https://x.test/s/TOKEN/withdraw"));
            assert!(part.contains("7 days"));
        }
        assert!(m.text.contains("Ada <b>"), "plain text is not escaped");
        assert!(m.html.contains("Ada &#60;b&#62;") || m.html.contains("Ada &lt;b&gt;"), "HTML is escaped");
        assert!(!m.html.contains("<img"), "no tracking pixels");
    }

    #[test]
    fn already_signed_has_no_confirm_link() {
        let m = render(MailKind::AlreadySigned, "Ada", "T", &links(), "7 days").unwrap();
        assert!(m.text.contains("/withdraw"));
        assert!(!m.text.contains("https://x.test/s/TOKEN\n"));
    }
}
