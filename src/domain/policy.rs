//! Who may do what to which object: every such answer the service gives, in one table, so it
//! can be read against the role table in the README. Routes admit callers by role first (see
//! `http::auth`); the rules here decide about one object: this item, this evidence, this
//! person's digest. Handlers, pages, links and the domain ask here and nowhere else.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::enums::Role;
use crate::db::models::Evidence;
use crate::db::schema::{recommendation_owners as owner_rows, team_memberships};
use crate::domain::auth::Principal;
use crate::error::{Error, Result};

/// Something a caller may ask to do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Edit an item's definition (title, body, themes, priority, due date), its owners, its
    /// response, its targets; snooze it.
    ManageItem,
    /// Work on an item: its status, progress, evidence, comments, targets' progress, "still on
    /// track".
    WorkOnItem,
    /// Change or withdraw a piece of evidence.
    EditEvidence,
    /// Accept or reject a piece of evidence.
    ReviewEvidence,
    /// See or preview another person's digests.
    SeeOthersDigests,
    /// Snooze an item from a signed link in a digest.
    SnoozeFromEmail,
    /// Be named a report's manager.
    ManageReport,
    /// Subscribe a whole team to a saved view, or end a team's subscription.
    SubscribeTeam,
}

/// Who may do an [`Act`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub act: Act,
    /// The least role that may always do it.
    pub role: Role,
    /// The least role that may do it on what is theirs (an item they own directly or through
    /// a team; evidence they submitted, on an item they own; their own digest).
    pub on_their_own: Option<Role>,
    /// Only a person signed in, never an API token.
    pub person_only: bool,
    /// Never someone who submitted or edited the object (four eyes).
    pub never_its_author: bool,
}

const fn rule(act: Act, role: Role, on_their_own: Option<Role>) -> Rule {
    Rule {
        act,
        role,
        on_their_own,
        person_only: false,
        never_its_author: false,
    }
}

/// The table. Its rows are the README's "Roles" section, object by object.
pub const RULES: [Rule; 8] = [
    rule(Act::ManageItem, Role::Manager, None),
    rule(Act::WorkOnItem, Role::Manager, Some(Role::Contributor)),
    rule(Act::EditEvidence, Role::Manager, Some(Role::Contributor)),
    Rule {
        person_only: true,
        never_its_author: true,
        ..rule(Act::ReviewEvidence, Role::Manager, None)
    },
    rule(Act::SeeOthersDigests, Role::Admin, Some(Role::Viewer)),
    rule(Act::SnoozeFromEmail, Role::Manager, None),
    rule(Act::ManageReport, Role::Manager, None),
    Rule {
        person_only: true,
        ..rule(Act::SubscribeTeam, Role::Manager, None)
    },
];

/// The rule for `act`.
pub fn rule_for(act: Act) -> Rule {
    RULES
        .into_iter()
        .find(|r| r.act == act)
        .unwrap_or(rule(act, Role::Admin, None))
}

fn refused(act: Act) -> Error {
    Error::Forbidden(
        match act {
            Act::ManageItem => "only managers may do this",
            Act::WorkOnItem => "only the item's owners (or their team) and managers may change it",
            Act::EditEvidence => "only its submitter or a manager may change this evidence",
            Act::ReviewEvidence => "only a manager may review evidence",
            Act::SeeOthersDigests => "managers may preview only their own digest",
            Act::SnoozeFromEmail => "only managers may snooze items",
            Act::ManageReport => "only managers and admins can manage a report",
            Act::SubscribeTeam => "only managers may subscribe a team",
        }
        .into(),
    )
}

/// Whether `role` may do `act` whatever the object (the first part of every rule).
pub fn by_role(role: Role, act: Act) -> bool {
    role.at_least(rule_for(act).role)
}

/// Whether `role` may do `act` on what is theirs.
fn on_their_own(role: Role, act: Act) -> bool {
    rule_for(act)
        .on_their_own
        .is_some_and(|least| role.at_least(least))
}

/// Whether `user` owns `item` directly or through one of their teams.
pub fn owns(conn: &mut PgConnection, user: Uuid, item: Uuid) -> Result<bool> {
    let my_teams = team_memberships::table
        .filter(team_memberships::user_id.eq(user))
        .select(team_memberships::team_id);
    Ok(diesel::select(diesel::dsl::exists(
        owner_rows::table
            .filter(owner_rows::recommendation_id.eq(item))
            .filter(
                owner_rows::user_id
                    .eq(user)
                    .or(owner_rows::team_id.nullable().eq_any(my_teams.nullable())),
            ),
    ))
    .get_result(conn)?)
}

/// Refuses (403) unless `principal` may do `act` (`ManageItem` or `WorkOnItem`) to `item`.
pub fn item(conn: &mut PgConnection, principal: &Principal, item: Uuid, act: Act) -> Result<()> {
    if by_role(principal.role, act) {
        return Ok(());
    }
    if on_their_own(principal.role, act)
        && let Some(user) = principal.user_id()
        && owns(conn, user, item)?
    {
        return Ok(());
    }
    Err(refused(act))
}

