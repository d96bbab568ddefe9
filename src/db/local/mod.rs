//! A private PostgreSQL cluster, started from the machine's own server binaries when no database
//! URL is configured, so a fresh checkout runs with one command.
//!
//! The cluster listens on a free loopback port (never assuming 5432) with password auth, and
//! is stopped again when the value is dropped, if this process started it. PostgreSQL refuses
//! to run as root, so under root the server runs as the `postgres` system user.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::{Connection, PgConnection, RunQueryDsl};
use nix::unistd::{Gid, Uid, User};

mod places;

pub use places::FALLBACK_ROOT;
use places::{check, check_reachable, find_bin_dir, free_port, reachable_fallback};

const PASSWORD_FILE: &str = "recotrack.password";
const SUPERUSER: &str = "postgres";

/// Why the local cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    #[error(
        "no PostgreSQL server binaries found (looked at `pg_config --bindir`, PATH and \
         /usr/lib/postgresql/*/bin): install the PostgreSQL server package \
         (Debian: `apt-get install postgresql`) or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error(
        "running as root, the local PostgreSQL must run as the `postgres` system user, which does \
         not exist: install the PostgreSQL server package or set DATABASE_URL"
    )]
    NoPostgresUser,
    #[error(
        "the `postgres` user cannot reach {0}: every parent directory of the data directory must \
         be searchable by it; set RECOTRACK__DATABASE__LOCAL_DIR elsewhere or set DATABASE_URL"
    )]
    Unreachable(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("preparing the database `{0}` failed: {1}")]
    Database(String, String),
}

type Result<T> = std::result::Result<T, LocalPgError>;

/// How durable the cluster must be: a throwaway test cluster skips fsync for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: Uid,
    gid: Gid,
}

/// A running local cluster. Dropping it stops the server if this process started it.
#[derive(Debug)]
pub struct LocalPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    password: String,
    run_as: Option<RunAs>,
    started_here: bool,
    /// Present for throwaway clusters: removed, with the data, after the server stops.
    scratch: Option<tempfile::TempDir>,
}

impl LocalPostgres {
    /// Starts (creating it on first use) the cluster whose data lives in `data_dir`, or attaches
    /// to it when another process of ours already runs it.
    pub fn start(data_dir: &Path) -> Result<Self> {
        let data_dir = std::path::absolute(data_dir)
            .map_err(|e| LocalPgError::Io(format!("resolving {}", data_dir.display()), e))?;
        Self::start_in(data_dir, Durability::Durable, None)
    }

