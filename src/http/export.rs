//! Item lists as CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheets pick the right
//! encoding), streamed as PostgreSQL sends the rows: memory stays flat whatever the size.

use actix_web::HttpResponse;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::config::StallRules;
use crate::db::PgPool;
use crate::db::enums::wire_name;
use crate::domain::items::list::{self, ExportRow, Filter, Sort};
use crate::error::{Error, Result};

const HEADER: [&str; 24] = [
    "key",
    "report",
    "ordinal",
    "title",
    "body",
    "themes",
    "priority",
    "response",
    "status",
    "progress_percent",
    "progress_note",
    "targets",
    "due_date",
    "original_due_date",
    "evidence_stage",
    "evidence_as_of",
    "owners",
    "stalled",
    "overdue",
    "idle_days",
    "last_activity_at",
    "updated_at",
    "version",
    "id",
];

/// Flush to the client about every 64 KiB.
const CHUNK: usize = 64 * 1024;

/// A spreadsheet runs a cell that starts like a formula, also after leading spaces, and treats a
/// leading tab or carriage return as one too; a leading `'` keeps such text as text. Applied to
/// every cell, whatever the column: keys, themes and owners are typed by people as well.
pub fn cell(text: &str) -> String {
    let risky_start = matches!(text.chars().next(), Some('\t' | '\r'));
    let formula = matches!(
        text.trim_start().chars().next(),
        Some('=' | '+' | '-' | '@')
    );
    if risky_start || formula {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn record(row: ExportRow) -> [String; 24] {
    raw_record(row).map(|text| cell(&text))
}

fn raw_record(row: ExportRow) -> [String; 24] {
    let r = row.rec;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    [
        r.key,
        row.report_key,
        r.ordinal.to_string(),
        r.title,
        r.body,
        r.themes.join("; "),
        wire_name(r.priority),
        wire_name(r.response),
        wire_name(r.status),
        r.progress_percent.to_string(),
        r.progress_note,
        row.targets,
        date(r.due_date),
        date(r.original_due_date),
        wire_name(r.evidence_stage),
        date(r.evidence_as_of),
        row.owners,
        row.assessment.stalled.to_string(),
        row.assessment.overdue.to_string(),
        row.assessment.idle_days.to_string(),
        r.last_activity_at.to_rfc3339(),
        r.updated_at.to_rfc3339(),
        r.version.to_string(),
        r.id.to_string(),
    ]
}

type Chunk = std::io::Result<Bytes>;

/// The CSV writer's output, shared so full chunks can be taken out while it keeps writing.
#[derive(Clone, Default)]
struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> Bytes {
        Bytes::from(std::mem::take(&mut *self.0.borrow_mut()))
    }

    fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

/// Streams every item matching `filter` as CSV. Problems found before the first byte (database
/// unreachable, bad filter) are answered as problem documents; a failure mid-stream cuts the
/// response short, which clients see as an incomplete transfer.
/// A `.csv` path or an `Accept` that prefers CSV over JSON.
pub fn wants_csv(req: &actix_web::HttpRequest) -> bool {
    if req.path().ends_with(".csv") {
        return true;
    }
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    prefers_csv(accept)
}

/// The highest quality `accept` gives any of `media` (0 when it names none of them).
fn quality(accept: &str, media: &[&str]) -> f32 {
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let name = parts.next()?.trim().to_ascii_lowercase();
            if !media.contains(&name.as_str()) {
                return None;
            }
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=")?.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some(q.clamp(0.0, 1.0))
        })
        .fold(0.0, f32::max)
}

/// CSV only when the caller ranks it above JSON (RFC 9110 quality values; `q=0` refuses it),
/// so JSON stays the answer to `*/*`, to no `Accept`, and to a tie.
fn prefers_csv(accept: &str) -> bool {
    let csv = quality(accept, &["text/csv"]);
    csv > 0.0 && csv > quality(accept, &["application/json", "application/*"])
}

/// The media type of every CSV answer.
pub const CSV: &str = "text/csv; charset=utf-8; header=present";

pub async fn csv_response(
    pool: PgPool,
    filter: Filter,
    sort: Sort,
    rules: StallRules,
    filename: &str,
) -> Result<HttpResponse> {
    let (tx, mut rx) = mpsc::channel::<Chunk>(4);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<()>>();
    tokio::task::spawn_blocking(move || {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                let _ = ready_tx.send(Err(e.into()));
                return;
            }
        };
        let _ = ready_tx.send(Ok(()));
        let buffer = Buffer::default();
        // RFC 4180 ends records with CRLF, as docs/API.md promises.
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buffer.clone());
        let mut failed = writer.write_record(HEADER).is_err();
        let outcome = list::export(&mut conn, &filter, sort, &rules, |row| {
            if writer
                .write_record(record(row))
                .and_then(|()| Ok(writer.flush()?))
                .is_err()
            {
                failed = true;
                return false;
            }
            if buffer.len() < CHUNK {
                return true;
            }
            tx.blocking_send(Ok(buffer.take())).is_ok()
        });
        let flushed = writer.flush();
        match (outcome, flushed) {
            (Ok(()), Ok(())) if !failed => {
                let _ = tx.blocking_send(Ok(buffer.take()));
            }
            (outcome, _) => {
                tracing::warn!(error = ?outcome.err(), "CSV export cut short");
                let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    ready_rx.await.map_err(Error::internal)??;
    let bom = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(b"\xEF\xBB\xBF"))
    });
    let rows = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, CSV))
        // The list URL answers JSON too, chosen by Accept: caches must keep the two apart.
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(futures_util::StreamExt::chain(bom, rows)))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn csv_is_chosen_only_when_ranked_above_json() {
        for (accept, csv) in [
            ("text/csv", true),
            ("TEXT/CSV; charset=utf-8", true),
            ("application/json;q=0.5, text/csv", true),
            ("text/csv;q=0", false),
            ("text/csv, application/json", false),
            ("text/csv;q=0.4, application/*;q=0.5", false),
            ("*/*", false),
            ("", false),
            ("text/csv;q=nonsense", true),
        ] {
            assert_eq!(super::prefers_csv(accept), csv, "{accept}");
        }
    }

    #[test]
    fn formulas_are_kept_as_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("\t1"), "'\t1");
        assert_eq!(cell("\r=1"), "'\r=1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("Pushing forward"), "Pushing forward");
        assert_eq!(cell("2026-12-01"), "2026-12-01");
    }
}
