//! A report's items, with the list API's filters.

use super::*;

/// The report page's filters, as a form sends them (empty fields mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct ReportFilters {
    status: Option<String>,
    response: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    theme: Option<String>,
    stalled: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ReportFilters {
    fn value(raw: &Option<String>) -> Option<String> {
        raw.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// The same query the list API takes.
    fn to_list_query(&self, report: &str) -> ListQuery {
        let flag = |raw: &Option<String>| Self::value(raw).map(|v| v == "true" || v == "on");
        ListQuery {
            status: Self::value(&self.status),
            response: Self::value(&self.response),
            report: Some(report.to_owned()),
            owner: Self::value(&self.owner),
            team: Self::value(&self.team),
            theme: Self::value(&self.theme),
            priority: None,
            due_before: None,
            due_after: None,
            stalled: flag(&self.stalled).filter(|on| *on),
            overdue: flag(&self.overdue).filter(|on| *on),
            q: Self::value(&self.q),
            sort: Self::value(&self.sort),
            limit: Some(list::DEFAULT_LIMIT),
            cursor: Self::value(&self.cursor),
            view: None,
        }
    }

    /// This query string with another cursor, for the "next page" link.
    fn with_cursor(&self, cursor: &str) -> String {
        let pairs = [
            ("status", &self.status),
            ("response", &self.response),
            ("owner", &self.owner),
            ("team", &self.team),
            ("theme", &self.theme),
            ("stalled", &self.stalled),
            ("overdue", &self.overdue),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        let mut out: Vec<String> = pairs
            .iter()
            .filter_map(|(k, v)| {
                Self::value(v).map(|v| format!("{k}={}", crate::web::session::encode_component(&v)))
            })
            .collect();
        out.push(format!(
            "cursor={}",
            crate::web::session::encode_component(cursor)
        ));
        out.join("&")
    }
}

const STATUSES: [Status; 7] = [
    Status::NotStarted,
    Status::InProgress,
    Status::PartiallyImplemented,
    Status::Implemented,
    Status::Blocked,
    Status::NotImplemented,
    Status::Superseded,
];
const RESPONSES: [Response; 5] = [
    Response::Pending,
    Response::Accepted,
    Response::AcceptedInPrinciple,
    Response::Noted,
    Response::Rejected,
];

#[derive(Template)]
#[template(path = "app/report.html")]
struct ReportPage {
    chrome: Chrome,
    key: String,
    title: String,
    rows: Vec<Row>,
    total: Option<i64>,
    next: Option<String>,
    statuses: Vec<Choice>,
    responses: Vec<Choice>,
    sorts: Vec<Choice>,
    owner: String,
    team: String,
    theme: String,
    q: String,
    stalled: bool,
    overdue: bool,
}

/// A report's items, filtered as the list API filters them.
pub async fn report(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
    filters: web::Query<ReportFilters>,
) -> Result<HttpResponse, PageError> {
    let key = key.into_inner();
    let filters = filters.into_inner();
    let query = filters.to_list_query(&key);
    let filter = crate::http::handlers::lists::filter_of(&query)?;
    let named = crate::http::handlers::lists::named_of(&query);
    let sort = Sort::parse(query.sort.as_deref().unwrap_or("ordinal"))?;
    let rules = state.settings.stall;
    let me = signed.0.user;
    let cursor = query.cursor.clone();
    let (report, page) = db::run(&state.pool, move |conn| {
        let report = reports::by_key(conn, &key)?;
        let filter =
            crate::domain::items::criteria::resolved(conn, filter, &named, None, Some(me))?;
        let page = list::list(
            conn,
            &filter,
            sort,
            list::DEFAULT_LIMIT,
            cursor.as_deref(),
            Count::Exact,
            &rules,
        )?;
        Ok((report, page))
    })
    .await?;
    let sort_names = [
        ("ordinal", "Position in the report"),
        ("-last_activity", "Longest without activity first"),
        ("due_date", "Soonest due first"),
    ];
    let chosen_sort = query.sort.clone().unwrap_or_else(|| "ordinal".to_owned());
    Ok(html(
        StatusCode::OK,
        &ReportPage {
            chrome: Chrome::of(&signed),
            next: page.next_cursor.as_deref().map(|c| filters.with_cursor(c)),
            rows: page.items.into_iter().map(Row::from).collect(),
            total: page.total,
            statuses: choices(&STATUSES, labels::status, query.status.as_deref()),
            responses: choices(&RESPONSES, labels::response, query.response.as_deref()),
            sorts: sort_names
                .iter()
                .map(|(value, label)| Choice {
                    value: (*value).to_owned(),
                    label: (*label).to_owned(),
                    selected: chosen_sort == *value,
                })
                .collect(),
            owner: query.owner.unwrap_or_default(),
            team: query.team.unwrap_or_default(),
            theme: query.theme.unwrap_or_default(),
            q: query.q.unwrap_or_default(),
            stalled: query.stalled == Some(true),
            overdue: query.overdue == Some(true),
            key: report.key,
            title: report.title,
        },
    ))
}

impl ReportPage {
    fn rows_of(&self) -> &[Row] {
        &self.rows
    }
}