    /// Starts a fresh cluster in a temporary directory, removed with everything in it on drop.
    pub fn start_throwaway() -> Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("recotrack-pg-")
            .tempdir()
            .map_err(|e| LocalPgError::Io("creating a temporary directory".into(), e))?;
        // tempfile makes the directory private; the `postgres` user must be able to enter it.
        fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755))
            .map_err(|e| LocalPgError::Io("opening the temporary directory".into(), e))?;
        let data_dir = scratch.path().join("data");
        Self::start_in(data_dir, Durability::Throwaway, Some(scratch))
    }

    fn start_in(
        data_dir: PathBuf,
        durability: Durability,
        scratch: Option<tempfile::TempDir>,
    ) -> Result<Self> {
        let bin_dir = find_bin_dir().ok_or(LocalPgError::NoBinaries)?;
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name(SUPERUSER)
                .ok()
                .flatten()
                .ok_or(LocalPgError::NoPostgresUser)?;
            Some(RunAs {
                uid: user.uid,
                gid: user.gid,
            })
        } else {
            None
        };
        let mut cluster = Self {
            bin_dir,
            data_dir,
            port: 0,
            password: String::new(),
            run_as,
            started_here: false,
            scratch,
        };
        if let Some(run_as) = run_as
            && let Err(unreachable) = check_reachable(&cluster.data_dir, run_as)
        {
            // A clone under a private home (root's is mode 0700) must still start: the cluster
            // moves to a directory the server's user can reach, named after the wanted one so
            // that the next start finds it again.
            if cluster.scratch.is_some() {
                return Err(unreachable);
            }
            let fallback = reachable_fallback(&cluster.data_dir);
            check_reachable(&fallback, run_as)?;
            tracing::warn!(
                wanted = %cluster.data_dir.display(),
                using = %fallback.display(),
                "the `postgres` user cannot reach the data directory; the local PostgreSQL keeps its data in a directory it can reach instead (set database.local_dir to choose)"
            );
            cluster.data_dir = fallback;
        }
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        cluster.password = fs::read_to_string(cluster.data_dir.join(PASSWORD_FILE))
            .map_err(|e| {
                LocalPgError::Io(
                    format!("reading the password of {}", cluster.data_dir.display()),
                    e,
                )
            })?
            .trim()
            .to_owned();
        match cluster.running_port()? {
            Some(port) => {
                cluster.port = port;
                if cluster.owner_alive() {
                    tracing::info!(data_dir = %cluster.data_dir.display(), port, "attached to the running local PostgreSQL");
                } else {
                    // Its starter is gone (killed before it could stop it): this process takes
                    // it over and stops it on shutdown, as if it had started it.
                    cluster.started_here = true;
                    cluster.claim_ownership();
                    tracing::info!(data_dir = %cluster.data_dir.display(), port, "adopted the orphaned local PostgreSQL; it stops when this process does");
                }
            }
            None => cluster.launch(durability)?,
        }
        Ok(cluster)
    }

    /// Where the process that started (or adopted) the running server records its PID.
    fn owner_file(&self) -> PathBuf {
        let mut path = self.data_dir.clone().into_os_string();
        path.push(".owner");
        PathBuf::from(path)
    }

    /// Whether the process recorded as the running server's owner is still alive.
    fn owner_alive(&self) -> bool {
        let Some(pid) = fs::read_to_string(self.owner_file())
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        else {
            return false;
        };
        pid != std::process::id().cast_signed()
            && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
    }

    fn claim_ownership(&self) {
        if let Err(e) = fs::write(self.owner_file(), std::process::id().to_string()) {
            tracing::warn!(error = %e, "could not record this process as the cluster's owner");
        }
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{name}",
            self.password, self.port
        )
    }

    /// The directory holding the cluster's data.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates database `name` unless it exists.
    pub fn ensure_database(&self, name: &str) -> Result<()> {
        let fail = |e: &dyn std::fmt::Display| LocalPgError::Database(name.into(), e.to_string());
        let mut conn = PgConnection::establish(&self.url("postgres")).map_err(|e| fail(&e))?;
        let exists: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{}'",
            name.replace('\'', "''")
        ))
        .get_result(&mut conn)
        .map_err(|e| fail(&e))?;
        if exists == 0 {
            diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")))
                .execute(&mut conn)
                .map_err(|e| fail(&e))?;
        }
        Ok(())
    }

    /// Stops the server if this process started it. Called by `Drop` too; stopping twice is fine.
    pub fn stop(&mut self) -> Result<()> {
        if !self.started_here {
            return Ok(());
        }
        self.started_here = false;
        let data_dir = self.data_dir.display().to_string();
        let output = self.pg_command(
            "pg_ctl",
            &["-D", &data_dir, "-m", "fast", "-w", "-s", "stop"],
        )?;
        check("stopping PostgreSQL", &output)?;
        let _gone = fs::remove_file(self.owner_file());
        tracing::info!(data_dir = %data_dir, "stopped the local PostgreSQL");
        Ok(())
    }

    fn init(&self) -> Result<()> {
        fs::create_dir_all(&self.data_dir)
            .map_err(|e| LocalPgError::Io(format!("creating {}", self.data_dir.display()), e))?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| LocalPgError::Io("restricting the data directory".into(), e))?;
        let password = uuid::Uuid::new_v4().simple().to_string();
        // initdb wants the data directory empty, so the password file passes through /tmp.
        let mut pwfile = tempfile::NamedTempFile::new()
            .map_err(|e| LocalPgError::Io("creating the password file".into(), e))?;
        pwfile
            .write_all(password.as_bytes())
            .map_err(|e| LocalPgError::Io("writing the password file".into(), e))?;
        if let Some(run_as) = self.run_as {
            for path in [self.data_dir.as_path(), pwfile.path()] {
                std::os::unix::fs::chown(
                    path,
                    Some(run_as.uid.as_raw()),
                    Some(run_as.gid.as_raw()),
                )
                .map_err(|e| {
                    LocalPgError::Io(format!("handing {} to postgres", path.display()), e)
                })?;
            }
        }
        let data_dir = self.data_dir.display().to_string();
        let pwfile_arg = format!("--pwfile={}", pwfile.path().display());
        tracing::info!(data_dir = %data_dir, "creating a local PostgreSQL cluster");
        let output = self.pg_command(
            "initdb",
            &[
                "-D",
                &data_dir,
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                &pwfile_arg,
                "-E",
                "UTF8",
                "--no-locale",
            ],
        )?;
        check("initdb", &output)?;
        let path = self.data_dir.join(PASSWORD_FILE);
        fs::write(&path, &password)
            .and_then(|()| fs::set_permissions(&path, fs::Permissions::from_mode(0o600)))
            .map_err(|e| LocalPgError::Io("saving the cluster password".into(), e))
    }

    /// The port of the server already running on this data directory, if one is.
    fn running_port(&self) -> Result<Option<u16>> {
        let data_dir = self.data_dir.display().to_string();
        let status = self.pg_command("pg_ctl", &["-D", &data_dir, "status"])?;
        if !status.status.success() {
            return Ok(None);
        }
        // postmaster.pid: pid, data dir, start time, port, ...
        let pid_file = fs::read_to_string(self.data_dir.join("postmaster.pid"))
            .map_err(|e| LocalPgError::Io("reading postmaster.pid".into(), e))?;
        Ok(pid_file
            .lines()
            .nth(3)
            .and_then(|line| line.trim().parse().ok()))
    }

    /// Starts a cluster stopped with [`stop`](Self::stop) again, on the port it had, so URLs
    /// handed out before still work (the fault tests stop and resume a database under load).
    pub fn resume(&mut self) -> Result<()> {
        let durability = if self.scratch.is_some() {
            Durability::Throwaway
        } else {
            Durability::Durable
        };
        self.launch_on(durability, self.port)
    }

    fn launch(&mut self, durability: Durability) -> Result<()> {
        let port = free_port()?;
        self.launch_on(durability, port)
    }

    fn launch_on(&mut self, durability: Durability, port: u16) -> Result<()> {
        self.port = port;
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories=''",
            self.port
        );
        if durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300");
        }
        let data_dir = self.data_dir.display().to_string();
        let log = self.data_dir.join("server.log").display().to_string();
        let output = self.pg_command(
            "pg_ctl",
            &[
                "-D", &data_dir, "-l", &log, "-o", &options, "-w", "-t", "60", "-s", "start",
            ],
        )?;
        if let Err(e) = check("starting PostgreSQL", &output) {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(LocalPgError::Command {
                what: "starting PostgreSQL".into(),
                detail: format!(
                    "{e}; server log: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ),
            });
        }
        self.started_here = true;
        self.claim_ownership();
        tracing::info!(data_dir = %data_dir, port = self.port, "started the local PostgreSQL");
        Ok(())
    }

    fn pg_command(&self, program: &str, args: &[&str]) -> Result<Output> {
        let mut command = Command::new(self.bin_dir.join(program));
        command.args(args).current_dir("/").env("LC_ALL", "C");
        if let Some(run_as) = self.run_as {
            command.uid(run_as.uid.as_raw()).gid(run_as.gid.as_raw());
        }
        command
            .output()
            .map_err(|e| LocalPgError::Io(format!("running {program}"), e))
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "could not stop the local PostgreSQL");
        }
        if let Some(scratch) = self.scratch.take()
            && let Err(e) = scratch.close()
        {
            tracing::warn!(error = %e, "could not remove the throwaway cluster");
        }
    }
}
