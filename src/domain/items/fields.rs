//! An item's editable values, parsed once: a value of these types is valid wherever it goes,
//! whether it came from the API, a page, an import or a seed file.

use crate::error::{Error, Result};

/// A title: trimmed, 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(title: &str) -> Result<Self> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 500 {
            return Err(Error::invalid("title", "must be 1 to 500 characters"));
        }
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A body: the recommendation's text, verbatim (never trimmed), at most 20,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub fn parse(body: String) -> Result<Self> {
        if body.chars().count() > 20_000 {
            return Err(Error::invalid("body", "must be at most 20000 characters"));
        }
        Ok(Self(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Themes: lowercase tags of 1 to 60 characters, at most 20, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Themes(Vec<String>);

impl Themes {
    pub fn parse(themes: Vec<String>) -> Result<Self> {
        let mut clean: Vec<String> = Vec::new();
        for theme in themes {
            let theme = theme.trim().to_lowercase();
            if theme.is_empty() || theme.chars().count() > 60 {
                return Err(Error::invalid(
                    "themes",
                    "each theme must be 1 to 60 characters",
                ));
            }
            if !clean.contains(&theme) {
                clean.push(theme);
            }
        }
        if clean.len() > 20 {
            return Err(Error::invalid("themes", "at most 20 themes"));
        }
        Ok(Self(clean))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_inner(self) -> Vec<String> {
        self.0
    }
}

/// An item's key, as in `ccg-2017/09` or `wenyang-2024/04.2`: lowercase letters, digits, `.`,
/// `/` and `-`, starting with a letter or digit, at most 128 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey(String);

impl ItemKey {
    pub fn parse(key: &str) -> Result<Self> {
        let ok = !key.is_empty()
            && key.len() <= 128
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "./-".contains(c))
            && key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(key.to_owned()))
        } else {
            Err(Error::invalid(
                "key",
                "use lowercase letters, digits, `.`, `/` and `-`",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How far an owner says the work has come, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress(i16);

impl Progress {
    pub fn parse(percent: i16) -> Result<Self> {
        if !(0..=100).contains(&percent) {
            return Err(Error::invalid(
                "progress_percent",
                "must be between 0 and 100",
            ));
        }
        Ok(Self(percent))
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

/// An owner's note on the progress, at most 5,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressNote(String);

impl ProgressNote {
    pub fn parse(note: String) -> Result<Self> {
        if note.chars().count() > 5000 {
            return Err(Error::invalid(
                "progress_note",
                "must be at most 5000 characters",
            ));
        }
        Ok(Self(note))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A reason given for a change (a transition, a snooze, an acknowledgement): at most 5,000
/// characters, trimmed, blank is none. `field` names the input in a refusal.
pub fn reason(field: &'static str, reason: Option<String>) -> Result<Option<String>> {
    // Counted as sent, as the OpenAPI document's `maxLength` counts.
    if reason.as_ref().is_some_and(|r| r.chars().count() > 5000) {
        return Err(Error::invalid(field, "must be at most 5000 characters"));
    }
    Ok(reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            Title::parse("  A title ").map(Title::into_inner).ok(),
            Some("A title".into())
        );
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"x".repeat(501)).is_err());
        assert!(Title::parse(&"é".repeat(500)).is_ok());
    }

    #[test]
    fn themes_are_lowercased_deduplicated_and_bounded() {
        let themes = Themes::parse(vec!["Health ".into(), "health".into(), "Data".into()]);
        assert_eq!(
            themes.map(Themes::into_inner).ok(),
            Some(vec!["health".to_owned(), "data".to_owned()])
        );
        assert!(Themes::parse(vec![" ".into()]).is_err());
        assert!(Themes::parse((0..21).map(|n| format!("t{n}")).collect()).is_err());
    }

    #[test]
    fn keys_take_the_shape_of_report_numbering() {
        for good in ["ccg-2017/09", "wenyang-2024/04.2", "9a"] {
            assert!(ItemKey::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "/a", "A1", "a b", "a_b", &"a".repeat(129)] {
            assert!(ItemKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reasons_are_trimmed_blank_is_none_and_long_is_refused() {
        assert_eq!(
            reason("reason", Some("  why ".into())).ok(),
            Some(Some("why".into()))
        );
        assert_eq!(reason("reason", Some("   ".into())).ok(), Some(None));
        assert!(reason("reason", Some("x".repeat(5001))).is_err());
        // Counted as sent, padding included, as the OpenAPI document's `maxLength` counts.
        assert!(reason("reason", Some(format!(" {} ", "x".repeat(4999)))).is_err());
        assert!(reason("reason", Some("x".repeat(5000))).is_ok());
        assert_eq!(Progress::parse(100).map(Progress::get).ok(), Some(100));
        assert!(Progress::parse(101).is_err());
        assert!(Progress::parse(-1).is_err());
    }
}
