//! Password hashing with argon2id. Hashing is CPU-heavy: call these from the blocking pool,
//! never on an async worker, and never while holding a pooled database connection. Sign-ins
//! go through a [`HashGate`], which bounds how much of the machine password checks may take.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::error::{Error, Result};

const MIN_LENGTH: usize = 12;
const MAX_LENGTH: usize = 1024;

/// argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| Error::internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Refuses passwords that are too short or absurdly long.
pub fn check_policy(password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_LENGTH} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Hashes `password` (after checking the policy) into a PHC string.
pub fn hash(password: &str) -> Result<String> {
    check_policy(password)?;
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal(e.to_string()))
}

/// Whether `password` matches `stored`. With no stored hash, a dummy hash is checked instead so
/// the answer takes as long for an unknown account as for a known one.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let Ok(argon2) = hasher() else { return false };
    let (candidate, real) = match stored {
        Some(stored) => (stored, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return false;
    };
    argon2.verify_password(password.as_bytes(), &parsed).is_ok() && real
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .ok()
            .and_then(|argon2| argon2.hash_password(b"not a real password", &salt).ok())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Bounds the password checks: at most `per_second` start each second (a token bucket with a
/// small burst), at most `running` hash at once (on the blocking pool, holding no database
/// connection) and at most `in_flight` are admitted in all. Past any bound a sign-in is refused
/// at once with 429, so a flood of guesses can take only a bounded share of one core.
#[derive(Debug, Clone)]
pub struct HashGate {
    running: Arc<tokio::sync::Semaphore>,
    in_flight: Arc<tokio::sync::Semaphore>,
    budget: Arc<Mutex<Budget>>,
}

/// A token bucket: `tokens` refill at `per_second` up to `burst`.
#[derive(Debug)]
struct Budget {
    tokens: f64,
    per_second: f64,
    burst: f64,
    refilled_at: Instant,
}

impl Budget {
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled_at).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + earned).min(self.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl HashGate {
    /// Half the machine's cores hash (at least one), four times as many may wait, and at most
    /// `per_second` checks start each second.
    pub fn for_this_machine(per_second: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new((cores / 2).max(1), (cores / 2).max(1) * 4, per_second)
    }

    pub fn new(running: usize, in_flight: usize, per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        let burst = per_second.min(4.0) + 4.0;
        Self {
            running: Arc::new(tokio::sync::Semaphore::new(running.max(1))),
            in_flight: Arc::new(tokio::sync::Semaphore::new(in_flight.max(1))),
            budget: Arc::new(Mutex::new(Budget {
                tokens: burst,
                per_second,
                burst,
                refilled_at: Instant::now(),
            })),
        }
    }

    /// A place among the checks in flight; `RateLimited` at once when none is free, before the
    /// sign-in costs anything else (not even a database round trip).
    pub fn admit(&self) -> Result<Admission> {
        let refused = || Error::RateLimited {
            retry_after_secs: 1,
        };
        let permit = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| refused())?;
        let budgeted = self
            .budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if !budgeted {
            return Err(refused());
        }
        Ok(Admission {
            running: self.running.clone(),
            _permit: permit,
        })
    }
}

/// An admitted password check; see [`HashGate::admit`].
#[derive(Debug)]
pub struct Admission {
    running: Arc<tokio::sync::Semaphore>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Admission {
    /// [`verify`], once one of the hashing places is free.
    pub async fn verify(self, password: String, stored: Option<String>) -> Result<bool> {
        let _running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || verify(&password, stored.as_deref()))
            .await
            .map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("a long enough passphrase").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("a long enough passphrase", Some(&stored)));
        assert!(!verify("another long passphrase", Some(&stored)));
    }

    #[test]
    fn no_stored_hash_never_verifies() {
        assert!(!verify("not a real password", None));
    }

    #[tokio::test]
    async fn past_the_bound_a_check_is_refused_at_once() {
        let gate = HashGate::new(1, 1, 100);
        let held = gate.admit().expect("a place");
        assert!(matches!(gate.admit(), Err(Error::RateLimited { .. })));
        drop(held);
        let admitted = gate.admit().expect("free again");
        assert!(matches!(
            admitted.verify("whatever password".into(), None).await,
            Ok(false)
        ));
    }

    #[test]
    fn the_budget_refuses_past_its_rate() {
        let gate = HashGate::new(8, 100, 2);
        let admitted = (0..20).filter(|_| gate.admit().is_ok()).count();
        assert_eq!(
            admitted, 6,
            "a burst of 2 + 4, then refusals until the budget refills"
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(hash("short"), Err(Error::Invalid { .. })));
    }
}
