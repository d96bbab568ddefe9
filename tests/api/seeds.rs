//! The shipped seed data against the source documents it was made from.

use std::path::Path;

use diesel::prelude::*;
use recotrack::db::schema::{history_events, recommendations, reports};
use recotrack::domain::seed;

use crate::helpers::TestDb;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");

fn source(name: &str) -> String {
    std::fs::read_to_string(Path::new(SEEDS).join("sources").join(name)).expect("source file")
}

fn load(conn: &mut PgConnection) -> seed::Summary {
    let files = seed::read_reports(Path::new(SEEDS)).expect("seed files parse");
    seed::load(conn, &files, None).expect("seeds load")
}

fn items(
    conn: &mut PgConnection,
    report: &str,
) -> Vec<(String, Option<uuid::Uuid>, uuid::Uuid, String, String)> {
    recommendations::table
        .inner_join(reports::table)
        .filter(reports::key.eq(report))
        .order(recommendations::key)
        .select((
            recommendations::key,
            recommendations::parent_id,
            recommendations::id,
            recommendations::title,
            recommendations::body,
        ))
        .load(conn)
        .expect("items")
}

/// `text` with every run of whitespace (line breaks included) folded to one space.
fn sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every paragraph of `body` occurs in `source`, word for word.
fn assert_verbatim(key: &str, body: &str, source: &str) {
    let source = folded(source);
    for para in body.split("\n\n") {
        assert!(
            source.contains(&folded(para)),
            "{key}: not verbatim: {para:.60}"
        );
    }
}

#[test]
fn every_numbered_suggestion_of_the_ccg_report_is_there_once_verbatim() {
    let db = TestDb::create();
    let mut conn = db.connect();
    load(&mut conn);
    let text = source("001_12b2e1b71ed96538.txt");
    let numbered: Vec<(i32, String)> = text
        .lines()
        .filter_map(|line| {
            let (number, title) = line.split_once(") ")?;
            Some((number.parse().ok()?, title.trim().to_owned()))
        })
        .collect();
    assert_eq!(numbered.len(), 20, "the source has 20 suggestions");
    let seeded = items(&mut conn, "ccg-2017");
    assert_eq!(
        seeded.len(),
        20,
        "000 and 001 are one report: 20 items, not 40"
    );
    for (number, title) in numbered {
        let key = format!("ccg-2017/{number:02}");
        let matching: Vec<_> = seeded.iter().filter(|(k, ..)| *k == key).collect();
        assert_eq!(matching.len(), 1, "{key}");
        let (_, _, _, seeded_title, body) = matching[0];
        assert_eq!(seeded_title, &title, "{key}");
        assert_verbatim(&key, body, &text);
    }
}

#[test]
fn the_five_tongji_priorities_and_their_sub_points_are_there_once() {
    let db = TestDb::create();
    let mut conn = db.connect();
    load(&mut conn);
    let text = source("003_68d403e52fb0bee6.txt");
    let heads = [
        "The first is",
        "The second is",
        "The third is",
        "The fourth is",
        "The last priority is",
    ];
    let starts: Vec<usize> = heads.iter().map(|h| text.find(h).expect(h)).collect();
    let seeded = items(&mut conn, "tongji-2019");
    for (n, start) in starts.iter().enumerate() {
        let end = starts
            .get(n + 1)
            .copied()
            .unwrap_or_else(|| text.find("On April 25-27").expect("closing note"));
        let block = &text[*start..end];
        let sub_points = block
            .lines()
            .filter(|line| {
                [
                    "First, ",
                    "Second, ",
                    "Third, ",
                    "Fourth, ",
                    "On one hand, ",
                    "On the other hand, ",
                ]
                .iter()
                .any(|w| line.starts_with(w))
            })
            .count();
        let key = format!("tongji-2019/{}", n + 1);
        let parent: Vec<_> = seeded.iter().filter(|(k, ..)| *k == key).collect();
        assert_eq!(parent.len(), 1, "{key}");
        let children = seeded
            .iter()
            .filter(|(_, p, ..)| *p == Some(parent[0].2))
            .count();
        assert_eq!(children, sub_points, "{key} sub-points");
    }
    // Priority 1's "On one hand ... On the other hand" are its two points.
    assert_eq!(seeded.len(), 5 + 15);
    for (key, _, _, _, body) in &seeded {
        assert_verbatim(key, body, &text);
    }
}

