//! The keys history hashes are made with. They live in the service's configuration (or, for the
//! private local cluster, in a file beside it), never in the database: someone who can write the
//! database but not read the key cannot forge a chain.
//!
//! The keyring is installed once per process ([`install`]) by whatever opens the database
//! (`serve`, `seed`, the CLI), because history is appended deep inside domain functions that
//! should not carry it as a parameter.

use std::sync::{Arc, RwLock};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// HMAC with SHA-256.
pub type HmacSha256 = Hmac<Sha256>;

/// One key, with the public id events record to say which key hashed them.
#[derive(Clone)]
pub struct HistoryKey {
    secret: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for HistoryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryKey").field("id", &self.id).finish()
    }
}

/// Keys shorter than this are refused: a guessable key lets anyone forge a chain.
pub const MIN_KEY_BYTES: usize = 32;

impl HistoryKey {
    /// A key from its secret; refuses secrets under [`MIN_KEY_BYTES`].
    pub fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(Error::invalid(
                "history.key",
                format!("must be at least {MIN_KEY_BYTES} bytes"),
            ));
        }
        let mut mac = HmacSha256::new_from_slice(secret).map_err(Error::internal)?;
        mac.update(b"recotrack history key id");
        let id = hex::encode(&mac.finalize().into_bytes()[..8]);
        Ok(Self {
            secret: secret.to_vec(),
            id,
        })
    }

    /// The key's public id: 16 hex digits derived from the key, revealing nothing of it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// An HMAC-SHA-256 under this key, to feed piece by piece.
    pub fn mac_stream(&self) -> Option<HmacSha256> {
        HmacSha256::new_from_slice(&self.secret).ok()
    }

    /// A key for another purpose, derived from this one (HMAC of the purpose's name), so a
    /// signature made for that purpose can never pass as a history hash or the other way round.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.secret) else {
            return Vec::new();
        };
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// HMAC-SHA-256 of `bytes`, hex.
    pub fn mac(&self, bytes: &[u8]) -> String {
        // An HMAC takes keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(bytes);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The current key, which hashes new events, and earlier keys, which still verify old ones.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub current: HistoryKey,
    pub previous: Vec<HistoryKey>,
}

impl Keyring {
    /// Every key, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &HistoryKey> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    /// The key with `id`, current or previous.
    pub fn by_id(&self, id: &str) -> Option<&HistoryKey> {
        std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|k| k.id() == id)
    }
}

static KEYRING: RwLock<Option<Arc<Keyring>>> = RwLock::new(None);

/// Makes `keyring` the one this process hashes and verifies with.
pub fn install(keyring: Keyring) {
    let mut slot = KEYRING
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = Some(Arc::new(keyring));
}

/// The installed keyring. Without one nothing may be appended: a chain hashed with a default
/// key would be forgeable by anyone who read this source.
pub fn current() -> Result<Arc<Keyring>> {
    KEYRING
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
        .ok_or_else(|| Error::internal("no history key is installed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_refused_and_ids_do_not_reveal_the_key() {
        assert!(HistoryKey::new(b"too short").is_err());
        let key = HistoryKey::new(b"0123456789abcdef0123456789abcdef").expect("key");
        assert_eq!(key.id().len(), 16);
        assert!(!key.id().contains("0123456789abcdef"));
        let other = HistoryKey::new(b"0123456789abcdef0123456789abcdeX").expect("key");
        assert_ne!(key.id(), other.id());
        assert_ne!(key.mac(b"event"), other.mac(b"event"));
        assert_eq!(key.mac(b"event").len(), 64);
    }
}
