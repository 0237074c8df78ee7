//! Outgoing email through SESv2. `Failing` refuses every message, for tests of what happens
//! when SES does.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

/// One message, ready to send. Addresses are already validated and free of line breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The From header, such as `"Platform" <records@example.test>`.
    pub from: String,
    pub to: Vec<String>,
    pub reply_to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// SES refused the message (unverified sender, suppressed address, bad content).
    #[error("SES rejected the message")]
    Rejected(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// SES could not be reached or timed out; the message may be sent on a retry.
    #[error("SES is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Debug, Clone)]
pub enum Mailer {
    Ses(aws_sdk_sesv2::Client),
    Failing { unavailable: bool },
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Rejected(Box::new(e)))
}

impl Mailer {
    /// Sends a message and returns the id SES gave it.
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let client = match self {
            Self::Ses(client) => client,
            Self::Failing { unavailable: true } => {
                return Err(MailError::Unavailable("injected timeout".into()));
            }
            Self::Failing { unavailable: false } => {
                return Err(MailError::Rejected("injected rejection".into()));
            }
        };

        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .html(content(&email.html)?)
                    .text(content(&email.text)?)
                    .build(),
            )
            .build();
        let result = client
            .send_email()
            .from_email_address(&email.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .build(),
            )
            .set_reply_to_addresses(Some(email.reply_to.clone()))
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(error) => {
                let refused = error.as_service_error().is_some();
                if refused {
                    Err(MailError::Rejected(Box::new(error)))
                } else {
                    Err(MailError::Unavailable(Box::new(error)))
                }
            }
        }
    }
}
