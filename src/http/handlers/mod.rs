//! One module per resource; `routes` registers them all so utoipa collects every operation.

pub mod auth;
pub mod digests;
pub mod evidence;
pub mod feeds;
pub mod health;
pub mod history;
pub mod import;
pub mod items;
pub mod lists;
pub mod owners;
pub mod reports;
pub mod stats;
pub mod subscriptions;
pub mod targets;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod views;
pub mod watchers;
pub mod webhooks;
pub mod workflow;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the API.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::get_healthz)
        .service(health::get_readyz)
        .service(health::get_metrics)
        .service(
            scope::scope("/api/v1")
                .service(auth::create_login)
                .service(auth::create_refresh)
                .service(auth::create_logout)
                .service(auth::get_me)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::get_user)
                .service(users::update_user)
                .service(teams::list_teams)
                .service(teams::create_team)
                .service(teams::get_team)
                .service(teams::put_team_member)
                .service(teams::delete_team_member)
                .service(tokens::list_tokens)
                .service(tokens::create_token)
                .service(tokens::get_token)
                .service(tokens::delete_token)
                .service(feeds::create_feed_token)
                .service(feeds::list_feed_tokens)
                .service(feeds::delete_feed_token)
                .service(feeds::get_item_feed)
                .service(feeds::get_view_feed)
                .service(feeds::get_due_calendar)
                .service(views::create_view)
                .service(views::list_views)
                .service(views::get_view)
                .service(views::update_view)
                .service(views::delete_view)
                .service(subscriptions::create_subscription)
                .service(subscriptions::list_subscriptions)
                .service(subscriptions::get_subscription)
                .service(subscriptions::delete_subscription)
                .service(webhooks::list_webhooks)
                .service(webhooks::create_webhook)
                .service(webhooks::get_webhook)
                .service(webhooks::update_webhook)
                .service(webhooks::delete_webhook)
                .service(webhooks::rotate_webhook_secret)
                .service(webhooks::list_webhook_deliveries)
                .service(webhooks::redeliver_webhook)
                .service(workflow::get_workflow)
                .service(reports::list_reports)
                .service(reports::create_report)
                .service(reports::get_report)
                .service(reports::update_report)
                .service(reports::delete_report)
                .service(reports::list_report_managers)
                .service(reports::put_report_manager)
                .service(reports::delete_report_manager)
                .service(import::create_import)
                .service(lists::export_report_recommendations)
                .service(lists::list_report_recommendations)
                .service(lists::export_recommendations)
                .service(lists::list_recommendations)
                .service(items::create_recommendation)
                .service(items::get_recommendation)
                .service(items::update_recommendation)
                .service(items::create_transition)
                .service(watchers::get_watch)
                .service(watchers::put_watch)
                .service(watchers::delete_watch)
                .service(watchers::list_watching)
                .service(owners::put_user_owner)
                .service(owners::delete_user_owner)
                .service(owners::put_team_owner)
                .service(owners::delete_team_owner)
                .service(evidence::create_evidence)
                .service(evidence::list_evidence)
                .service(evidence::get_evidence)
                .service(evidence::update_evidence)
                .service(evidence::delete_evidence)
                .service(evidence::create_evidence_review)
                .service(targets::list_targets)
                .service(targets::create_target)
                .service(targets::get_target)
                .service(targets::update_target)
                .service(history::create_comment)
                .service(history::list_comments)
                .service(history::get_comment)
                .service(history::list_history)
                .service(history::get_history_verification)
                .service(history::get_integrity)
                .service(digests::get_digest_preferences)
                .service(digests::put_digest_preferences)
                .service(digests::get_digest_preview)
                .service(digests::create_digest_send)
                .service(digests::list_digests)
                .service(digests::create_digest_run)
                .service(digests::create_snooze)
                .service(digests::create_acknowledgement)
                .service(digests::delete_snooze)
                .service(stats::get_stats_summary)
                .service(stats::get_stats_by_report)
                .service(stats::get_stats_by_theme)
                .service(stats::get_stats_by_owner)
                .service(stats::get_stats_timeline)
                .service(stats::get_stats_cycle_times),
        );
}