/// Refuses unless `principal` may change or withdraw `row`: managers, or its submitter while
/// they may still work on its item.
pub fn edit_evidence(conn: &mut PgConnection, principal: &Principal, row: &Evidence) -> Result<()> {
    if by_role(principal.role, Act::EditEvidence) {
        return Ok(());
    }
    item(conn, principal, row.recommendation_id, Act::WorkOnItem)?;
    let theirs = row.submitted_by.is_some() && row.submitted_by == principal.user_id();
    if on_their_own(principal.role, Act::EditEvidence) && theirs {
        Ok(())
    } else {
        Err(refused(Act::EditEvidence))
    }
}

/// Refuses unless `principal` may judge `row`: a manager, a person (not an API token), and
/// nobody who submitted or edited any version of it (four eyes). Answers the reviewer's id.
/// The review itself and the pages that offer a review form both ask this.
pub fn review_evidence(principal: &Principal, row: &Evidence) -> Result<Uuid> {
    let rule = rule_for(Act::ReviewEvidence);
    principal.require(rule.role)?;
    let person = principal.user_id();
    if rule.person_only && person.is_none() {
        return Err(Error::Forbidden(
            "evidence is reviewed by a person, not an API token".into(),
        ));
    }
    let reviewer = person.ok_or_else(|| refused(Act::ReviewEvidence))?;
    if rule.never_its_author
        && (row.submitted_by == Some(reviewer) || row.editors.contains(&reviewer))
    {
        return Err(Error::Forbidden(
            "nobody may review evidence they submitted or edited".into(),
        ));
    }
    Ok(reviewer)
}

/// Refuses unless `principal` may see `user`'s digests: their own, or anyone's for admins.
pub fn digests_of(principal: &Principal, user: Uuid) -> Result<()> {
    let own =
        principal.user_id() == Some(user) && on_their_own(principal.role, Act::SeeOthersDigests);
    if own || by_role(principal.role, Act::SeeOthersDigests) {
        Ok(())
    } else {
        Err(refused(Act::SeeOthersDigests))
    }
}

/// Whose digest runs `principal` may list: everyone's (`None`) or only their own.
pub fn digest_runs_visible_to(principal: &Principal) -> Option<Option<Uuid>> {
    if by_role(principal.role, Act::SeeOthersDigests) {
        Some(None)
    } else {
        principal.user_id().map(Some)
    }
}

/// Refuses unless `principal` may subscribe a team to a view (a manager, signed in).
pub fn subscribe_team(principal: &Principal) -> Result<()> {
    let rule = rule_for(Act::SubscribeTeam);
    if by_role(principal.role, Act::SubscribeTeam)
        && (!rule.person_only || principal.user_id().is_some())
    {
        Ok(())
    } else {
        Err(refused(Act::SubscribeTeam))
    }
}

/// Refuses unless a user of `role` may be named a report's manager (422: it is the named
/// person who does not qualify, not the caller).
pub fn may_manage_report(role: Role) -> Result<()> {
    if by_role(role, Act::ManageReport) {
        Ok(())
    } else {
        Err(Error::invalid(
            "user_id",
            "only managers and admins can manage a report",
        ))
    }
}

/// Who may use a saved view (list with it, subscribe to it, read its feed): its owner, its
/// team's members, managers and admins, and API tokens (dashboards; every item is readable by
/// them anyway, a view only filters).
pub fn may_use_view(
    conn: &mut PgConnection,
    principal: &Principal,
    owner: Uuid,
    team: Option<Uuid>,
) -> Result<bool> {
    let user = match principal.actor {
        crate::domain::auth::Actor::Token { .. } => return Ok(true),
        crate::domain::auth::Actor::User { id, .. } => id,
    };
    if owner == user || principal.role.at_least(Role::Manager) {
        return Ok(true);
    }
    let Some(team) = team else {
        return Ok(false);
    };
    crate::domain::teams::is_member(conn, team, user)
}

/// Who may change or delete a saved view: its owner and admins.
pub fn may_change_view(principal: &Principal, owner: Uuid) -> bool {
    principal.role == Role::Admin || principal.user_id() == Some(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_rule_per_act() {
        let acts = [
            Act::ManageItem,
            Act::WorkOnItem,
            Act::EditEvidence,
            Act::ReviewEvidence,
            Act::SeeOthersDigests,
            Act::SnoozeFromEmail,
            Act::ManageReport,
        ];
        for act in acts {
            assert_eq!(RULES.iter().filter(|r| r.act == act).count(), 1, "{act:?}");
        }
    }

    #[test]
    fn roles_alone_decide_as_the_readme_says() {
        use Role::{Admin, Contributor, Manager, Viewer};
        // (act, viewer, contributor, manager, admin), whatever the object.
        let expected = [
            (Act::ManageItem, [false, false, true, true]),
            (Act::WorkOnItem, [false, false, true, true]),
            (Act::EditEvidence, [false, false, true, true]),
            (Act::ReviewEvidence, [false, false, true, true]),
            (Act::SeeOthersDigests, [false, false, false, true]),
            (Act::SnoozeFromEmail, [false, false, true, true]),
            (Act::ManageReport, [false, false, true, true]),
        ];
        for (act, answers) in expected {
            let got = [Viewer, Contributor, Manager, Admin].map(|role| by_role(role, act));
            assert_eq!(got, answers, "{act:?}");
        }
        // On what is theirs: contributors work on items they own and edit their evidence.
        let theirs =
            [Viewer, Contributor, Manager, Admin].map(|r| on_their_own(r, Act::WorkOnItem));
        assert_eq!(theirs, [false, true, true, true]);
        assert!(!on_their_own(Contributor, Act::ReviewEvidence));
    }
}
