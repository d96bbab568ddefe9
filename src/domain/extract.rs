//! Finds the recommendations in a report's plain text: numbered lists (`1)`, `1.`, `(1)`),
//! bullets, and ordinal paragraphs (`The first is ...`, `The last priority is ...`, `First, ...`),
//! nested when ordinal paragraphs follow a numbered or "The first is" point. Paragraphs broken
//! mid-sentence (page breaks) are joined. Pure: text in, a tree of points out.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A recommendation found in the text, with its sub-points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Point {
    pub ordinal: i32,
    pub title: String,
    /// The verbatim text (paragraphs separated by a blank line).
    pub body: String,
    #[serde(default)]
    #[schema(no_recursion)]
    pub children: Vec<Point>,
}

impl Point {
    /// A point without sub-points (yet).
    fn leaf(ordinal: i32, title: String, body: String) -> Self {
        Self {
            ordinal,
            title,
            body,
            children: Vec::new(),
        }
    }
}

const ORDINALS: [&str; 12] = [
    "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
    "Eleventh", "Twelfth",
];
const BULLETS: [char; 5] = ['•', '·', '-', '*', '–'];

/// Paragraphs of `text`, whitespace-trimmed, with those broken mid-sentence joined to the next.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut joinable = false;
    for block in text.split("\n\n") {
        let para = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if para.is_empty() {
            continue;
        }
        let starts_lower = para.chars().next().is_some_and(char::is_lowercase);
        match out.last_mut() {
            Some(last) if joinable && starts_lower => {
                last.push(' ');
                last.push_str(&para);
            }
            _ => out.push(para),
        }
        let last = out.last().map(String::as_str).unwrap_or_default();
        joinable = !last.ends_with(['.', '!', '?', ':', ';', '”', '"', ')']);
    }
    out
}

/// `(3) `, `3) `, `3. ` at the start: the number and the rest.
fn numbered(line: &str) -> Option<(i32, &str)> {
    let (inner, rest) = if let Some(rest) = line.strip_prefix('(') {
        let close = rest.find(") ")?;
        (&rest[..close], &rest[close + 2..])
    } else {
        let end = line.find(|c: char| !c.is_ascii_digit())?;
        let rest = line[end..]
            .strip_prefix(") ")
            .or_else(|| line[end..].strip_prefix(". "))?;
        (&line[..end], rest)
    };
    let n: i32 = inner.parse().ok()?;
    (1..=99).contains(&n).then_some((n, rest.trim()))
}

/// `The first is to ...` / `The last priority is ...`: the clause after the lead.
fn top_ordinal(para: &str) -> Option<&str> {
    let rest = para.strip_prefix("The ")?;
    let (word, rest) = rest.split_once(' ')?;
    let known = ORDINALS.iter().any(|o| o.eq_ignore_ascii_case(word)) || word == "last";
    if !known {
        return None;
    }
    let rest = rest.strip_prefix("priority ").unwrap_or(rest);
    rest.strip_prefix("is ")
}

/// Openings of paired points ("On one hand, ... On the other hand, ..."), which number their
/// paragraphs as surely as "First, ..." does.
const PAIRED: [&str; 2] = ["On one hand", "On the other hand"];

/// `First, ...` (or `On one hand, ...`): the clause after the ordinal.
fn sub_ordinal(para: &str) -> Option<&str> {
    ORDINALS
        .iter()
        .chain(PAIRED.iter())
        .find_map(|o| para.strip_prefix(o).and_then(|r| r.strip_prefix(", ")))
}

fn first_sentence(text: &str) -> &str {
    let end = text.find(". ").map_or(text.len(), |i| i);
    text[..end].trim_end_matches('.')
}

