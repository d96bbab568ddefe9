//! Digest preferences, and sending my digest now.

use super::*;

#[derive(Template)]
#[template(path = "app/preferences.html")]
struct PreferencesPage {
    chrome: Chrome,
    chosen: String,
    effective: &'static str,
    email: String,
    saved: bool,
    sent: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct PreferencesQuery {
    saved: Option<String>,
    sent: Option<String>,
}

fn frequency_label(f: DigestFrequency) -> &'static str {
    match f {
        DigestFrequency::Daily => "daily",
        DigestFrequency::Weekly => "weekly",
        DigestFrequency::Off => "off",
    }
}

pub async fn preferences(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<PreferencesQuery>,
    _req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let me = signed.0.user;
    let (profile, (chosen, effective)) = db::run(&state.pool, move |conn| {
        Ok((
            accounts::get(conn, me)?,
            accounts::digest_preference(conn, me)?,
        ))
    })
    .await?;
    Ok(html(
        StatusCode::OK,
        &PreferencesPage {
            chrome: Chrome::of(&signed),
            chosen: chosen.map_or_else(|| "default".to_owned(), |f| frequency_label(f).to_owned()),
            effective: frequency_label(effective),
            email: profile.email,
            saved: query.saved.is_some(),
            sent: query.sent.as_deref().map(|s| s == "true"),
        },
    ))
}
