//! The digest email and a subscription's: templates in `templates/email/{digest,view}/`
//! (compiled into the binary, HTML auto-escaped), and the message built from a claimed delivery.

use askama::Template;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, header};

use super::{MailError, Mailer};
use crate::domain::digest::compose::Digest;
use crate::domain::digest::deliveries::{Rendered, Renderer};
use crate::domain::digest::queue::Claimed;
use crate::domain::subscriptions::plan::{ViewMail, ViewRenderer};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "email/digest/body.txt")]
struct Text<'a> {
    d: &'a Digest,
}

#[derive(Template)]
#[template(path = "email/digest/body.html")]
struct Html<'a> {
    d: &'a Digest,
}

#[derive(Template)]
#[template(path = "email/view/body.txt")]
struct ViewText<'a> {
    m: &'a ViewMail,
}

#[derive(Template)]
#[template(path = "email/view/body.html")]
struct ViewHtml<'a> {
    m: &'a ViewMail,
}

impl ViewRenderer for DigestRenderer {
    fn render_view(&self, mail: &ViewMail) -> Result<Rendered> {
        Ok(Rendered {
            text: ViewText { m: mail }.render().map_err(Error::internal)?,
            html: ViewHtml { m: mail }.render().map_err(Error::internal)?,
        })
    }
}

/// Renders digests and subscriptions' emails (their links are made when composing).
#[derive(Debug, Clone, Copy)]
pub struct DigestRenderer;

impl Renderer for DigestRenderer {
    fn render(&self, digest: &Digest) -> Result<Rendered> {
        Ok(Rendered {
            text: Text { d: digest }.render().map_err(Error::internal)?,
            html: Html { d: digest }.render().map_err(Error::internal)?,
        })
    }
}

impl Mailer {
    /// The message for a claimed delivery. Its Message-ID is derived from the delivery, so a
    /// resend after a crash carries the same id.
    /// `host` names the service in the Message-ID (see [`host_of`]).
    pub fn digest_message(&self, delivery: &Claimed, host: &str) -> Result<Message, MailError> {
        let to = Mailbox::new(
            Some(delivery.display_name.clone()),
            delivery
                .email
                .parse()
                .map_err(|e: lettre::address::AddressError| {
                    MailError::Config("recipient", e.to_string())
                })?,
        );
        let mut builder = Message::builder()
            .from(self.from_address().clone())
            .to(to)
            .subject(delivery.subject.clone())
            .message_id(Some(message_id(delivery, host)))
            .header(header::MIME_VERSION_1_0)
            // RFC 3834: an automatic message, so auto-responders stay quiet.
            .header(AutoSubmitted);
        if let Some(url) = &delivery.unsubscribe_url {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        Ok(builder.multipart(MultiPart::alternative_plain_html(
            delivery.body_text.clone(),
            delivery.body_html.clone(),
        ))?)
    }
}

/// `<delivery-id@host>`, the host of the service's base URL.
pub fn message_id(delivery: &Claimed, host: &str) -> String {
    format!("<{}@{host}>", delivery.id)
}

/// The host part of a base URL, for Message-IDs (`recotrack` when it has none).
pub fn host_of(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host.is_empty() {
        "recotrack".to_owned()
    } else {
        host.to_owned()
    }
}

macro_rules! text_header {
    ($(#[$doc:meta])* $name:ident, $header:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        struct $name(String);

        impl header::Header for $name {
            fn name() -> header::HeaderName {
                header::HeaderName::new_from_ascii_str($header)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_owned()))
            }
            fn display(&self) -> header::HeaderValue {
                header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// `List-Unsubscribe: <https://...>` (RFC 2369).
    ListUnsubscribe,
    "List-Unsubscribe"
);

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}
