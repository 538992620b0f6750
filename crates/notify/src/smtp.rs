//! Email over SMTP (lettre). `smtp://host:port` is plain SMTP (tests, a local relay);
//! `smtps://host:port` is implicit TLS; `smtp://host:587?tls=required` is STARTTLS; user and
//! password in the URL authenticate. The message's `Message-ID` is derived from the
//! dispatcher's idempotency key, so a message is recognisable across attempts (and the test
//! fake counts deliveries by it).

use crate::channel::{Accepted, Channel, ChannelKind, Outgoing, SendError};
use futures::future::BoxFuture;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Why an SMTP channel cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("smtp_url: {0}")]
    Url(String),
    #[error("smtp_from: {0}")]
    From(String),
}

pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of `Message-ID`s (the sender's).
    domain: String,
}

impl SmtpChannel {
    /// `timeout` bounds each SMTP command (lettre's), so a hung relay costs one attempt.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<SmtpChannel, SmtpConfigError> {
        let from: Mailbox = from.parse().map_err(|e| SmtpConfigError::From(format!("{e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpConfigError::Url(format!("{e}")))?
            .timeout(Some(timeout))
            .build();
        let domain = from.email.domain().to_owned();
        Ok(SmtpChannel { transport, from, domain })
    }

    /// Checks the settings without building a transport (building one starts the connection
    /// pool's task, which needs a running runtime): for configuration checks.
    pub fn check(url: &str, from: &str) -> Result<(), SmtpConfigError> {
        from.parse::<Mailbox>().map_err(|e| SmtpConfigError::From(format!("{e}")))?;
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| SmtpConfigError::Url(format!("{e}")))?;
        Ok(())
    }

    fn build(&self, msg: &Outgoing) -> Result<Message, SendError> {
        let to: Mailbox =
            msg.to.parse().map_err(|e| SendError::Permanent { reason: format!("recipient address: {e}") })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone().unwrap_or_default())
            .message_id(Some(format!("<{}@{}>", msg.idempotency_key, self.domain)));
        let text = SinglePart::plain(msg.text.clone());
        let body = match &msg.html {
            Some(html) => MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(html.clone())),
            None => MultiPart::alternative().singlepart(text),
        };
        let built = if msg.attachments.is_empty() && msg.html.is_none() {
            builder.singlepart(SinglePart::plain(msg.text.clone()))
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &msg.attachments {
                let content_type = ContentType::parse(&a.content_type)
                    .map_err(|e| SendError::Permanent { reason: format!("attachment type: {e}") })?;
                mixed = mixed.singlepart(Attachment::new(a.filename.clone()).body(a.bytes.clone(), content_type));
            }
            builder.multipart(mixed)
        };
        built.map_err(|e| SendError::Permanent { reason: format!("building the email: {e}") })
    }
}

impl Channel for SmtpChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            let email = self.build(msg)?;
            match self.transport.send(email).await {
                Ok(response) => {
                    // "250 2.0.0 Ok: queued as ABC123": the relay's queue id, when it says one.
                    let said = response.message().collect::<Vec<_>>().join(" ");
                    let provider_id = said.rsplit_once("queued as ").map(|(_, id)| id.trim().to_owned());
                    Ok(Accepted { provider_id })
                }
                // 5xx: the relay refuses this message for good (unknown user, policy).
                Err(e) if e.is_permanent() => Err(SendError::Permanent { reason: format!("{e}") }),
                // 4xx, timeouts, refused or dropped connections, TLS trouble: try again later.
                Err(e) => Err(SendError::Transient { reason: format!("{e}"), after: None }),
            }
        })
    }
}
