use std::process::ExitCode;

use clap::Parser;
use recotrack::cli::{Cli, Command, DigestAction, HistoryAction, UserAction};
use recotrack::config::Settings;
use recotrack::http::openapi;
use recotrack::{app, telemetry};

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("recotrack: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log.format, &settings.log.filter);
    match run(cli.command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("recotrack: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => app::serve(settings).await?,
        Command::Migrate => {
            let database = app::Database::open(&settings)?;
            let applied = app::migrate(database.url())?;
            println!("applied {} migration(s)", applied.len());
        }
        Command::Seed => {
            let database = app::Database::open(&settings)?;
            app::migrate(database.url())?;
            let s = app::seed(&settings, &database)?;
            println!(
                "reports created: {}, items created: {}, items updated: {}, evidence created: {}, demo users created: {}",
                s.reports_created,
                s.items_created,
                s.items_updated,
                s.evidence_created,
                s.demo_users_created
            );
        }
        Command::Openapi { out, check } => {
            let json = openapi::document_json()?;
            if check {
                let committed = std::fs::read_to_string(&out).unwrap_or_default();
                if committed != json {
                    eprintln!(
                        "{} is out of date: run `cargo run -- openapi` and commit it",
                        out.display()
                    );
                    return Ok(ExitCode::FAILURE);
                }
            } else {
                std::fs::write(&out, json)?;
                println!("wrote {}", out.display());
            }
        }
        Command::User { action } => user(action, &settings)?,
        Command::Import {
            report,
            file,
            commit,
        } => {
            let text = std::fs::read_to_string(&file)?;
            let points = recotrack::domain::extract::extract(&text);
            if commit {
                let database = app::Database::open(&settings)?;
                app::migrate(database.url())?;
                app::install_history_keys(&settings)?;
                for key in app::import(database.url(), &report, &points)? {
                    println!("created {key}");
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&points)?);
            }
        }
        Command::Digest {
            action: DigestAction::Run { dry_run },
        } => {
            let database = app::Database::open(&settings)?;
            app::migrate(database.url())?;
            print!("{}", app::digest_run(settings, &database, dry_run).await?);
        }
        Command::History { action } => {
            let database = app::Database::open(&settings)?;
            app::migrate(database.url())?;
            let (report, ok) = match action {
                HistoryAction::Verify => app::history_verify(&settings, database.url())?,
                HistoryAction::SealLegacy => {
                    (app::history_seal_legacy(&settings, database.url())?, true)
                }
                HistoryAction::Anchor { day, digest } => {
                    app::history_anchor(&settings, database.url(), day.zip(digest))?
                }
            };
            print!("{report}");
            if !ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Sandbox { command } => {
            let status = app::sandbox(&command).await?;
            let code = status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1);
            return Ok(ExitCode::from(code));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn user(action: UserAction, settings: &Settings) -> anyhow::Result<()> {
    let database = app::Database::open(settings)?;
    app::migrate(database.url())?;
    match action {
        UserAction::Create {
            email,
            name,
            role,
            password,
        } => {
            let password = match password {
                Some(password) => password,
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let role = serde_json::from_value(serde_json::Value::String(role))?;
            let user = app::create_user(database.url(), email, name, role, password)?;
            println!(
                "created {} ({}) with id {}",
                user.email,
                user.role.as_str(),
                user.id
            );
        }
        UserAction::List => {
            for user in app::list_users(database.url())? {
                let state = if user.active { "active" } else { "inactive" };
                println!(
                    "{}\t{}\t{}\t{}",
                    user.id,
                    user.email,
                    user.role.as_str(),
                    state
                );
            }
        }
    }
    Ok(())
}
