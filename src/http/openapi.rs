//! The OpenAPI document, generated from the handlers' annotations. `recotrack openapi` writes
//! it to `openapi/openapi.json`; a test fails when that file and the code disagree.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

/// Title, version and the parts no handler declares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "recotrack",
        description = "Tracks the recommendations of policy reports: owners, workflow, evidence, \
                       history and digests. Errors are RFC 9457 problem documents.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "health", description = "Liveness and readiness probes, Prometheus metrics"),
        (name = "auth", description = "Signing in and out; the caller's profile"),
        (name = "users", description = "Accounts (admins)"),
        (name = "teams", description = "Teams and their members"),
        (name = "tokens", description = "API tokens for dashboards and integrations (admins)"),
        (name = "views", description = "Saved views: named list filters, used as `?view=<id>`"),
        (name = "feeds", description = "Atom and iCalendar feeds opened by a per-user token in the URL, and those tokens"),
        (name = "webhooks", description = "Webhook endpoints, their secrets and delivery log (admins); the events are in `webhooks`"),
        (name = "workflow", description = "The response and status state machines"),
        (name = "reports", description = "The source documents"),
        (name = "recommendations", description = "Tracked items: list, read, edit, move through the workflow"),
        (name = "owners", description = "Users and teams owning an item"),
        (name = "watchers", description = "Watching items: their changes by others in your digest"),
        (name = "evidence", description = "Evidence on items and its review"),
        (name = "targets", description = "Measurable commitments inside items, with their own due dates and progress"),
        (name = "comments", description = "Comments on items"),
        (name = "history", description = "The append-only, hash-chained history of each item"),
        (name = "digests", description = "Email digests of stalled and overdue items, and snoozing"),
        (name = "stats", description = "Figures for dashboards: counts, groups, timeline, cycle times"),
    ),
    components(schemas(
        crate::http::problem::Problem,
        crate::http::dto::webhooks::WebhookEvent,
        crate::http::dto::webhooks::WebhookEventData,
        crate::http::dto::webhooks::WebhookItem,
        crate::http::dto::webhooks::WebhookChange,
    )),
    modifiers(&BearerScheme)
)]
struct BaseDoc;

/// Declares the bearer scheme. Each protected operation lists it with the minimum role as its
/// one "scope" (OpenAPI 3.1 allows role names there for non-OAuth schemes).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or rtk_ API token")
                    .description(Some(
                        "An access token from POST /api/v1/auth/login, or an API token. \
                         The scope listed on an operation is the minimum role it requires.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The parts of the document no handler declares.
pub fn base() -> utoipa::openapi::OpenApi {
    BaseDoc::openapi()
}

/// The server the committed document names: `server.base_url` of `config/default.toml`, where
/// `cargo run -- serve` listens.
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:8080";

/// Operations anyone may call without credentials; every other one declares its role.
const PUBLIC: [&str; 8] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    // Opened by the feed token in the URL, not by a bearer token.
    "/api/v1/feeds/{token}/recommendations/{id}.atom",
    "/api/v1/feeds/{token}/views/{id}.atom",
    "/api/v1/feeds/{token}/due.ics",
];

/// The complete document for the instance at `base_url`, as served at
/// `/api-docs/openapi.json`.
pub fn document(base_url: &str) -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(super::handlers::routes)
        .split_for_parts();
    let mut api = finish(api);
    api.webhooks = Some(webhooks());
    api.servers = Some(vec![utoipa::openapi::Server::new(base_url)]);
    api
}

/// The document as committed (for [`LOCAL_BASE_URL`]): pretty JSON with a trailing newline.
pub fn document_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&document(LOCAL_BASE_URL)).map(|json| json + "\n")
}

/// The `webhooks` section (OpenAPI 3.1): one request per event type, as the service sends it.
fn webhooks() -> utoipa::openapi::Paths {
    use crate::domain::webhooks::EventType;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{
        ContentBuilder, ObjectBuilder, PathItem, PathsBuilder, Ref, Required, ResponseBuilder, Type,
    };
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let mut paths = PathsBuilder::new();
    for event in EventType::ALL {
        let operation = OperationBuilder::new()
            .operation_id(Some(format!(
                "webhook_{}",
                event.as_str().replace('.', "_")
            )))
            .summary(Some(event.summary()))
            .description(Some(format!(
                "Sent as `POST` to every enabled endpoint whose `events` include `{}` (and whose \
                 report or team scope covers the item). The body's `type` is `{}`.",
                event.as_str(),
                event.as_str()
            )))
            .tag("webhooks")
            // The receiver checks `webhook-signature`; no credential of the API's applies.
            .securities(Some(
                Vec::<utoipa::openapi::security::SecurityRequirement>::new(),
            ))
            .parameter(header(
                "webhook-id",
                "`msg_` and the event's id: the same on every attempt and redelivery, so a \
                 receiver drops what it has already seen",
            ))
            .parameter(header(
                "webhook-timestamp",
                "Unix seconds when this attempt was sent; refuse ones far from your clock",
            ))
            .parameter(header(
                "webhook-signature",
                "`v1,` and the base64 HMAC-SHA256, under the endpoint's secret (the bytes \
                 after `whsec_`, base64-decoded), of `{webhook-id}.{webhook-timestamp}.{body}`; \
                 one per live secret, space-separated, during a rotation",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("WebhookEvent")))
                            .build(),
                    )
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new().description(
                    "Any 2xx acknowledges the event; anything else, a timeout (5 s) or a \
                     redirect is retried with backoff for a day",
                ),
            )
            .build();
        paths = paths.path(event.as_str(), PathItem::new(HttpMethod::Post, operation));
    }
    paths.build()
}

