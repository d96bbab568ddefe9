//! The HTTP client webhooks are sent with: awc on the service's one runtime and rustls (the
//! TLS stack lettre already brings), redirects never followed, one timeout for the whole
//! request, and every connection made only to addresses `targets::permitted` allows, checked
//! after DNS resolution on the addresses the connection then uses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, tcp::TcpConnectorService};
use actix_web::http::Uri;
use futures_util::future::LocalBoxFuture;
use tokio::net::TcpStream;

use crate::domain::webhooks::outbox::{Attempt, Claimed};
use crate::domain::webhooks::{signing, targets};

/// Resolves, checks and connects.
#[derive(Clone)]
struct Guarded {
    allow_private: bool,
    tcp: TcpConnectorService,
}

impl Service<ConnectInfo<Uri>> for Guarded {
    type Response = Connection<Uri, TcpStream>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_service::always_ready!();

    fn call(&self, req: ConnectInfo<Uri>) -> Self::Future {
        let (allow_private, tcp) = (self.allow_private, self.tcp);
        Box::pin(async move {
            let host = req
                .hostname()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = req.port();
            let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => tokio::net::lookup_host((host.as_str(), port))
                    .await
                    .map_err(|e| ConnectError::Resolver(Box::new(e)))?
                    .collect(),
            };
            if addresses.is_empty() {
                return Err(ConnectError::NoRecords);
            }
            // The address itself is not told: the log is read by admins, and must not become a
            // way to map the internal network's names.
            if addresses
                .iter()
                .any(|a| !targets::permitted(a.ip(), allow_private))
            {
                return Err(ConnectError::Io(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{host} is a private, loopback or link-local address; refused"),
                )));
            }
            tcp.call(req.set_addrs(addresses)).await
        })
    }
}

/// Builds the client; not `Send` (awc), so each sending task makes its own.
pub fn build(allow_private: bool, timeout: Duration) -> awc::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|builder| {
        builder
            .with_root_certificates(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
            .with_no_client_auth()
    });
    let connector = awc::Connector::new()
        .connector(Guarded {
            allow_private,
            tcp: TcpConnectorService::default(),
        })
        .timeout(timeout)
        .handshake_timeout(timeout)
        .max_http_version(actix_web::http::Version::HTTP_11);
    let connector = match tls {
        Ok(config) => connector.rustls_0_23(Arc::new(config)),
        // The ring provider always offers the safe versions; without TLS only http:// works.
        Err(e) => {
            tracing::error!(error = %e, "webhook TLS configuration failed; https endpoints will fail");
            connector
        }
    };
    awc::Client::builder()
        .connector(connector)
        .timeout(timeout)
        .disable_redirects()
        .add_default_header((
            "user-agent",
            concat!("recotrack-webhooks/", env!("CARGO_PKG_VERSION")),
        ))
        .finish()
}

/// Sends one claimed delivery; what came of it.
pub async fn send(client: &awc::Client, claimed: &Claimed) -> Attempt {
    let started = Instant::now();
    let elapsed =
        |started: Instant| i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let body = match serde_json::to_vec(&claimed.payload) {
        Ok(body) => body,
        Err(e) => {
            return Attempt {
                status: None,
                latency_ms: 0,
                error: Some(format!("payload: {e}")),
            };
        }
    };
    let id = claimed.message_id();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match signing::signature(&claimed.secrets, &id, timestamp, &body) {
        Ok(signature) => signature,
        Err(e) => {
            return Attempt {
                status: None,
                latency_ms: 0,
                error: Some(e.to_string()),
            };
        }
    };
    let sent = client
        .post(claimed.url.as_str())
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", id))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(body)
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let ok = (200..300).contains(&status);
            Attempt {
                status: Some(status),
                latency_ms: elapsed(started),
                error: (!ok).then(|| format!("the receiver answered {status}")),
            }
        }
        Err(e) => Attempt {
            status: None,
            latency_ms: elapsed(started),
            error: Some(e.to_string()),
        },
    }
}
