//! The manager's loop: a digest that says what a real run will send, arrives on request, and
//! carries what mail clients need to act on it.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use recotrack::domain::digest::deliveries::Trigger;

use crate::digests::scene;
use crate::helpers::SmtpSink;

#[actix_web::test]
async fn a_dry_run_lists_exactly_what_the_real_run_then_sends_and_keeps_nothing() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let mut rehearsed = s.app.scheduler.rehearse().await.expect("rehearse");
    rehearsed.sort();
    let recipients: Vec<&str> = rehearsed.iter().map(|(to, _)| to.as_str()).collect();
    let mut expected = vec![s.manager.email.as_str(), s.owner.email.as_str()];
    expected.sort_unstable();
    assert_eq!(recipients, expected);
    assert!(sink.messages().is_empty(), "a dry run sends nothing");
    let mut conn = s.app.db.connect();
    let kept: i64 = diesel::RunQueryDsl::get_result(
        diesel::QueryDsl::count(recotrack::db::schema::digest_runs::table),
        &mut conn,
    )
    .expect("runs");
    assert_eq!(kept, 0, "a dry run plans nothing for good");
    let escalations: i64 = diesel::RunQueryDsl::get_result(
        diesel::QueryDsl::count(recotrack::db::schema::escalations::table),
        &mut conn,
    )
    .expect("escalations");
    assert_eq!(escalations, 0, "nor records an escalation");

    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let mut sent: Vec<(String, String)> = sink
        .messages()
        .into_iter()
        .map(|(to, subject, _, _)| (to, subject))
        .collect();
    sent.sort();
    assert_eq!(sent, rehearsed, "the real run sent what the dry run listed");
    assert_eq!(
        s.app.scheduler.rehearse().await.expect("rehearse"),
        Vec::<(String, String)>::new(),
        "after the real run, a dry run lists nothing: the period is used"
    );
}

#[actix_web::test]
async fn send_me_my_digest_now_sends_the_preview_without_using_up_the_period() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let today = chrono::Utc::now().date_naive();
    let o = Some(s.owner.access.as_str());
    let first = s.app.call("POST", "/api/v1/me/digest/send", o, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["sent"], true);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0, s.owner.email);
    assert_eq!(
        messages[0].1,
        format!("[recotrack] 1 stalled, 0 overdue: digest on request {today}")
    );

    // The scheduled weekly digest still comes, to the owner and the manager.
    let tick = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!(tick.planned.deliveries, 2, "{tick:?}");
    let to_owner = sink
        .messages()
        .into_iter()
        .filter(|m| m.0 == s.owner.email)
        .count();
    assert_eq!(to_owner, 2);

    // Someone with nothing stalled or overdue gets no email.
    let viewer = s.app.user(Role::Viewer).await;
    let nothing = s
        .app
        .call("POST", "/api/v1/me/digest/send", Some(&viewer.access), None)
        .await;
    assert_eq!(nothing.status, StatusCode::OK);
    assert_eq!(nothing.body["sent"], false);
    assert_eq!(sink.messages().len(), 3);

    // Three an hour, then 429 with Retry-After; nothing more is sent.
    for _ in 0..2 {
        let again = s.app.call("POST", "/api/v1/me/digest/send", o, None).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    }
    let flood = s.app.call("POST", "/api/v1/me/digest/send", o, None).await;
    assert_eq!(
        flood.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        flood.text
    );
    assert!(flood.header("retry-after").is_some());
    assert_eq!(sink.messages().len(), 5);

    // A dashboard's token receives no digests.
    let token = s.app.api_token(&s.admin, Role::Viewer).await;
    let refused = s
        .app
        .call("POST", "/api/v1/me/digest/send", Some(&token), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
}

#[actix_web::test]
async fn a_digest_says_it_is_automatic_names_its_host_and_offers_one_click_unsubscribe() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let raw = sink.raw_messages();
    assert_eq!(raw.len(), 2);
    for bytes in &raw {
        let message = mail_parser::MessageParser::default()
            .parse(bytes)
            .expect("parse");
        let id = message.message_id().expect("Message-ID");
        assert!(id.ends_with("@127.0.0.1"), "{id}");
        let header = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("Auto-Submitted"), "auto-generated");
        assert_eq!(
            header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        let unsubscribe = header("List-Unsubscribe");
        assert!(
            unsubscribe.starts_with("<http://127.0.0.1:8080/app/act/")
                && unsubscribe.ends_with('>'),
            "{unsubscribe}"
        );
        let html = message.body_html(0).expect("html").into_owned();
        assert!(
            html.contains("Unsubscribe</a>"),
            "a visible unsubscribe link"
        );
        assert!(!html.contains("<script"), "no scripts");
        assert!(!html.contains("src=\"http"), "no external resources");
    }
    // The manager may snooze from the email; the contributor who owns the item may not.
    let (_, _, manager_text, _) =
        crate::digests::message_for(&sink.messages(), &s.manager.email).clone();
    assert!(
        manager_text.contains("Snooze 30 days: http://127.0.0.1:8080/app/act/"),
        "{manager_text}"
    );
    assert!(manager_text.contains("Still on track: http://127.0.0.1:8080/app/act/"));
    let messages = sink.messages();
    let (_, _, owner_text, _) = crate::digests::message_for(&messages, &s.owner.email);
    assert!(owner_text.contains("Still on track: http://127.0.0.1:8080/app/act/"));
    assert!(!owner_text.contains("Snooze 30 days"), "{owner_text}");
}
