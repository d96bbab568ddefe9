// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "actor_kind"))]
    pub struct ActorKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "delivery_status"))]
    pub struct DeliveryStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "digest_frequency"))]
    pub struct DigestFrequency;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "evidence_kind"))]
    pub struct EvidenceKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "evidence_relevance"))]
    pub struct EvidenceRelevance;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "evidence_stage"))]
    pub struct EvidenceStage;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "owner_kind"))]
    pub struct OwnerKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "rec_priority"))]
    pub struct RecPriority;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "rec_response"))]
    pub struct RecResponse;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "rec_status"))]
    pub struct RecStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "team_role"))]
    pub struct TeamRole;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "verification"))]
    pub struct Verification;
}

diesel::table! {
    email_link_uses (link_hash) {
        link_hash -> Text,
        recipient_id -> Uuid,
        action -> Text,
        used_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    api_tokens (id) {
        id -> Uuid,
        name -> Text,
        role -> UserRole,
        token_hash -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comments (id) {
        id -> Uuid,
        recommendation_id -> Uuid,
        author_id -> Nullable<Uuid>,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::DeliveryStatus;

    digest_deliveries (id) {
        id -> Uuid,
        run_id -> Uuid,
        recipient_id -> Uuid,
        period -> Text,
        status -> DeliveryStatus,
        subject -> Text,
        stalled_count -> Int4,
        overdue_count -> Int4,
        item_ids -> Array<Uuid>,
        body_text -> Text,
        body_html -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        message_id -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        lease_token -> Nullable<Uuid>,
        sending_since -> Nullable<Timestamptz>,
        possible_duplicate -> Bool,
        gave_up_at -> Nullable<Timestamptz>,
        unsubscribe_url -> Nullable<Text>,
    }
}

diesel::table! {
    digest_runs (id) {
        id -> Uuid,
        period -> Text,
        trigger -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        deliveries -> Int4,
    }
}

diesel::table! {
    escalations (recommendation_id, stalled_since, step) {
        recommendation_id -> Uuid,
        stalled_since -> Timestamptz,
        step -> Int2,
        notified_user_ids -> Array<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::EvidenceKind;
    use super::sql_types::Verification;
    use super::sql_types::EvidenceRelevance;

    evidence (id) {
        id -> Uuid,
        recommendation_id -> Uuid,
        kind -> EvidenceKind,
        title -> Text,
        url -> Nullable<Text>,
        excerpt -> Text,
        source -> Text,
        observed_on -> Nullable<Date>,
        rationale -> Text,
        submitted_by -> Nullable<Uuid>,
        submitted_at -> Timestamptz,
        verification -> Verification,
        reviewed_by -> Nullable<Uuid>,
        reviewed_at -> Nullable<Timestamptz>,
        review_note -> Nullable<Text>,
        version -> Int4,
        editors -> Array<Uuid>,
        relevance -> EvidenceRelevance,
        seed_key -> Nullable<Text>,
        provenance -> Nullable<Jsonb>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ActorKind;

    history_events (id) {
        id -> Int8,
        recommendation_id -> Uuid,
        seq -> Int4,
        kind -> Text,
        actor_kind -> ActorKind,
        actor_id -> Nullable<Uuid>,
        at -> Timestamptz,
        reason -> Nullable<Text>,
        field -> Nullable<Text>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        prev_hash -> Text,
        hash -> Text,
        key_id -> Nullable<Text>,
    }
}

diesel::table! {
    saved_views (id) {
        id -> Uuid,
        name -> Text,
        owner_id -> Uuid,
        team_id -> Nullable<Uuid>,
        criteria -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    targets (id) {
        id -> Uuid,
        recommendation_id -> Uuid,
        ordinal -> Int4,
        text -> Text,
        figure -> Nullable<Int8>,
        unit -> Nullable<Text>,
        due_date -> Nullable<Date>,
        progress -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    history_heads (recommendation_id) {
        recommendation_id -> Uuid,
        seq -> Int4,
        hash -> Text,
    }
}

diesel::table! {
    feed_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    history_anchors (day) {
        day -> Date,
        as_of -> Timestamptz,
        items -> Int4,
        events -> Int8,
        digest -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    item_watches (user_id, recommendation_id) {
        user_id -> Uuid,
        recommendation_id -> Uuid,
        watching -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (actor_id, key) {
        actor_id -> Uuid,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Int2>,
        response_body -> Nullable<Bytea>,
        response_headers -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        carries_secret -> Bool,
    }
}

diesel::table! {
    rate_limit_buckets (key, window_start) {
        key -> Text,
        window_start -> Timestamptz,
        hits -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::OwnerKind;

    recommendation_owners (id) {
        id -> Uuid,
        recommendation_id -> Uuid,
        user_id -> Nullable<Uuid>,
        team_id -> Nullable<Uuid>,
        kind -> OwnerKind,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::RecPriority;
    use super::sql_types::RecResponse;
    use super::sql_types::RecStatus;
    use super::sql_types::EvidenceStage;
    use super::sql_types::Tsvector;

    recommendations (id) {
        id -> Uuid,
        report_id -> Uuid,
        key -> Text,
        ordinal -> Int4,
        parent_id -> Nullable<Uuid>,
        title -> Text,
        body -> Text,
        source_ref -> Nullable<Text>,
        themes -> Array<Text>,
        priority -> RecPriority,
        progress_percent -> Int2,
        progress_note -> Text,
        due_date -> Nullable<Date>,
        original_due_date -> Nullable<Date>,
        response -> RecResponse,
        response_reason -> Nullable<Text>,
        response_changed_at -> Nullable<Timestamptz>,
        status -> RecStatus,
        status_reason -> Nullable<Text>,
        status_changed_at -> Timestamptz,
        evidence_stage -> EvidenceStage,
        evidence_as_of -> Nullable<Date>,
        snoozed_until -> Nullable<Date>,
        snooze_reason -> Nullable<Text>,
        last_activity_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        search -> Nullable<Tsvector>,
        web_title -> Nullable<Text>,
        provenance -> Nullable<Jsonb>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    report_managers (report_id, user_id) {
        report_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reports (id) {
        id -> Uuid,
        key -> Text,
        title -> Text,
        alt_titles -> Array<Text>,
        publisher -> Text,
        authors -> Array<Text>,
        published_on -> Nullable<Date>,
        source_url -> Nullable<Text>,
        source_file -> Nullable<Text>,
        language -> Text,
        summary -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        published_precision -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TeamRole;

    team_memberships (team_id, user_id) {
        team_id -> Uuid,
        user_id -> Uuid,
        role -> TeamRole,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        is_demo -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;
    use super::sql_types::DigestFrequency;

    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        role -> UserRole,
        active -> Bool,
        password_hash -> Nullable<Text>,
        digest_frequency -> Nullable<DigestFrequency>,
        is_demo -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        deactivated_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        secret_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        endpoint_id -> Uuid,
        event_seq -> Int8,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        latency_ms -> Int4,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (endpoint_id, event_seq) {
        endpoint_id -> Uuid,
        event_seq -> Int8,
        recommendation_id -> Nullable<Uuid>,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        retry_from -> Timestamptz,
        lease_token -> Nullable<Uuid>,
        lease_until -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        url -> Text,
        description -> Text,
        event_types -> Array<Text>,
        report_id -> Nullable<Uuid>,
        team_id -> Nullable<Uuid>,
        enabled -> Bool,
        failing_since -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (seq) {
        seq -> Int8,
        id -> Uuid,
        event_type -> Text,
        recommendation_id -> Nullable<Uuid>,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_secrets (id) {
        id -> Uuid,
        endpoint_id -> Uuid,
        secret -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    view_subscription_mutes (subscription_id, user_id) {
        subscription_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    view_subscriptions (id) {
        id -> Uuid,
        view_id -> Uuid,
        user_id -> Nullable<Uuid>,
        team_id -> Nullable<Uuid>,
        frequency -> Text,
        weekday -> Nullable<Int2>,
        hour -> Int2,
        time_zone -> Text,
        only_when_non_empty -> Bool,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(api_tokens -> users (created_by));
diesel::joinable!(comments -> recommendations (recommendation_id));
diesel::joinable!(item_watches -> recommendations (recommendation_id));
diesel::joinable!(item_watches -> users (user_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(digest_deliveries -> digest_runs (run_id));
diesel::joinable!(digest_deliveries -> users (recipient_id));
diesel::joinable!(email_link_uses -> users (recipient_id));
diesel::joinable!(escalations -> recommendations (recommendation_id));
diesel::joinable!(evidence -> recommendations (recommendation_id));
diesel::joinable!(feed_tokens -> users (user_id));
diesel::joinable!(history_events -> recommendations (recommendation_id));
diesel::joinable!(recommendation_owners -> recommendations (recommendation_id));
diesel::joinable!(recommendation_owners -> teams (team_id));
diesel::joinable!(recommendation_owners -> users (user_id));
diesel::joinable!(history_heads -> recommendations (recommendation_id));
diesel::joinable!(recommendations -> reports (report_id));
diesel::joinable!(saved_views -> teams (team_id));
diesel::joinable!(view_subscription_mutes -> view_subscriptions (subscription_id));
diesel::joinable!(view_subscriptions -> saved_views (view_id));
diesel::joinable!(view_subscriptions -> teams (team_id));
diesel::joinable!(saved_views -> users (owner_id));
diesel::joinable!(targets -> recommendations (recommendation_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(report_managers -> reports (report_id));
diesel::joinable!(report_managers -> users (user_id));
diesel::joinable!(reports -> users (created_by));
diesel::joinable!(team_memberships -> teams (team_id));
diesel::joinable!(team_memberships -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_seq));
diesel::joinable!(webhook_secrets -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    comments,
    digest_deliveries,
    digest_runs,
    email_link_uses,
    escalations,
    evidence,
    feed_tokens,
    history_anchors,
    history_events,
    history_heads,
    idempotency_keys,
    item_watches,
    rate_limit_buckets,
    recommendation_owners,
    recommendations,
    refresh_tokens,
    report_managers,
    reports,
    saved_views,
    targets,
    team_memberships,
    teams,
    users,
    view_subscription_mutes,
    view_subscriptions,
    web_sessions,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_secrets,
);