#[test]
fn the_eight_actions_three_coordinations_and_nine_mechanisms_are_there() {
    let db = TestDb::create();
    let mut conn = db.connect();
    load(&mut conn);
    let text = source("004_28d6732cc8b35764.txt");
    let seeded = items(&mut conn, "wenyang-hq-bri");
    for (group, count) in [
        ("wenyang-hq-bri/1", 8),
        ("wenyang-hq-bri/3", 3),
        ("wenyang-hq-bri/4", 9),
    ] {
        let parent = seeded.iter().find(|(k, ..)| k == group).expect(group);
        let children = seeded
            .iter()
            .filter(|(_, p, ..)| *p == Some(parent.2))
            .count();
        assert_eq!(children, count, "{group}");
    }
    for (key, _, _, _, body) in &seeded {
        assert_verbatim(key, body, &text);
    }
    // The measurable commitments are targets, quoted from their action, each with its own due
    // date: "by 2030" belongs to the training sessions, not to the whole action.
    #[derive(QueryableByName)]
    struct Target {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        figure: Option<i64>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
        due_date: Option<chrono::NaiveDate>,
        #[diesel(sql_type = diesel::sql_types::Text)]
        body: String,
    }
    let targets: Vec<Target> = diesel::sql_query(
        "SELECT r.key, t.text, t.figure, t.due_date, r.body FROM targets t \
         JOIN recommendations r ON r.id = t.recommendation_id ORDER BY r.key, t.ordinal",
    )
    .load(&mut conn)
    .expect("targets");
    let found: Vec<(&str, Option<i64>, Option<String>)> = targets
        .iter()
        .map(|t| {
            assert!(t.body.contains(&t.text), "{} quotes its item", t.key);
            (t.key.as_str(), t.figure, t.due_date.map(|d| d.to_string()))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("wenyang-hq-bri/1.3", Some(1000), None),
            (
                "wenyang-hq-bri/1.4",
                Some(100_000),
                Some("2030-12-31".to_owned())
            ),
        ]
    );
    let action_due: Option<chrono::NaiveDate> = recommendations::table
        .filter(recommendations::key.eq("wenyang-hq-bri/1.4"))
        .select(recommendations::due_date)
        .first(&mut conn)
        .expect("action 4");
    assert_eq!(action_due, None);
}

#[test]
fn seeds_claim_no_response_and_their_evidence_awaits_a_persons_review() {
    let db = TestDb::create();
    let mut conn = db.connect();
    load(&mut conn);
    let states: Vec<Triple> = diesel::sql_query(
        "SELECT DISTINCT response::text AS a, status::text AS b, evidence_stage::text AS c \
         FROM recommendations ORDER BY 1, 2, 3",
    )
    .load(&mut conn)
    .expect("states");
    let states: Vec<(String, String, String)> =
        states.into_iter().map(|t| (t.a, t.b, t.c)).collect();
    assert_eq!(
        states,
        [
            ("pending".into(), "not_started".into(), "claimed".into()),
            ("pending".into(), "not_started".into(), "none".into()),
        ],
        "no source records a response, and no seeded link is reviewed"
    );
    let reviewed: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM evidence WHERE verification <> 'pending' OR reviewed_by IS NOT NULL",
    )
    .get_result::<Count>(&mut conn)
    .expect("count")
    .n;
    assert_eq!(reviewed, 0);
    let unexplained: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM evidence WHERE rationale = '' OR excerpt = '' OR seed_key IS NULL",
    )
    .get_result::<Count>(&mut conn)
    .expect("count")
    .n;
    assert_eq!(unexplained, 0, "every link is keyed and says what it shows");
}

