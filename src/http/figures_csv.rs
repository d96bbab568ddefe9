//! Dashboard figures as CSV for spreadsheets (`Accept: text/csv` on `/stats/*`): the same JSON
//! the API answers, laid out as a table, one row per group, period or measure, nested fields as
//! dotted columns (`by_status.in_progress`). RFC 4180 with a byte-order mark, like the item
//! export, and the same guard against cells a spreadsheet would run as formulas.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::export::cell;

/// How one figure's JSON becomes rows.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One object, one row (the summary).
    One,
    /// A list, one row per element (groups by report, theme or owner).
    Each,
    /// One row per element of this field (the timeline's `periods`).
    Field(&'static str),
    /// The cycle times: accepted-to-implemented, then each status, with a `measure` column.
    Measures,
}

/// Identifying columns first, in this order; the rest follow alphabetically.
const LEAD: [&str; 8] = [
    "measure", "key", "label", "kind", "id", "start", "end", "total",
];

fn rows(value: Value, shape: Shape) -> Vec<Value> {
    match (shape, value) {
        (Shape::Each, Value::Array(items)) => items,
        (Shape::Field(name), Value::Object(mut map)) => match map.remove(name) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        (Shape::Measures, Value::Object(mut map)) => {
            let mut measures = Vec::new();
            if let Some(Value::Object(mut first)) = map.remove("accepted_to_implemented") {
                first.insert("measure".into(), "accepted_to_implemented".into());
                measures.push(Value::Object(first));
            }
            if let Some(Value::Array(statuses)) = map.remove("time_in_status") {
                for status in statuses {
                    if let Value::Object(mut status) = status {
                        let name = status.remove("status").unwrap_or(Value::Null);
                        let name = name.as_str().unwrap_or_default();
                        status.insert("measure".into(), format!("time_in_{name}").into());
                        measures.push(Value::Object(status));
                    }
                }
            }
            measures
        }
        (_, value) => vec![value],
    }
}

/// `value`'s leaves as (dotted name, text) pairs.
fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                let name = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&name, inner, out);
            }
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.clone());
        }
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| text(Some(item)))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// The figures in `value` (as the API answers them in JSON) as a CSV document.
pub fn render(value: Value, shape: Shape) -> Result<Bytes> {
    let flat: Vec<Map<String, Value>> = rows(value, shape)
        .iter()
        .map(|row| {
            let mut out = Map::new();
            flatten("", row, &mut out);
            out
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for name in row.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let rank = |name: &String| {
        LEAD.iter()
            .position(|lead| lead == name)
            .unwrap_or(LEAD.len())
    };
    columns.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(&columns).map_err(Error::internal)?;
    for row in &flat {
        writer
            .write_record(columns.iter().map(|name| cell(&text(row.get(name)))))
            .map_err(Error::internal)?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| Error::internal(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::{Shape, render};

    fn csv(json: &str, shape: Shape) -> String {
        let value = serde_json::from_str(json).expect("json");
        let bytes = render(value, shape).expect("csv");
        String::from_utf8(bytes[3..].to_vec()).expect("utf-8")
    }

    #[test]
    fn groups_become_rows_with_dotted_columns_and_identifiers_first() {
        let json = r#"[{"total": 2, "label": "=Ports", "key": "a", "by_status": {"done": 1},
                        "oldest_stalled": null, "themes": ["x", "y"]}]"#;
        assert_eq!(
            csv(json, Shape::Each),
            "key,label,total,by_status.done,oldest_stalled,themes\r\na,'=Ports,2,1,,x; y\r\n"
        );
    }

    #[test]
    fn cycle_times_are_one_row_per_measure() {
        let json = r#"{"accepted_to_implemented": {"count": 1, "median_days": 3.5},
                       "time_in_status": [{"status": "in_progress", "count": 2, "median_days": null}]}"#;
        assert_eq!(
            csv(json, Shape::Measures),
            "measure,count,median_days\r\naccepted_to_implemented,1,3.5\r\ntime_in_in_progress,2,\r\n"
        );
    }
}
