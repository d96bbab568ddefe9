//! The shape the code keeps so the next change stays cheap (see docs/ARCHITECTURE.md): small
//! files, one writer of item rows, imports pointing inwards. Read from the source tree, so a
//! change that breaks one of these rules fails here, naming the file.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            (name, std::fs::read_to_string(&p).expect("read a source"))
        })
        .collect()
}

#[test]
fn no_source_file_but_the_generated_schema_is_over_400_lines() {
    let long: Vec<(String, usize)> = all()
        .into_iter()
        .filter(|(name, _)| name != "db/schema.rs")
        .map(|(name, text)| (name, text.lines().count()))
        .filter(|(_, lines)| *lines > 400)
        .collect();
    assert_eq!(long, Vec::<(String, usize)>::new());
}

#[test]
fn only_the_apply_step_updates_item_rows() {
    let writers: Vec<String> = all()
        .into_iter()
        .filter(|(_, text)| text.contains("diesel::update(recommendations"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(writers, vec!["domain/items/apply.rs".to_owned()]);
}

#[test]
fn imports_point_inwards() {
    let mut wrong = Vec::new();
    for (name, text) in all() {
        let inner = name.starts_with("db/") || name == "error.rs";
        if inner && text.contains("crate::domain") {
            wrong.push(format!("{name} imports domain"));
        }
        let outer = name.starts_with("http/") || name.starts_with("web/");
        if outer && text.contains("crate::scheduler") {
            wrong.push(format!("{name} imports scheduler"));
        }
        if name.starts_with("scheduler/") && text.contains("crate::http") {
            wrong.push(format!("{name} imports http"));
        }
        if name.starts_with("domain/") && (text.contains("crate::http") || text.contains("actix")) {
            wrong.push(format!("{name} knows about HTTP"));
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
}