/// A title from a clause: its first sentence, without a leading "to" / "we need to", capitalised.
fn title_of(clause: &str) -> String {
    let mut title = first_sentence(clause);
    for lead in ["to ", "we need to ", "we must ", "we should ", "we need "] {
        if let Some(rest) = title.strip_prefix(lead) {
            title = rest;
            break;
        }
    }
    let mut chars = title.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

enum Kind {
    Numbered(i32, String),
    Bullet(String),
    Top(String),
    Sub(String),
    Text,
}

fn classify(para: &str) -> Kind {
    let first_line = para.lines().next().unwrap_or_default();
    if let Some((n, rest)) = numbered(first_line)
        && !rest.is_empty()
    {
        return Kind::Numbered(n, rest.to_owned());
    }
    // A marker followed by a space: `**bold**` is not a bullet.
    if let Some(rest) = first_line
        .strip_prefix(BULLETS)
        .filter(|r| r.starts_with(char::is_whitespace))
    {
        let rest = rest.trim();
        if !rest.is_empty() {
            return Kind::Bullet(rest.to_owned());
        }
    }
    if let Some(clause) = top_ordinal(para) {
        return Kind::Top(title_of(clause));
    }
    if let Some(clause) = sub_ordinal(para) {
        return Kind::Sub(title_of(clause));
    }
    Kind::Text
}

/// Extracts the points of `text`.
pub fn extract(text: &str) -> Vec<Point> {
    let mut points: Vec<Point> = Vec::new();
    // Whether the last top-level point still collects plain paragraphs into its body.
    let mut open = false;
    let mut next_top = 1;
    for para in paragraphs(text) {
        // A bullet list is one paragraph of bullet lines.
        if para.lines().count() > 1 && para.lines().all(|l| matches!(classify(l), Kind::Bullet(_)))
        {
            for line in para.lines() {
                if let Kind::Bullet(title) = classify(line) {
                    points.push(Point::leaf(next_top, title, String::new()));
                    next_top += 1;
                }
            }
            open = false;
            continue;
        }
        match classify(&para) {
            Kind::Numbered(n, rest) => {
                // A heading line alone is a title; a numbered paragraph is its own body.
                let (title, body) = if para.lines().count() == 1 && !rest.ends_with('.') {
                    (rest.clone(), String::new())
                } else {
                    (title_of(&rest), para.clone())
                };
                points.push(Point::leaf(n, title, body));
                next_top = n + 1;
                open = true;
            }
            Kind::Bullet(title) => {
                points.push(Point::leaf(next_top, title, String::new()));
                next_top += 1;
                open = false;
            }
            Kind::Top(title) => {
                points.push(Point::leaf(next_top, title, para.clone()));
                next_top += 1;
                open = true;
            }
            Kind::Sub(title) => match points.last_mut() {
                Some(parent) if open || !parent.children.is_empty() => {
                    let ordinal = i32::try_from(parent.children.len() + 1).unwrap_or(i32::MAX);
                    parent
                        .children
                        .push(Point::leaf(ordinal, title, para.clone()));
                }
                _ => {
                    points.push(Point::leaf(next_top, title, para.clone()));
                    next_top += 1;
                }
            },
            // A short label such as "Research group:" ends the point before it.
            Kind::Text if para.ends_with(':') && para.chars().count() < 60 => open = false,
            Kind::Text => {
                if let Some(last) = points.last_mut()
                    && open
                    && last.children.is_empty()
                {
                    if !last.body.is_empty() {
                        last.body.push_str("\n\n");
                    }
                    last.body.push_str(&para);
                }
            }
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_titles_with_bodies_and_broken_paragraphs() {
        let text = "Intro.\n\n1) Do the first thing\n\nIt matters because\n\nof reasons.\n\n2) Do the second thing\n\nBody two.";
        let points = extract(text);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].title, "Do the first thing");
        assert_eq!(points[0].body, "It matters because of reasons.");
        assert_eq!(points[1].ordinal, 2);
    }

    #[test]
    fn paired_points_nest_like_ordinals() {
        let text = "The first is to lead. Why.\n\nOn one hand, we must keep A. More.\n\nOn the other hand, we need to do B. More.";
        let points = extract(text);
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].body, "The first is to lead. Why.");
        let titles: Vec<&str> = points[0]
            .children
            .iter()
            .map(|c| c.title.as_str())
            .collect();
        assert_eq!(titles, ["Keep A", "Do B"]);
    }

    #[test]
    fn ordinal_paragraphs_nest() {
        let text = "The first is to keep going. Because.\n\nMore on the first.\n\nThe last priority is to deepen it. Why.\n\nFirst, we need to do A. Detail.\n\nSecond, do B. Detail.";
        let points = extract(text);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].title, "Keep going");
        assert_eq!(
            points[0].body,
            "The first is to keep going. Because.\n\nMore on the first."
        );
        assert_eq!(points[1].title, "Deepen it");
        let subs: Vec<_> = points[1]
            .children
            .iter()
            .map(|c| c.title.as_str())
            .collect();
        assert_eq!(subs, ["Do A", "Do B"]);
    }

    #[test]
    fn bullets_and_other_numbering_styles() {
        let points = extract(
            "**Report**\n\nSuggestions:\n\n  • Build it\n  • Fund it\n\n(3) Third point here\n\n4. Fourth point",
        );
        let titles: Vec<_> = points.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Build it", "Fund it", "Third point here", "Fourth point"]
        );
        assert_eq!(points[2].ordinal, 3);
    }
}
