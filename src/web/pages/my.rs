//! My items: what my digest would list now, and everything I own.

use super::*;

#[derive(Template)]
#[template(path = "app/my.html")]
struct MyPage {
    chrome: Chrome,
    show: String,
    digest: Option<Digest>,
    owned: Vec<Row>,
}

#[derive(Debug, Deserialize)]
pub struct MyQuery {
    show: Option<String>,
}

impl MyPage {
    fn rows_of(&self) -> &[Row] {
        &self.owned
    }
}

/// What needs me (exactly what my digest would list now) and everything I own.
pub async fn my_items(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<MyQuery>,
) -> Result<HttpResponse, PageError> {
    let show = match query.show.as_deref() {
        Some("stalled") => "stalled",
        Some("overdue") => "overdue",
        _ => "all",
    };
    let me = signed.0.user;
    let settings = state.settings.clone();
    let (mut digest, owned) = db::run(&state.pool, move |conn| {
        let context = DigestContext {
            rules: &settings.stall,
            digest: &settings.digest,
            base_url: "",
            signer: None,
        };
        let now = Utc::now();
        let digest = deliveries::compose_for(conn, &context, Audience::User(me), "now", now)?.pop();
        let filter = list::Filter {
            owner: Some(me),
            ..list::Filter::default()
        };
        let page = list::list(
            conn,
            &filter,
            Sort::parse("-last_activity")?,
            *list::LIMITS.end(),
            None,
            Count::None,
            &settings.stall,
        )?;
        Ok((digest, page.items))
    })
    .await?;
    if let Some(digest) = &mut digest {
        for group in &mut digest.groups {
            group.items.retain(|i| match show {
                "stalled" => i.stalled,
                "overdue" => i.overdue,
                _ => true,
            });
        }
        digest.groups.retain(|g| !g.items.is_empty());
    }
    Ok(html(
        StatusCode::OK,
        &MyPage {
            chrome: Chrome::of(&signed),
            show: show.to_owned(),
            digest,
            owned: owned.into_iter().map(Row::from).collect(),
        },
    ))
}