#[test]
fn every_seeded_text_is_found_at_its_recorded_place_in_its_source() {
    let files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    let mut checked = 0;
    for (name, file) in &files {
        let Some(first) = file.report.source_files.first() else {
            continue;
        };
        let text: Vec<char> = source(first).chars().collect();
        for rec in &file.recommendations {
            // A heading with nothing under it but its points has an empty body (and range).
            let [start, end] = rec.source_range;
            assert!(start <= end && end <= text.len(), "{}: range", rec.key);
            let quoted: String = text[start..end].iter().collect();
            assert_eq!(folded(&quoted), folded(&rec.body), "{name} {}", rec.key);
            assert_eq!(sha256(&quoted), rec.source_sha256, "{name} {}", rec.key);
            checked += 1;
        }
        for link in &file.evidence {
            let text: Vec<char> = source(&link.source_file).chars().collect();
            let [start, end] = link.source_range;
            assert!(start < end && end <= text.len(), "{}: range", link.key);
            let quoted: String = text[start..end].iter().collect();
            assert_eq!(quoted, link.excerpt, "{name} {}", link.key);
            assert_eq!(sha256(&quoted), link.source_sha256, "{name} {}", link.key);
            checked += 1;
        }
    }
    assert!(checked > 63, "{checked}");
}

#[test]
fn a_state_and_an_acceptance_that_only_a_seed_made_are_withdrawn_on_reload() {
    let db = TestDb::create();
    let mut conn = db.connect();
    load(&mut conn);
    let id: uuid::Uuid = recommendations::table
        .filter(recommendations::key.eq("ccg-2017/02"))
        .select(recommendations::id)
        .first(&mut conn)
        .expect("item");
    // As an earlier seed left it: accepted and partially implemented by the system, its
    // evidence accepted by nobody.
    conn.transaction(|conn| {
        recotrack::domain::items::lock(conn, id)?;
        diesel::sql_query(format!(
            "UPDATE recommendations SET response = 'accepted', status = 'partially_implemented' WHERE id = '{id}'"
        ))
        .execute(conn)?;
        diesel::sql_query(format!(
            "UPDATE evidence SET verification = 'accepted', reviewed_at = now(), \
             review_note = 'Accepted when seeded' WHERE recommendation_id = '{id}'"
        ))
        .execute(conn)?;
        recotrack::domain::history::append(
            conn,
            id,
            recotrack::domain::history::Author::SYSTEM,
            vec![
                recotrack::domain::history::Change::seeded_state(
                    serde_json::json!({"response": "pending", "status": "not_started"}),
                    serde_json::json!({"response": "accepted", "status": "partially_implemented"}),
                ),
            ],
        )
    })
    .expect("an old seed's state");
    load(&mut conn);
    let state: Triple = diesel::sql_query(format!(
        "SELECT response::text AS a, status::text AS b, evidence_stage::text AS c FROM recommendations WHERE id = '{id}'"
    ))
    .get_result(&mut conn)
    .expect("state");
    assert_eq!(
        (state.a.as_str(), state.b.as_str()),
        ("pending", "not_started")
    );
    let accepted: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM evidence WHERE recommendation_id = '{id}' AND verification <> 'pending'"
    ))
    .get_result::<Count>(&mut conn)
    .expect("count")
    .n;
    assert_eq!(accepted, 0);
    let verdict = recotrack::domain::history::verify(&mut conn, id).expect("verify");
    assert!(verdict.intact(), "{:?}", verdict.problems);
}