/// A header or query parameter is absent or a string: never `null`, whatever the Rust type
/// (`Option<String>`) made of it.
fn not_nullable(parameter: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::schema::{Schema, SchemaType};
    use utoipa::openapi::{RefOr, Type};
    if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut()
        && let SchemaType::Array(types) = &object.schema_type
    {
        let kept: Vec<Type> = types
            .iter()
            .filter(|t| **t != Type::Null)
            .cloned()
            .collect();
        if let [one] = kept.as_slice() {
            object.schema_type = SchemaType::Type(one.clone());
        }
    }
}

/// What every write operation shares and no handler repeats: `Idempotency-Key` on `POST`, and
/// the 429 of the per-client write limit.
fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder, Type};
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any unique string (a UUID, say). A retry with the same key and body gets the first \
             answer again (`Idempotent-Replayed: true`) and changes nothing; the same key with \
             another body gets 422 `idempotency-key-reused`. Keys are kept for 24 hours.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    let too_many = problem(
        "Too many changes from this client (`server.writes_per_minute`); see `Retry-After`",
    );
    let reused = problem(
        "Invalid input, or an `Idempotency-Key` already used with a different request \
         (`idempotency-key-reused`)",
    );
    let running =
        problem("Conflict, or the first request with this `Idempotency-Key` is still running");
    let media = problem("The body is not `application/json`");
    for (path, item) in api.paths.paths.iter_mut() {
        if let Some(post) = item.post.as_mut() {
            post.parameters
                .get_or_insert_with(Vec::new)
                .push(key.clone().into());
            let responses = &mut post.responses.responses;
            responses
                .entry("422".into())
                .or_insert_with(|| reused.clone().into());
            responses
                .entry("409".into())
                .or_insert_with(|| running.clone().into());
        }
        let public = PUBLIC.contains(&path.as_str());
        for (writes, operation) in [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ]
        .into_iter()
        .filter_map(|(writes, operation)| Some((writes, operation?)))
        {
            if public {
                operation.security = Some(Vec::new());
            }
            for parameter in operation.parameters.iter_mut().flatten() {
                if let utoipa::openapi::RefOr::T(parameter) = parameter {
                    not_nullable(parameter);
                }
            }
            if !writes {
                continue;
            }
            let responses = &mut operation.responses.responses;
            responses.insert("429".into(), too_many.clone().into());
            if operation.request_body.is_some() {
                responses
                    .entry("415".into())
                    .or_insert_with(|| media.clone().into());
            }
        }
    }
    api
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_server_is_where_the_default_configuration_listens() {
        let default: toml::Value =
            toml::from_str(include_str!("../../config/default.toml")).expect("default.toml");
        assert_eq!(
            default["server"]["base_url"].as_str(),
            Some(super::LOCAL_BASE_URL)
        );
    }

    #[test]
    fn public_operations_say_so_and_every_other_one_names_its_role() {
        let api = super::document("https://tracker.example.org");
        let json = serde_json::to_value(&api).expect("json");
        assert_eq!(json["servers"][0]["url"], "https://tracker.example.org");
        let mut public = Vec::new();
        for (path, item) in json["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                let security = operation["security"]
                    .as_array()
                    .expect("security everywhere");
                if security.is_empty() {
                    public.push(format!("{method} {path}"));
                }
            }
        }
        public.sort();
        assert_eq!(
            public,
            [
                "get /api/v1/feeds/{token}/due.ics",
                "get /api/v1/feeds/{token}/recommendations/{id}.atom",
                "get /api/v1/feeds/{token}/views/{id}.atom",
                "get /healthz",
                "get /metrics",
                "get /readyz",
                "post /api/v1/auth/login",
                "post /api/v1/auth/refresh"
            ]
        );
    }
}
