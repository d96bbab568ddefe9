//! Outgoing email: SMTP when a host is configured, otherwise `.eml` files in a local outbox,
//! so a default run never needs a mail server.

pub mod digest;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{EmailSettings, SmtpSecurity};

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email setting `{0}` is invalid: {1}")]
    Config(&'static str, String),
    #[error("building the message failed: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP server did not accept the message: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing to the outbox failed: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
}

/// Where messages go.
#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

/// Sends messages from the configured sender through the configured transport.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(_) => "outbox",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .field("transport", &kind)
            .finish()
    }
}

impl Mailer {
    /// Builds the transport the settings ask for (creating the outbox directory if needed).
    pub fn from_settings(settings: &EmailSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings.from.clone();
        let transport = if settings.smtp_host.trim().is_empty() {
            std::fs::create_dir_all(&settings.outbox_dir)
                .map_err(|e| MailError::Config("email.outbox_dir", e.to_string()))?;
            Transport::Outbox(AsyncFileTransport::new(&settings.outbox_dir))
        } else {
            Transport::Smtp(smtp_transport(settings)?)
        };
        Ok(Self { from, transport })
    }

    /// The sender every message carries.
    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    /// Hands `message` to the transport; returns once the SMTP server accepted it (or the file
    /// is written).
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ())?,
            Transport::Outbox(outbox) => outbox.send(message).await.map(|_| ())?,
        }
        Ok(())
    }
}

fn smtp_transport(
    settings: &EmailSettings,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let host = settings.smtp_host.trim();
    let tls = || {
        TlsParameters::new(host.to_owned())
            .map_err(|e| MailError::Config("email.smtp_host", e.to_string()))
    };
    let tls = match settings.smtp_security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::Starttls => Tls::Required(tls()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.smtp_port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs)));
    if !settings.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            settings.smtp_password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}