#[derive(QueryableByName)]
struct Triple {
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    b: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    c: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn loading_twice_changes_nothing_and_an_edit_is_recorded_by_the_system() {
    let db = TestDb::create();
    let mut conn = db.connect();
    let first = load(&mut conn);
    assert_eq!(first.items_created, 63);
    let events: i64 = history_events::table
        .count()
        .get_result(&mut conn)
        .expect("count");
    let again = load(&mut conn);
    assert_eq!(
        again,
        seed::Summary::default(),
        "a second load must change nothing"
    );
    assert_eq!(
        history_events::table
            .count()
            .get_result::<i64>(&mut conn)
            .expect("count"),
        events
    );

    // Edit one body in the data, as a reviewer would in the file.
    let mut files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    let (_, ccg) = files
        .iter_mut()
        .find(|(name, _)| name.ends_with("ccg-2017.toml"))
        .expect("ccg");
    let rec = ccg
        .recommendations
        .iter_mut()
        .find(|r| r.key == "ccg-2017/03")
        .expect("item 3");
    rec.body.push_str(" (corrected)");
    let before: chrono::DateTime<chrono::Utc> = recommendations::table
        .filter(recommendations::key.eq("ccg-2017/03"))
        .select(recommendations::last_activity_at)
        .first(&mut conn)
        .expect("item");
    let edited = seed::load(&mut conn, &files, None).expect("reload");
    assert_eq!(edited.items_updated, 1);
    let (kind, actor): (String, recotrack::db::enums::ActorKind) = history_events::table
        .inner_join(recommendations::table)
        .filter(recommendations::key.eq("ccg-2017/03"))
        .order(history_events::seq.desc())
        .select((
            history_events::field.assume_not_null(),
            history_events::actor_kind,
        ))
        .first(&mut conn)
        .expect("event");
    assert_eq!(kind, "body");
    assert_eq!(actor, recotrack::db::enums::ActorKind::System);
    let after: chrono::DateTime<chrono::Utc> = recommendations::table
        .filter(recommendations::key.eq("ccg-2017/03"))
        .select(recommendations::last_activity_at)
        .first(&mut conn)
        .expect("item");
    assert_eq!(
        before, after,
        "system changes must not reset the stall clock"
    );
}

#[actix_web::test]
async fn a_restart_never_overwrites_what_a_person_changed() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    load(&mut conn);
    let demo = seed::read_demo(Path::new(SEEDS)).expect("demo file");
    let files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    seed::load(&mut conn, &[], Some(&demo)).expect("demo");

    // A manager retitles an item; a contributor chooses daily digests.
    let maya = app
        .login_as("maya.manager@demo.recotrack.test", &demo.password)
        .await;
    let maya = maya.body["access_token"].as_str().expect("maya").to_owned();
    let id: uuid::Uuid = recommendations::table
        .filter(recommendations::key.eq("ccg-2017/03"))
        .select(recommendations::id)
        .first(&mut conn)
        .expect("item");
    let retitled = app
        .call(
            "PATCH",
            &format!("/api/v1/recommendations/{id}"),
            Some(&maya),
            Some(serde_json::json!({"title": "A manager's better title"})),
        )
        .await;
    assert_eq!(
        retitled.status,
        actix_web::http::StatusCode::OK,
        "{}",
        retitled.text
    );
    let chen = app
        .login_as("chen.contributor@demo.recotrack.test", &demo.password)
        .await;
    let chen = chen.body["access_token"].as_str().expect("chen").to_owned();
    let daily = app
        .call(
            "PUT",
            "/api/v1/me/digest-preferences",
            Some(&chen),
            Some(serde_json::json!({"frequency": "daily"})),
        )
        .await;
    assert_eq!(
        daily.status,
        actix_web::http::StatusCode::OK,
        "{}",
        daily.text
    );

