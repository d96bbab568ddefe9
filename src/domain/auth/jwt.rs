//! Access tokens: short-lived JWTs with the algorithm pinned and every registered claim checked.

use std::path::Path;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{AuthSettings, JwtAlgorithm};
use crate::error::{Error, Result};

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// This token's id.
    pub jti: Uuid,
    /// The sign-in session (refresh-token family) it belongs to; revoking it revokes the token.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Why the signing keys could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("auth key `{key}`: {problem}")]
pub struct KeyError {
    key: &'static str,
    problem: String,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.header.alg)
            .finish_non_exhaustive()
    }
}

fn read_key(key: &'static str, path: &Path) -> std::result::Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|e| KeyError {
        key,
        problem: format!("cannot read {}: {e}", path.display()),
    })
}

impl TokenKeys {
    /// Builds the keys the settings ask for; `hs256_secret` is the shared secret for HS256.
    pub fn new(
        settings: &AuthSettings,
        hs256_secret: &[u8],
    ) -> std::result::Result<Self, KeyError> {
        let bad_pem = |key: &'static str| {
            move |e: jsonwebtoken::errors::Error| KeyError {
                key,
                problem: format!("not a usable PEM key: {e}"),
            }
        };
        let (algorithm, encoding, decoding) = match settings.jwt_algorithm {
            JwtAlgorithm::HS256 => (
                Algorithm::HS256,
                EncodingKey::from_secret(hs256_secret),
                DecodingKey::from_secret(hs256_secret),
            ),
            JwtAlgorithm::EdDSA => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(&read_key(
                    "auth.jwt_private_key_file",
                    &settings.jwt_private_key_file,
                )?)
                .map_err(bad_pem("auth.jwt_private_key_file"))?,
                DecodingKey::from_ed_pem(&read_key(
                    "auth.jwt_public_key_file",
                    &settings.jwt_public_key_file,
                )?)
                .map_err(bad_pem("auth.jwt_public_key_file"))?,
            ),
            JwtAlgorithm::RS256 => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(&read_key(
                    "auth.jwt_private_key_file",
                    &settings.jwt_private_key_file,
                )?)
                .map_err(bad_pem("auth.jwt_private_key_file"))?,
                DecodingKey::from_rsa_pem(&read_key(
                    "auth.jwt_public_key_file",
                    &settings.jwt_public_key_file,
                )?)
                .map_err(bad_pem("auth.jwt_public_key_file"))?,
            ),
        };
        // Only the configured algorithm is accepted: no `none`, no HS/RS confusion.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_secs;
        Ok(Self {
            encoding,
            decoding,
            header: Header::new(algorithm),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_secs: i64::try_from(settings.access_ttl_secs).unwrap_or(900),
        })
    }

    /// Lifetime of an access token, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Signs a new access token for `user` in session `session`.
    pub fn issue(&self, user: Uuid, session: Uuid) -> Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            jti: Uuid::new_v4(),
            sid: session,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.encoding)
            .map_err(|e| Error::internal(e.to_string()))
    }

    /// Checks signature, algorithm and claims.
    pub fn verify(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                Error::Unauthenticated(match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::ImmatureSignature => "the access token is not valid yet",
                    _ => "the access token is invalid",
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh Ed25519 key pair from `openssl`, in a directory removed with the returned guard.
    fn key_pair() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let private = dir.path().join("key.pem");
        let public = dir.path().join("key.pub.pem");
        let run = |args: &[&str]| {
            let status = std::process::Command::new("openssl")
                .args(args)
                .status()
                .expect("openssl runs");
            assert!(status.success(), "openssl {args:?}");
        };
        run(&[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            &private.display().to_string(),
        ]);
        run(&[
            "pkey",
            "-in",
            &private.display().to_string(),
            "-pubout",
            "-out",
            &public.display().to_string(),
        ]);
        dir
    }

    fn settings(algorithm: JwtAlgorithm, dir: &std::path::Path) -> AuthSettings {
        AuthSettings {
            jwt_algorithm: algorithm,
            jwt_secret: String::new().into(),
            jwt_private_key_file: dir.join("key.pem"),
            jwt_public_key_file: dir.join("key.pub.pem"),
            issuer: "recotrack".into(),
            audience: "recotrack-api".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 3600,
            leeway_secs: 5,
            login_window_secs: 900,
            login_max_failures_per_account: 5,
            login_max_failures_per_client: 20,
            password_checks_per_second: 8,
            caller_cache_secs: 5,
        }
    }

    #[test]
    fn eddsa_keys_sign_and_verify_and_refuse_hs256_tokens() {
        let dir = key_pair();
        let keys = TokenKeys::new(&settings(JwtAlgorithm::EdDSA, dir.path()), b"")
            .expect("EdDSA keys load");
        let user = Uuid::new_v4();
        let token = keys.issue(user, Uuid::new_v4()).expect("sign");
        assert_eq!(keys.verify(&token).expect("verify").sub, user);
        // A token signed with a shared secret must not pass as EdDSA (algorithm confusion).
        let hs = TokenKeys::new(
            &settings(JwtAlgorithm::HS256, dir.path()),
            b"0123456789abcdef0123456789abcdef",
        )
        .expect("hs");
        let forged = hs.issue(user, Uuid::new_v4()).expect("sign");
        assert!(keys.verify(&forged).is_err());
    }

    #[test]
    fn a_missing_key_file_names_its_setting() {
        let dir = key_pair();
        let mut broken = settings(JwtAlgorithm::EdDSA, dir.path());
        broken.jwt_public_key_file = "/nonexistent.pem".into();
        let error = TokenKeys::new(&broken, b"")
            .expect_err("must fail")
            .to_string();
        assert!(error.contains("auth.jwt_public_key_file"), "{error}");
    }
}
