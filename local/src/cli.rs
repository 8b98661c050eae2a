//! `cargo run -p local -- keys …`: issue, list and revoke API keys in the database that
//! `DATABASE_URL` names (the SQLite file by default), with the same logic as the `api-keys`
//! function (`goal_tracker::keys::execute`).

use anyhow::Context;
use goal_tracker::handlers::App;
use goal_tracker::keys::{self, KeyCommand, KeyInfo, KeyOutcome};

const USAGE: &str = "usage: local keys create <owner> | keys list [owner] | keys revoke <id>";

/// The command the arguments after `keys` name.
pub fn parse_keys_args(args: &[String]) -> anyhow::Result<KeyCommand> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["create", owner] => Ok(KeyCommand::Create {
            owner: (*owner).to_owned(),
        }),
        ["list"] => Ok(KeyCommand::List { owner: None }),
        ["list", owner] => Ok(KeyCommand::List {
            owner: Some((*owner).to_owned()),
        }),
        ["revoke", id] => Ok(KeyCommand::Revoke {
            id: id
                .parse()
                .with_context(|| format!("{id:?} is not a key id\n{USAGE}"))?,
        }),
        _ => anyhow::bail!(USAGE),
    }
}

/// Runs `keys …` and prints its outcome; a new key is printed this once.
pub async fn keys(args: &[String]) -> anyhow::Result<()> {
    let command = parse_keys_args(args)?;
    let config = crate::config_from_env()?;
    let app = App::from_config(&config, 1).await?;
    app.store
        .migrate()
        .await
        .with_context(|| format!("could not apply migrations to {}", config.database))?;
    let outcome = keys::execute(app.store.as_ref(), command).await?;
    print!("{}", render(&outcome));
    Ok(())
}

/// The text the CLI prints for an outcome.
pub fn render(outcome: &KeyOutcome) -> String {
    match outcome {
        KeyOutcome::Created { key, info } => format!(
            "API key {} for {} (shown only now; keep it secret):\n{}\n",
            info.id,
            info.owner,
            key.expose()
        ),
        KeyOutcome::Listed(keys) if keys.is_empty() => "no API keys\n".to_owned(),
        KeyOutcome::Listed(keys) => {
            let mut text = format!(
                "{:>6}  {:<24} {:<10} {:<27} {}\n",
                "id", "owner", "prefix", "created_at", "revoked_at"
            );
            for info in keys {
                text.push_str(&row(info));
            }
            text
        }
        KeyOutcome::Revoked(info) => format!(
            "revoked API key {} of {} ({}…) at {}\n",
            info.id,
            info.owner,
            info.prefix,
            info.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_default()
        ),
    }
}

fn row(info: &KeyInfo) -> String {
    format!(
        "{:>6}  {:<24} {:<10} {:<27} {}\n",
        info.id,
        info.owner,
        info.prefix,
        info.created_at.to_rfc3339(),
        info.revoked_at
            .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
    )
}