    // A manager withdraws one seeded link and corrects another.
    let links = app
        .call(
            "GET",
            "/api/v1/recommendations?q=standing%20committee",
            Some(&maya),
            None,
        )
        .await;
    let item_02 = links.body["items"][0]["id"]
        .as_str()
        .expect("ccg 02")
        .to_owned();
    let listed = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item_02}/evidence"),
            Some(&maya),
            None,
        )
        .await;
    let listed = listed.body.as_array().expect("links").clone();
    assert_eq!(listed.len(), 2);
    let withdrawn = app
        .call(
            "DELETE",
            &format!("/api/v1/evidence/{}", listed[0]["id"].as_str().expect("id")),
            Some(&maya),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, actix_web::http::StatusCode::NO_CONTENT);
    let mut corrected = listed[1].clone();
    corrected["title"] = serde_json::json!("Corrected by Maya");
    let corrected = app
        .call(
            "PATCH",
            &format!("/api/v1/evidence/{}", listed[1]["id"].as_str().expect("id")),
            Some(&maya),
            Some(
                serde_json::json!({"kind": corrected["kind"], "title": corrected["title"],
                "excerpt": corrected["excerpt"], "source": corrected["source"],
                "relevance": corrected["relevance"], "rationale": corrected["rationale"]}),
            ),
        )
        .await;
    assert_eq!(
        corrected.status,
        actix_web::http::StatusCode::OK,
        "{}",
        corrected.text
    );

    // The next start loads the same files, and a file whose title for that item changed.
    let mut changed = seed::read_reports(Path::new(SEEDS)).expect("parse");
    if let Some(rec) = changed
        .iter_mut()
        .flat_map(|(_, f)| f.recommendations.iter_mut())
        .find(|r| r.key == "ccg-2017/03")
    {
        rec.title.push_str(" (seed edit)");
    }
    seed::load(&mut conn, &files, Some(&demo)).expect("restart");
    seed::load(&mut conn, &changed, Some(&demo)).expect("restart with a changed file");

    let title: String = recommendations::table
        .find(id)
        .select(recommendations::title)
        .first(&mut conn)
        .expect("title");
    assert_eq!(title, "A manager's better title");
    let prefs = app
        .call("GET", "/api/v1/me/digest-preferences", Some(&chen), None)
        .await;
    assert_eq!(prefs.body["frequency"], "daily", "{}", prefs.text);
    let after = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item_02}/evidence"),
            Some(&maya),
            None,
        )
        .await;
    let titles: Vec<&str> = after
        .body
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        ["Corrected by Maya"],
        "withdrawn stays withdrawn, corrected stays"
    );
}

#[actix_web::test]
async fn dates_are_as_precise_as_their_source() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    load(&mut conn);
    let viewer = app.user(recotrack::db::enums::Role::Viewer).await;
    let reports = app
        .call("GET", "/api/v1/reports", Some(&viewer.access), None)
        .await;
    let published = |key: &str| {
        reports
            .body
            .as_array()
            .expect("reports")
            .iter()
            .find(|r| r["key"] == key)
            .map(|r| r["published"].clone())
            .expect(key)
    };
    // "May. 2017" in the source: a month, not the first of May.
    assert_eq!(
        published("ccg-2017"),
        serde_json::json!({"value": "2017-05", "precision": "month"})
    );
    assert_eq!(
        published("tongji-2019"),
        serde_json::json!({"value": "2019-06-28", "precision": "day"})
    );
    assert_eq!(
        published("wenyang-hq-bri"),
        serde_json::Value::Null,
        "the lecture is undated"
    );

    // Every seeded text says exactly where it is, checkable with the source alone.
    let found = app
        .call(
            "GET",
            "/api/v1/recommendations?q=standing%20committee",
            Some(&viewer.access),
            None,
        )
        .await;
    let item = &found.body["items"][0];
    assert_eq!(item["key"], "ccg-2017/02");
    let provenance = &item["provenance"];
    assert_eq!(provenance["file"], "001_12b2e1b71ed96538.txt");
    let quote = |p: &serde_json::Value| -> String {
        let text: Vec<char> = source(p["file"].as_str().expect("file")).chars().collect();
        let start = usize::try_from(p["start"].as_u64().expect("start")).expect("usize");
        let end = usize::try_from(p["end"].as_u64().expect("end")).expect("usize");
        text[start..end].iter().collect()
    };
    let quoted = quote(provenance);
    assert_eq!(
        folded(&quoted),
        folded(item["body"].as_str().expect("body"))
    );
    assert_eq!(provenance["sha256"], sha256(&quoted));
    let links = app
        .call(
            "GET",
            &format!(
                "/api/v1/recommendations/{}/evidence",
                item["id"].as_str().expect("id")
            ),
            Some(&viewer.access),
            None,
        )
        .await;
    for link in links.body.as_array().expect("links") {
        let quoted = quote(&link["provenance"]);
        assert_eq!(quoted, link["excerpt"].as_str().expect("excerpt"));
        assert_eq!(link["provenance"]["sha256"], sha256(&quoted));
    }

    let manager = app.user(recotrack::db::enums::Role::Manager).await;
    let made = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(serde_json::json!({"key": "yearly", "title": "Annual", "published_on": "2024"})),
        )
        .await;
    assert_eq!(
        made.status,
        actix_web::http::StatusCode::CREATED,
        "{}",
        made.text
    );
    assert_eq!(
        made.body["published"],
        serde_json::json!({"value": "2024", "precision": "year"})
    );
    let bad = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(
                serde_json::json!({"key": "bad-date", "title": "Bad", "published_on": "May 2017"}),
            ),
        )
        .await;
    assert_eq!(
        bad.status,
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(bad.body["field"], "published_on");
}

