//! Fixed pieces of SQL for diesel statements. `diesel::dsl::sql` marks a statement unsafe to
//! keep prepared, so PostgreSQL parses and plans it on every request (measured: a one-item read
//! with its owners as subqueries runs at 2,200 per second planned each time against 9,300
//! prepared, `bench/api.sh`'s machine). A fragment declared here is the same text with a type
//! of its own, so the statements using it are prepared once per connection and reused.

/// Declares `$name`, an expression of SQL type `$st` written as `$sql` (a `&'static str`).
macro_rules! fragment {
    ($(#[$doc:meta])* $vis:vis $name:ident: $st:ty = $sql:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl diesel::expression::Expression for $name {
            type SqlType = $st;
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl diesel::query_builder::QueryId for $name {
            type QueryId = Self;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}
        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}
        impl<GB> diesel::expression::ValidGrouping<GB> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

pub(crate) use fragment;
