//! The evidence part of a history check: replaying the evidence events against the evidence
//! rows and the item's `evidence_stage`.

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::EventKind;
use super::verify::Problem;
use crate::db::enums::ActorKind;
use crate::db::models::HistoryEvent;
use crate::db::schema::recommendations;
use crate::error::Result;

/// What the history says about one piece of evidence.
#[derive(Default)]
struct EvidenceStory {
    verification: String,
    /// People who submitted or edited any version.
    editors: Vec<Uuid>,
    reviewer: Option<Uuid>,
}

fn evidence_id(value: Option<&Value>) -> Option<Uuid> {
    value?.get("evidence_id")?.as_str()?.parse().ok()
}

/// Replays the evidence events and checks the evidence rows and the item's `evidence_stage`
/// against them, four eyes included: a verdict recorded in a row must be the one its history
/// holds, made by someone who never submitted or edited that evidence.
pub fn check(conn: &mut PgConnection, item: Uuid, all: &[HistoryEvent]) -> Result<Vec<Problem>> {
    use crate::db::enums::{EvidenceStage, Relevance, Verification};
    use crate::db::schema::evidence;
    use std::collections::BTreeMap;
    let mut stories: BTreeMap<Uuid, EvidenceStory> = BTreeMap::new();
    for event in all {
        let person = (event.actor_kind == ActorKind::User)
            .then_some(event.actor_id)
            .flatten();
        let verdict = event
            .after
            .as_ref()
            .and_then(|a| a.get("verification"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match EventKind::parse(&event.kind) {
            Some(EventKind::EvidenceAdded | EventKind::EvidenceUpdated) => {
                let Some(id) = evidence_id(event.after.as_ref()) else {
                    continue;
                };
                let story = stories.entry(id).or_default();
                // Any edit makes a new version that awaits review.
                story.verification = verdict.unwrap_or_else(|| "pending".into());
                story.reviewer = None;
                story.editors.extend(person);
            }
            Some(EventKind::EvidenceReviewed) => {
                let Some(id) = evidence_id(event.after.as_ref()) else {
                    continue;
                };
                let story = stories.entry(id).or_default();
                story.verification = verdict.unwrap_or_default();
                story.reviewer = person;
            }
            Some(EventKind::EvidenceRemoved) => {
                if let Some(id) = evidence_id(event.before.as_ref()) {
                    stories.remove(&id);
                }
            }
            _ => {}
        }
    }
    type Row = (Uuid, Verification, Option<Uuid>, Relevance);
    let rows: Vec<Row> = evidence::table
        .filter(evidence::recommendation_id.eq(item))
        .select((
            evidence::id,
            evidence::verification,
            evidence::reviewed_by,
            evidence::relevance,
        ))
        .load(conn)?;
    let mut problems = Vec::new();
    let mut problem = |evidence_id: Uuid, what: &str| {
        problems.push(Problem::Evidence {
            evidence_id,
            what: what.to_owned(),
        });
    };
    for (id, verification, reviewer, _) in &rows {
        let Some(story) = stories.remove(id) else {
            problem(*id, "it has no history");
            continue;
        };
        if story.verification != crate::db::enums::wire_name(*verification) {
            problem(*id, "its verdict is not the one its history records");
        } else if *verification != Verification::Pending {
            if *reviewer != story.reviewer {
                problem(*id, "its reviewer is not the one its history records");
            }
            if reviewer.is_some_and(|r| story.editors.contains(&r)) {
                problem(*id, "it was reviewed by someone who submitted or edited it");
            }
        }
    }
    for id in stories.keys() {
        problem(
            *id,
            "its history says it exists, but it is gone without a record",
        );
    }
    let derived = crate::domain::evidence::stage_of(rows.iter().map(|r| (r.1, r.3)));
    let recorded: EvidenceStage = recommendations::table
        .find(item)
        .select(recommendations::evidence_stage)
        .first(conn)?;
    if recorded != derived {
        problems.push(Problem::Replay {
            field: "evidence_stage",
            history: json!(derived),
            item: json!(recorded),
        });
    }
    Ok(problems)
}