#[actix_web::test]
async fn each_item_says_what_its_sources_show_and_no_more() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    load(&mut conn);
    let viewer = app.user(recotrack::db::enums::Role::Viewer).await;
    let listed = app
        .call(
            "GET",
            "/api/v1/recommendations?limit=200",
            Some(&viewer.access),
            None,
        )
        .await;
    let assessment = |key: &str| {
        listed.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["key"] == key)
            .map(|i| {
                i["source_assessment"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .expect(key)
    };
    assert_eq!(assessment("ccg-2017/03"), "no evidence linked");
    assert_eq!(
        assessment("ccg-2017/02"),
        "only background: no linked source shows it being done"
    );
    assert_eq!(
        assessment("ccg-2017/11"),
        "progress reported by The Belt and Road Initiative Progress, Contributions and Prospects \
         (Belt and Road Portal, 22 Apr 2019) [002_45cbd3a920c2f8b3.txt], not independently verified"
    );
}

#[actix_web::test]
async fn a_persons_review_of_a_seeded_link_survives_a_restart() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    load(&mut conn);
    let manager = app.user(recotrack::db::enums::Role::Manager).await;
    let found = app
        .call(
            "GET",
            "/api/v1/recommendations?q=tourism%20cities",
            Some(&manager.access),
            None,
        )
        .await;
    let item = found.body["items"][0]["id"]
        .as_str()
        .expect("item")
        .to_owned();
    let links = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}/evidence"),
            Some(&manager.access),
            None,
        )
        .await;
    let link = links.body[0].clone();
    let tag = format!("\"{}\"", link["version"]);
    let reviewed = app
        .call_with(
            "POST",
            &format!(
                "/api/v1/evidence/{}/review",
                link["id"].as_str().expect("id")
            ),
            Some(&manager.access),
            Some(serde_json::json!({"decision": "accepted", "note": "Checked against 002"})),
            &[("if-match", tag.as_str())],
        )
        .await;
    assert_eq!(
        reviewed.status,
        actix_web::http::StatusCode::OK,
        "{}",
        reviewed.text
    );
    load(&mut conn);
    let after = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}/evidence"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(after.body[0]["verification"], "accepted");
    assert_eq!(after.body[0]["reviewed_by"], manager.id.to_string());
}

