//! The planner's estimate of how many rows a query returns, for totals that must not cost a
//! scan: `EXPLAIN (FORMAT JSON)` around any diesel query, binds and all.

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Json;
use diesel::{QueryResult, RunQueryDsl};

/// `EXPLAIN (FORMAT JSON) <query>`: plans the query without running it.
#[derive(Debug, Clone)]
struct Explain<Q>(Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    // Plans are cheap and their text varies with the filters: not worth a prepared statement.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN (FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> Query for Explain<Q> {
    type SqlType = Json;
}

impl<Q> RunQueryDsl<PgConnection> for Explain<Q> {}

/// The number of rows the planner expects `query` to return (never negative).
pub fn estimated_rows<Q>(conn: &mut PgConnection, query: Q) -> QueryResult<i64>
where
    Q: QueryFragment<Pg>,
{
    let plan: serde_json::Value = Explain(query).get_result(conn)?;
    let rows = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0);
    // The planner's figure is a float estimate; a count is a whole, non-negative number.
    #[allow(clippy::cast_possible_truncation)]
    Ok(rows.max(0.0).round() as i64)
}
