//! Opaque secrets (refresh and API tokens): random, shown once, stored only as SHA-256.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Prefix of API tokens, so a bearer value can be told from a JWT at a glance.
pub const API_TOKEN_PREFIX: &str = "rtk_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "rtr_";

/// 256 random bits, hex-encoded, after `prefix`.
pub fn generate(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::internal(e.to_string()))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_digests_stable() {
        let a = generate(API_TOKEN_PREFIX).expect("random");
        let b = generate(API_TOKEN_PREFIX).expect("random");
        assert_ne!(a, b);
        assert!(a.starts_with(API_TOKEN_PREFIX) && a.len() == 4 + 64);
        assert_eq!(digest(&a), digest(&a));
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }
}