/// The local demo is alive from the first start: invented activity (labelled so) leaves items
/// stalled, overdue, blocked and implemented, the first digest has content, and a restart plays
/// nothing twice.
#[actix_web::test]
async fn the_demo_shows_stalled_overdue_and_finished_work_labelled_as_invented() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    let files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    let demo = seed::read_demo(Path::new(SEEDS)).expect("demo file");
    seed::load(&mut conn, &files, Some(&demo)).expect("first start");
    let maya = app
        .login_as("maya.manager@demo.recotrack.test", &demo.password)
        .await;
    let maya = maya.body["access_token"].as_str().expect("maya").to_owned();
    let state = |key: &'static str| {
        let app = &app;
        let maya = maya.clone();
        async move {
            let id: uuid::Uuid = {
                let mut conn = app.db.connect();
                recommendations::table
                    .filter(recommendations::key.eq(key))
                    .select(recommendations::id)
                    .first(&mut conn)
                    .expect("item")
            };
            let item = app
                .call(
                    "GET",
                    &format!("/api/v1/recommendations/{id}"),
                    Some(&maya),
                    None,
                )
                .await;
            (
                item.body["status"].as_str().unwrap_or_default().to_owned(),
                item.body["stalled"].as_bool().unwrap_or_default(),
                item.body["overdue"].as_bool().unwrap_or_default(),
            )
        }
    };
    let expected = [
        ("ccg-2017/11", "in_progress", true, false),
        ("ccg-2017/02", "in_progress", false, true),
        ("ccg-2017/17", "implemented", false, false),
        ("ccg-2017/10", "blocked", true, false),
        ("wenyang-hq-bri/1.1", "partially_implemented", true, false),
        ("tongji-2019/1.1", "not_started", true, false),
    ];
    for (key, status, stalled, overdue) in expected {
        assert_eq!(
            state(key).await,
            (status.to_owned(), stalled, overdue),
            "{key}"
        );
    }
    let preview = app
        .call("GET", "/api/v1/digests/preview", Some(&maya), None)
        .await;
    let text = preview.body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("[ccg-2017/11]") && text.contains("[ccg-2017/02]"),
        "{text}"
    );
    let cycle = app
        .call("GET", "/api/v1/stats/cycle-times", Some(&maya), None)
        .await;
    assert_eq!(
        cycle.status,
        actix_web::http::StatusCode::OK,
        "{}",
        cycle.text
    );
    assert!(
        cycle.text.contains("\"count\":1") || cycle.text.contains("\"n\":1"),
        "one item went from accepted to implemented: {}",
        cycle.text
    );

    // Every invented event says so; none claims to be the report's own.
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |conn: &mut PgConnection, sql: &str| {
        diesel::sql_query(sql).get_result::<N>(conn).expect(sql).n
    };
    let unlabelled = count(
        &mut conn,
        "SELECT count(*) AS n FROM history_events h JOIN users u ON u.id = h.actor_id \
         WHERE u.is_demo AND h.kind IN ('transition', 'evidence_reviewed', 'due_date_changed') \
         AND coalesce(h.reason, '') NOT LIKE '%Invented demo activity%'",
    );
    assert_eq!(unlabelled, 0);
    let before = count(&mut conn, "SELECT count(*) AS n FROM history_events");
    seed::load(&mut conn, &files, Some(&demo)).expect("restart");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM history_events"),
        before,
        "a restart invents nothing more"
    );
}

/// The keys of every `after` of `kind` in the history, each distinct set once.
fn shapes_of(conn: &mut PgConnection, kind: &str) -> Vec<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Keys {
        #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
        keys: Vec<String>,
    }
    diesel::sql_query(format!(
        "SELECT DISTINCT ARRAY(SELECT jsonb_object_keys(after) ORDER BY 1) AS keys \
         FROM history_events WHERE kind = '{kind}' ORDER BY 1"
    ))
    .load::<Keys>(conn)
    .expect("shapes")
    .into_iter()
    .map(|k| k.keys)
    .collect()
}

