//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under
//! each live secret, space-separated, so a receiver holding either secret during a rotation
//! verifies the request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// How a secret is written: `whsec_` and the base64 of its key bytes.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes.
pub fn new_secret() -> Result<String> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| Error::internal(e.to_string()))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The key bytes of a `whsec_` secret.
fn key_of(secret: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(secret.trim_start_matches(SECRET_PREFIX))
        .map_err(|e| Error::internal(format!("a stored webhook secret is not base64: {e}")))
}

/// The value of the `webhook-signature` header for message `id` sent at `timestamp` (Unix
/// seconds) with `body`, signed with every one of `secrets`.
pub fn signature(secrets: &[String], id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let mut out = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?)
            .map_err(|e| Error::internal(e.to_string()))?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        out.push(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ));
    }
    Ok(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the Standard Webhooks specification's reference tests.
    #[test]
    fn signs_the_specifications_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let body = br#"{"test": 2432232314}"#;
        let got =
            signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).expect("signed");
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_live_secret_signs() {
        let a = new_secret().expect("random");
        let b = new_secret().expect("random");
        assert!(a.starts_with("whsec_") && a != b);
        let both = signature(&[a.clone(), b.clone()], "msg_1", 1, b"{}").expect("signed");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            signature(&[a], "msg_1", 1, b"{}").expect("signed")
        );
        assert_eq!(
            parts[1],
            signature(&[b], "msg_1", 1, b"{}").expect("signed")
        );
    }
}
