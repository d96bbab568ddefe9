//! The digest email: templates in `templates/email/digest/` (compiled into the binary, HTML
//! auto-escaped) and the message built from a claimed delivery.

use askama::Template;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, header};

use super::{MailError, Mailer};
use crate::domain::digest::compose::Digest;
use crate::domain::digest::deliveries::{Rendered, Renderer};
use crate::domain::digest::queue::Claimed;
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "email/digest/body.txt")]
struct Text<'a> {
    d: &'a Digest,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/digest/body.html")]
struct Html<'a> {
    d: &'a Digest,
    base_url: &'a str,
}

/// Renders digests with the service's public base URL.
#[derive(Debug, Clone)]
pub struct DigestRenderer {
    pub base_url: String,
}

impl Renderer for DigestRenderer {
    fn render(&self, digest: &Digest) -> Result<Rendered> {
        let base_url = &self.base_url;
        Ok(Rendered {
            text: Text {
                d: digest,
                base_url,
            }
            .render()
            .map_err(Error::internal)?,
            html: Html {
                d: digest,
                base_url,
            }
            .render()
            .map_err(Error::internal)?,
        })
    }
}

impl Mailer {
    /// The message for a claimed delivery. Its Message-ID is derived from the delivery, so a
    /// resend after a crash carries the same id.
    pub fn digest_message(&self, delivery: &Claimed) -> Result<Message, MailError> {
        let to = Mailbox::new(
            Some(delivery.display_name.clone()),
            delivery
                .email
                .parse()
                .map_err(|e: lettre::address::AddressError| {
                    MailError::Config("recipient", e.to_string())
                })?,
        );
        Ok(Message::builder()
            .from(self.from_address().clone())
            .to(to)
            .subject(delivery.subject.clone())
            .message_id(Some(message_id(delivery)))
            .header(header::MIME_VERSION_1_0)
            .multipart(MultiPart::alternative_plain_html(
                delivery.body_text.clone(),
                delivery.body_html.clone(),
            ))?)
    }
}

/// `<delivery-id@recotrack>`.
pub fn message_id(delivery: &Claimed) -> String {
    format!("<{}@recotrack>", delivery.id)
}
