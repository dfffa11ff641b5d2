//! The text of each mail, from templates compiled into the binary
//! (src/templates/email). No images, no tracking, no remote content.

use askama::Template;

use crate::domain::MailKind;
use crate::i18n::Tr;

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
    tr: Tr,
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/confirm.html")]
struct ConfirmHtml<'a> {
    tr: Tr,
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/already_signed.txt")]
struct AlreadyText<'a> {
    tr: Tr,
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
}

#[derive(Template)]
#[template(path = "email/already_signed.html")]
struct AlreadyHtml<'a> {
    tr: Tr,
    name: &'a str,
    title: &'a str,
    links: &'a MailLinks,
}

/// Renders the mail of `kind` to `name` about the petition `title`, in the
/// language of `tr`.
pub fn render(
    kind: MailKind,
    name: &str,
    title: &str,
    links: &MailLinks,
    tr: Tr,
    confirmation_ttl: std::time::Duration,
) -> askama::Result<MailContent> {
    let valid_for = &tr.duration(confirmation_ttl);
    Ok(match kind {
        MailKind::Confirm => MailContent {
            subject: tr.t1("mail-confirm-subject", "title", title),
            text: ConfirmText { tr, name, title, links, valid_for }.render()?,
            html: ConfirmHtml { tr, name, title, links, valid_for }.render()?,
        },
        MailKind::AlreadySigned => MailContent {
            subject: tr.t1("mail-already-subject", "title", title),
            text: AlreadyText { tr, name, title, links }.render()?,
            html: AlreadyHtml { tr, name, title, links }.render()?,
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
        let week = std::time::Duration::from_secs(7 * 86_400);
        let m = render(MailKind::Confirm, "Ada <b>", "Free & fair", &links(), Tr::ENGLISH, week).unwrap();
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
    fn mails_are_written_in_the_signers_language() {
        let week = std::time::Duration::from_secs(7 * 86_400);
        for lang in crate::domain::Language::ALL {
            let tr = Tr::new(lang);
            let m = render(MailKind::Confirm, "Ада", "Titre", &links(), tr, week).unwrap();
            assert!(m.subject.contains("Titre"));
            assert!(m.text.contains(&tr.t("mail-confirm-open-link")), "{lang:?}");
            assert!(m.html.contains(&format!("lang=\"{}\"", lang.code())));
            assert!(m.text.contains(&tr.duration(week)));
        }
        let ar = render(MailKind::Confirm, "Ada", "T", &links(), Tr::new(crate::domain::Language::Ar), week).unwrap();
        assert!(ar.html.contains("dir=\"rtl\""));
    }

    #[test]
    fn already_signed_has_no_confirm_link() {
        let week = std::time::Duration::from_secs(7 * 86_400);
        let m = render(MailKind::AlreadySigned, "Ada", "T", &links(), Tr::ENGLISH, week).unwrap();
        assert!(m.text.contains("/withdraw"));
        assert!(!m.text.contains("https://x.test/s/TOKEN\n"));
    }
}
