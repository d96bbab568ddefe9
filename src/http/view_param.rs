//! `?view=<id>`: a saved view's criteria under the parameters of a list or of the figures.

use uuid::Uuid;

use crate::db;
use crate::domain::auth::Principal;
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::dto::items::ListQuery;
use crate::http::handlers::stats::ScopeQuery;

/// The criteria of view `id`, if `who` may use it (a 422 on `view` otherwise: the parameter
/// names nothing the caller can use).
async fn criteria(state: &AppState, who: &Principal, id: Uuid) -> Result<serde_json::Value> {
    let who = *who;
    db::run(&state.pool, move |conn| {
        crate::domain::views::get(conn, &who, id)
            .map(|v| v.criteria)
            .map_err(|e| match e {
                Error::NotFound => Error::invalid("view", "names no view you may use"),
                other => other,
            })
    })
    .await
}

/// A list's `query` over the view it names; each parameter given wins.
pub async fn list_over(state: &AppState, query: ListQuery, who: &Principal) -> Result<ListQuery> {
    let Some(id) = query.view else {
        return Ok(query);
    };
    let saved = serde_json::from_value::<ListQuery>(criteria(state, who, id).await?)
        .map_err(|e| Error::internal(format!("a stored view does not parse: {e}")))?;
    Ok(query.over(saved))
}

/// The figures' scope `q` over the view it names: a view gives its report, theme, team and
/// owner; one that filters by anything else is refused.
pub async fn scope_over(
    state: &AppState,
    mut q: ScopeQuery,
    who: &Principal,
) -> Result<ScopeQuery> {
    let Some(id) = q.view.take() else {
        return Ok(q);
    };
    let mut saved = criteria(state, who, id)
        .await?
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut take = |key: &str| {
        saved
            .remove(key)
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    q.report = q.report.or(take("report"));
    q.theme = q.theme.or(take("theme"));
    q.team = q.team.or(take("team"));
    q.owner = q.owner.or(take("owner"));
    saved.remove("sort");
    if let Some(other) = saved.keys().next() {
        return Err(Error::invalid(
            "view",
            format!(
                "figures take a view's report, theme, team and owner; this view also filters \
                 by `{other}`"
            ),
        ));
    }
    Ok(q)
}
