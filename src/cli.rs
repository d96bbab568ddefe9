//! The command line: one binary, one subcommand per role.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// recotrack turns the recommendations in policy reports into tracked work.
///
/// Configuration comes from config/default.toml, config/$RECOTRACK_ENVIRONMENT.toml and
/// RECOTRACK__SECTION__KEY variables (see config/example.toml). With no database URL, a private
/// PostgreSQL cluster is started under var/postgres.
#[derive(Debug, Parser)]
#[command(name = "recotrack", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (migrating first) until Ctrl-C or SIGTERM.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load seeds/ (idempotent): the source reports, their recommendations and evidence, and
    /// for the local cluster the demo accounts.
    Seed,
    /// Write the OpenAPI document generated from the code.
    Openapi {
        /// Where to write it.
        #[arg(long, default_value = "openapi/openapi.json")]
        out: PathBuf,
        /// Do not write: fail when the file differs from what the code generates.
        #[arg(long)]
        check: bool,
    },
    /// Manage user accounts (the first admin is created here).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Find the recommendations in a report's text; with --commit, create them (as the system).
    Import {
        /// The key of the report the items belong to.
        #[arg(long)]
        report: String,
        /// The report's plain text.
        file: PathBuf,
        /// Create the items; without it only the preview is printed.
        #[arg(long)]
        commit: bool,
    },
    /// Digests of stalled and overdue items.
    Digest {
        #[command(subcommand)]
        action: DigestAction,
    },
    /// Check the tamper-evident history: every item's chain, and the daily anchors.
    History {
        #[command(subcommand)]
        action: HistoryAction,
    },
    /// Run a command against a throwaway PostgreSQL cluster (the test suite uses this).
    ///
    /// The cluster holds a migrated template database; the command gets
    /// RECOTRACK_TEST_DATABASE_URL and RECOTRACK_TEST_TEMPLATE, and the cluster is stopped and
    /// removed when it exits, whatever its outcome.
    Sandbox {
        /// The command and its arguments, after `--`.
        #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user. The password comes from RECOTRACK_USER_PASSWORD or, when that is unset,
    /// from the first line of standard input; it never appears on the command line.
    Create {
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, manager, contributor or viewer.
        #[arg(long, value_parser = ["admin", "manager", "contributor", "viewer"])]
        role: String,
        #[arg(
            long = "password-env",
            env = "RECOTRACK_USER_PASSWORD",
            hide = true,
            hide_env_values = true
        )]
        password: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DigestAction {
    /// Plan the due digest periods and send what is due, now (each period is sent once).
    Run {
        /// Only print who would get which digest now; change nothing, send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Check every item's hash chain, its head and a replay of its events, and recompute every
    /// recorded daily anchor; list what is broken. Exits 1 if anything is.
    Verify,
    /// Once, right after upgrading from plain SHA-256 history: seal each intact old chain with a
    /// keyed event (broken ones are left as they are, and reported by `verify`).
    SealLegacy,
    /// Record today's anchor if it is due and print the newest ones (day and digest), to keep a
    /// copy outside the database; with --day and --digest, check such a copy instead.
    Anchor {
        /// The day of a digest kept outside the database (YYYY-MM-DD).
        #[arg(long, requires = "digest")]
        day: Option<chrono::NaiveDate>,
        /// The digest kept for --day.
        #[arg(long, requires = "day")]
        digest: Option<String>,
    },
}