#[actix_web::test]
async fn the_seed_records_owners_and_evidence_in_the_shapes_the_api_records() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    let files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    let demo = seed::read_demo(Path::new(SEEDS)).expect("demo file");
    seed::load(&mut conn, &files, Some(&demo)).expect("load");
    let manager = app.user(recotrack::db::enums::Role::Manager).await;
    let id: uuid::Uuid = recommendations::table
        .filter(recommendations::key.eq("ccg-2017/03"))
        .select(recommendations::id)
        .first(&mut conn)
        .expect("item");
    // A manager adds an owner and a piece of evidence through the API, beside the seed's.
    let owner = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{id}/owners/users/{}", manager.id),
            Some(&manager.access),
            Some(serde_json::json!({"kind": "observer"})),
        )
        .await;
    assert!(owner.status.is_success(), "{}", owner.text);
    let evidence = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{id}/evidence"),
            Some(&manager.access),
            Some(
                serde_json::json!({"kind": "statement", "title": "Minutes", "excerpt": "Agreed.",
                        "source": "Board minutes", "rationale": "It says so.",
                        "relevance": "shows_progress"}),
            ),
        )
        .await;
    assert_eq!(
        evidence.status,
        actix_web::http::StatusCode::CREATED,
        "{}",
        evidence.text
    );
    assert_eq!(
        shapes_of(&mut conn, "owner_added"),
        vec![vec!["kind", "owner"]]
    );
    let evidence_keys = vec![
        "evidence_id",
        "excerpt",
        "kind",
        "observed_on",
        "rationale",
        "relevance",
        "seed_key",
        "source",
        "title",
        "url",
        "verification",
        "version",
    ];
    assert_eq!(shapes_of(&mut conn, "evidence_added"), vec![evidence_keys]);
}

#[actix_web::test]
async fn a_link_a_person_withdrew_stays_withdrawn_when_its_seed_event_is_in_the_old_shape() {
    let app = crate::helpers::TestApp::spawn().await;
    let mut conn = app.db.connect();
    let mut files = seed::read_reports(Path::new(SEEDS)).expect("parse");
    seed::load(&mut conn, &files, None).expect("load");
    let manager = app.user(recotrack::db::enums::Role::Manager).await;
    let link: uuid::Uuid = recotrack::db::schema::evidence::table
        .filter(recotrack::db::schema::evidence::seed_key.eq("ccg-2017/02#1"))
        .select(recotrack::db::schema::evidence::id)
        .first(&mut conn)
        .expect("the seeded link");
    let withdrawn = app
        .call(
            "DELETE",
            &format!("/api/v1/evidence/{link}"),
            Some(&manager.access),
            None,
        )
        .await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.text);
    // The seed's event for the link as an earlier version wrote it: the key under `key`.
    {
        let mut old = app.db.connect();
        for statement in [
            "SET session_replication_role = replica".to_owned(),
            format!(
                "UPDATE history_events SET after = (after - 'seed_key') || \
                 jsonb_build_object('key', after->>'seed_key') \
                 WHERE kind = 'evidence_added' AND after->>'evidence_id' = '{link}'"
            ),
        ] {
            diesel::sql_query(statement)
                .execute(&mut old)
                .expect("write the old shape");
        }
    }
    // The analyst retitles the link in the file; the person's withdrawal still stands.
    let (_, ccg) = files
        .iter_mut()
        .find(|(name, _)| name.ends_with("ccg-2017.toml"))
        .expect("ccg file");
    let seeded = ccg
        .evidence
        .iter_mut()
        .find(|e| e.key == "ccg-2017/02#1")
        .expect("the link in the file");
    seeded.title = "A new title for the same link".into();
    seed::load(&mut conn, &files, None).expect("reload");
    let again: i64 = recotrack::db::schema::evidence::table
        .filter(recotrack::db::schema::evidence::seed_key.eq("ccg-2017/02#1"))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(again, 0, "a withdrawn link must not come back");
}
