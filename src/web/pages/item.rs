//! One item: its text and source, states, owners, evidence, comments and history, with the
//! forms its reader may use.

use super::*;

/// One event of an item's history, as a person reads it.
pub(crate) struct EventRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub change: String,
    pub reason: String,
}

/// A piece of evidence and what the viewer may do with it.
pub(crate) struct EvidenceRow {
    pub id: Uuid,
    pub version: i32,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub source: String,
    pub state: &'static str,
    pub submitted: String,
    pub review: String,
    pub reviewable: bool,
}

pub(crate) struct CommentRow {
    pub who: String,
    pub at: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "app/item.html")]
struct ItemPage {
    chrome: Chrome,
    id: Uuid,
    version: i32,
    key: String,
    title: String,
    body: String,
    source_ref: String,
    report_key: String,
    status: &'static str,
    status_reason: String,
    response: &'static str,
    response_reason: String,
    evidence_stage: &'static str,
    owners: String,
    due: String,
    original_due: String,
    snoozed: String,
    stalled: bool,
    overdue: bool,
    idle_days: i64,
    rule: String,
    history: Vec<EventRow>,
    due_revisions: Vec<EventRow>,
    evidence: Vec<EvidenceRow>,
    comments: Vec<CommentRow>,
    may_work: bool,
    may_manage: bool,
    watch: WatchState,
    status_moves: Vec<Choice>,
    response_moves: Vec<Choice>,
    today_plus_30: String,
}

fn stage_label(stage: EvidenceStage) -> &'static str {
    match stage {
        EvidenceStage::Verified => "Verified by someone other than its submitter",
        _ => "No accepted evidence yet",
    }
}

fn verification_label(v: Verification) -> &'static str {
    match v {
        Verification::Pending => "Awaiting review",
        Verification::Accepted => "Accepted",
        Verification::Rejected => "Rejected",
    }
}

fn moves(state: ItemState, axis: Axis) -> Vec<Choice> {
    workflow::allowed(state, axis)
        .into_iter()
        .map(|value| Choice {
            label: labels::of_wire(&value),
            value,
            selected: false,
        })
        .collect()
}

/// Everything about one item, and the forms of the actions the viewer may take.
pub async fn item(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let key = key.into_inner();
    let rules = state.settings.stall;
    let principal = signed.0.principal();
    let me = signed.0.user;
    let page = db::run(&state.pool, move |conn| {
        let id = items::id_by_key(conn, &key)?;
        let item = items::get(conn, id, &rules)?;
        let events: Vec<_> = history::read(conn, id)?
            .into_iter()
            .map(|shown| shown.event)
            .collect();
        let evidence = evidence::list(conn, id)?;
        let comments = comments::list(conn, id)?;
        let may_work = policy::item(conn, &principal, id, Act::WorkOnItem).is_ok();
        let may_manage = policy::item(conn, &principal, id, Act::ManageItem).is_ok();
        let watch = watchers::state(conn, me, id)?;
        let mut people: Vec<Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        people.extend(evidence.iter().filter_map(|e| e.submitted_by));
        people.extend(evidence.iter().filter_map(|e| e.reviewed_by));
        people.extend(comments.iter().filter_map(|c| c.author_id));
        let names = accounts::names_of(conn, people)?;
        Ok((
            item, events, evidence, comments, may_work, may_manage, watch, names,
        ))
    })
    .await?;
    let (item, events, evidence, comments, may_work, may_manage, watch, names) = page;
    let name_of = |id: Option<Uuid>| labels::actor(ActorKind::User, id, &names);
    let history: Vec<EventRow> = events
        .iter()
        .rev()
        .map(|e| EventRow {
            at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            who: labels::actor(e.actor_kind, e.actor_id, &names),
            what: labels::of_wire(&e.kind),
            change: labels::change_line(e),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let due_revisions = events
        .iter()
        .filter(|e| e.field.as_deref() == Some("due_date"))
        .map(|e| EventRow {
            at: e.at.format("%Y-%m-%d").to_string(),
            who: name_of(e.actor_id),
            what: String::new(),
            change: format!("{} → {}", labels::value(&e.before), labels::value(&e.after)),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let evidence = evidence
        .into_iter()
        .map(|e| EvidenceRow {
            reviewable: e.verification == Verification::Pending
                && policy::review_evidence(&principal, &e).is_ok(),
            submitted: format!(
                "{} on {}",
                name_of(e.submitted_by),
                e.submitted_at.date_naive()
            ),
            review: match (e.reviewed_by, e.reviewed_at) {
                (Some(by), Some(at)) => format!(
                    "by {} on {}{}",
                    name_of(Some(by)),
                    at.date_naive(),
                    e.review_note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                _ => String::new(),
            },
            state: verification_label(e.verification),
            id: e.id,
            version: e.version,
            title: e.title,
            url: e.url,
            excerpt: e.excerpt,
            source: e.source,
        })
        .collect();
    let comments = comments
        .into_iter()
        .map(|c| CommentRow {
            who: name_of(c.author_id),
            at: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            body: c.body,
        })
        .collect();
    let state_now = ItemState {
        response: item.rec.response,
        status: item.rec.status,
        has_verified_evidence: item.rec.evidence_stage == EvidenceStage::Verified,
    };
    let rec = item.rec;
    Ok(html(
        StatusCode::OK,
        &ItemPage {
            chrome: Chrome::of(&signed),
            id: rec.id,
            version: rec.version,
            title: rec.title,
            body: rec.body,
            source_ref: rec.source_ref.unwrap_or_default(),
            report_key: item.report_key,
            status: labels::status(rec.status),
            status_reason: rec.status_reason.unwrap_or_default(),
            response: labels::response(rec.response),
            response_reason: rec.response_reason.unwrap_or_default(),
            evidence_stage: stage_label(rec.evidence_stage),
            owners: join_owners(&item.owners),
            due: rec.due_date.map(|d| d.to_string()).unwrap_or_default(),
            original_due: rec
                .original_due_date
                .filter(|o| Some(*o) != rec.due_date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            snoozed: rec
                .snoozed_until
                .map(|d| {
                    format!(
                        "{d}{}",
                        rec.snooze_reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
            stalled: item.assessment.stalled,
            overdue: item.assessment.overdue,
            idle_days: item.assessment.idle_days.max(0),
            rule: format!(
                "the rule for items {} allows {} days",
                labels::stall_rule(item.assessment.rule),
                item.assessment.threshold_days
            ),
            history,
            due_revisions,
            evidence,
            comments,
            may_work,
            may_manage,
            watch,
            status_moves: if may_work {
                moves(state_now, Axis::Status)
            } else {
                Vec::new()
            },
            response_moves: if may_manage {
                moves(state_now, Axis::Response)
            } else {
                Vec::new()
            },
            today_plus_30: (Utc::now().date_naive() + chrono::Duration::days(30)).to_string(),
            key: rec.key,
        },
    ))
}
