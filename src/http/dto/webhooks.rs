use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::webhooks::outbox::{DeliveryView, message_id};
use crate::domain::webhooks::{Endpoint, EventType};

/// A webhook endpoint (its secret is shown only on creation and rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// The event types it receives.
    #[schema(value_type = Vec<EventType>)]
    pub events: Vec<String>,
    /// Only items of this report, when set.
    pub report_id: Option<Uuid>,
    /// Only items this team owns, when set.
    pub team_id: Option<Uuid>,
    /// Disabled endpoints receive nothing (an admin disabled it, or every delivery failed for
    /// `webhooks.disable_after_secs`); PATCH `{"enabled": true}` enables it again.
    pub enabled: bool,
    /// The first failure of its current run of failures, if it is failing.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Endpoint> for WebhookResponse {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            events: e.event_types,
            report_id: e.report_id,
            team_id: e.team_id,
            enabled: e.enabled,
            failing_since: e.failing_since,
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://dashboard.example.org/hooks/recotrack",
    "events": ["item.transitioned", "evidence.reviewed"], "description": "Board dashboard"}))]
pub struct CreateWebhookRequest {
    /// `http` or `https`; public addresses only unless `webhooks.allow_private_targets`.
    pub url: String,
    /// At least one event type.
    pub events: Vec<EventType>,
    #[serde(default)]
    pub description: String,
    /// Only items of this report.
    pub report_id: Option<Uuid>,
    /// Only items this team owns.
    pub team_id: Option<Uuid>,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// The endpoint with its signing secret: store it now, it cannot be shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_` and base64: the key of the `webhook-signature` HMAC (Standard Webhooks).
    pub secret: String,
}

/// How long the secrets being replaced keep signing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// Seconds, 0 to 604800; default 86400. During the overlap each request carries one
    /// signature per secret.
    pub overlap_secs: Option<i64>,
}

/// The new secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecretResponse {
    pub secret: String,
    /// When the earlier secrets stop signing.
    pub previous_expire_at: DateTime<Utc>,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub latency_ms: i32,
    pub error: Option<String>,
}

/// One event's delivery to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// The `webhook-id` it is sent under (the same on every attempt).
    pub webhook_id: String,
    #[schema(value_type = EventType)]
    pub event_type: String,
    pub recommendation_id: Option<Uuid>,
    /// `pending` (queued or retrying), `delivered` or `abandoned` (retries ran out).
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub log: Vec<AttemptResponse>,
}

impl From<DeliveryView> for DeliveryResponse {
    fn from(d: DeliveryView) -> Self {
        let log = serde_json::from_value::<Vec<AttemptResponse>>(d.log).unwrap_or_default();
        Self {
            webhook_id: message_id(d.event_id),
            event_type: d.event_type,
            recommendation_id: d.recommendation_id,
            next_attempt_at: (d.state == "pending").then_some(d.next_attempt_at),
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            log,
        }
    }
}

/// The body of every webhook request. `data` holds `item` (for all but `digest.sent`) and,
/// by type: `change` (the history event: `seq`, `kind`, `field`, `before`, `after`, `reason`,
/// `actor`), `stall` (`last_activity_at`, `threshold_days`), `overdue` (`due_date`), or the
/// digest's `delivery_id`, `recipient_id`, `period`, `subject`, `stalled_count`,
/// `overdue_count`, `item_ids`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    pub data: WebhookEventData,
}

/// What a webhook event is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEventData {
    /// The item as the change left it (absent for `digest.sent`).
    pub item: Option<WebhookItem>,
    /// The history event (absent for `item.stalled`, `item.overdue`, `digest.sent`).
    pub change: Option<WebhookChange>,
    pub stall: Option<Value>,
    pub overdue: Option<Value>,
}

/// The item in a webhook payload.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookItem {
    pub id: Uuid,
    pub key: String,
    /// The report's key.
    pub report: String,
    pub title: String,
    /// The item's version after the change: a receiver that has this version or a later one
    /// has nothing to fetch.
    pub version: i32,
    pub response: String,
    pub status: String,
    pub due_date: Option<chrono::NaiveDate>,
}

/// The history event a webhook announces (as `GET /recommendations/{id}/history` shows it).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookChange {
    /// Its place in the item's history.
    pub seq: i32,
    /// The history kind, e.g. `transition`, `field_changed`, `deadline_revised`.
    pub kind: String,
    pub field: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
    /// `{"kind": "user"|"token"|"system", "id"}`.
    pub actor: Value,
}
