//! Where the local cluster lives and how it is reached: PostgreSQL's binaries, a free port, a
//! data directory the cluster's user can reach.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{LocalPgError, Result, RunAs};

pub(super) fn check(what: &str, output: &Output) -> Result<()> {
    if output.status.success() {
        return Ok(());
    }
    Err(LocalPgError::Command {
        what: what.into(),
        detail: format!(
            "{} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}

pub(super) fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| LocalPgError::Io("finding a free loopback port".into(), e))
}

/// Finds the directory holding `initdb`, `pg_ctl` and `postgres`.
pub(super) fn find_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let from_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    // Newest major version first.
    debian.sort_by_key(|p| {
        std::cmp::Reverse(
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    from_pg_config
        .into_iter()
        .chain(from_path)
        .chain(debian)
        .find(|dir| has_server(dir))
}

/// Where the data of a cluster wanted at `wanted` lives when the server's user cannot reach
/// `wanted`: under [`FALLBACK_ROOT`], named after the wanted path (readable, plus a digest so
/// that two paths never share one).
pub(super) fn reachable_fallback(wanted: &Path) -> PathBuf {
    use sha2::Digest;
    let readable: String = wanted
        .to_string_lossy()
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let digest = hex::encode(sha2::Sha256::digest(wanted.as_os_str().as_encoded_bytes()));
    let tail: String = readable
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Path::new(FALLBACK_ROOT).join(format!("{tail}-{}", &digest[..8]))
}

/// Parent of the data directories used when the configured one is out of the server's reach.
pub const FALLBACK_ROOT: &str = "/var/lib/recotrack";

/// Every ancestor of `data_dir` must be searchable by the server's user.
pub(super) fn check_reachable(data_dir: &Path, run_as: RunAs) -> Result<()> {
    for ancestor in data_dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue; // not created yet: we create it with default, searchable permissions
        };
        let mode = meta.mode();
        let searchable = mode & 0o001 != 0
            || (meta.uid() == run_as.uid.as_raw() && mode & 0o100 != 0)
            || (meta.gid() == run_as.gid.as_raw() && mode & 0o010 != 0);
        if !searchable {
            return Err(LocalPgError::Unreachable(ancestor.to_path_buf()));
        }
    }
    Ok(())
}
