//! Configuration: environment variables only, parsed once at init into typed values, failing
//! fast with a message that names the variable.
//!
//! | variable | meaning |
//! |---|---|
//! | `DATABASE_URL` | `postgres://…` or `sqlite://…` (local runs, tests) |
//! | `DB_SECRET_ARN` | instead of a URL, as in AWS: the RDS secret (username, password, host, port, dbname) |
//! | `DB_HOST` | with `DB_SECRET_ARN`: connect here instead of the secret's host (the RDS Proxy endpoint) |
//! | `DB_SSL_MODE` | with `DB_SECRET_ARN`: `verify-full` (default), `verify-ca`, `require` or `disable` |
//! | `DB_MAX_CONNECTIONS` | pool size; one per Lambda environment is the default in AWS |
//! | `WS_ENDPOINT` | the WebSocket API's Management API (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`): goal changes are pushed there; unset, nothing is pushed |
//! | `AWS_ENDPOINT_URL` | read by the AWS SDK itself: points it at a local stand-in |

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::Provider;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

use crate::store::{CredentialSource, Database};

/// A configuration problem, named by its variable. Never contains a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no database configured: set DATABASE_URL (postgres://… or sqlite://…) or DB_SECRET_ARN (the ARN of the RDS secret)")]
    NoDatabase,
    #[error("set only one of DATABASE_URL and DB_SECRET_ARN")]
    TwoDatabases,
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A failure at init: the configuration, or fetching the database secret.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not read the database secret named by DB_SECRET_ARN: {0}")]
    Secret(String),
}

/// Everything a function needs to know at init.
pub struct Config {
    pub database: DatabaseConfig,
    /// `DB_MAX_CONNECTIONS`, when set; otherwise the caller's default.
    pub max_connections: Option<u32>,
    /// `WS_ENDPOINT`: where goal changes are pushed, when set.
    pub ws_endpoint: Option<String>,
}

/// Where the database is, and how to reach it.
pub enum DatabaseConfig {
    /// `DATABASE_URL`: it may hold a password, so it is kept secret.
    Url(SecretString),
    /// `DB_SECRET_ARN` and its companions: the AWS way.
    AwsSecret {
        secret_arn: String,
        host_override: Option<String>,
        ssl_mode: PgSslMode,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests and the local gateway can supply their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database = match (var("DATABASE_URL"), var("DB_SECRET_ARN")) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoDatabases),
            (None, None) => return Err(ConfigError::NoDatabase),
            (Some(url), None) => {
                database_from_url(&url)?;
                DatabaseConfig::Url(url.into())
            }
            (None, Some(secret_arn)) => DatabaseConfig::AwsSecret {
                secret_arn,
                host_override: var("DB_HOST"),
                ssl_mode: var("DB_SSL_MODE")
                    .map(|mode| {
                        PgSslMode::from_str(&mode).map_err(|_| ConfigError::Invalid {
                            name: "DB_SSL_MODE",
                            reason: "expected verify-full, verify-ca, require or disable".into(),
                        })
                    })
                    .transpose()?
                    .unwrap_or(PgSslMode::VerifyFull),
            },
        };
        let max_connections = var("DB_MAX_CONNECTIONS")
            .map(|raw| match raw.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError::Invalid {
                    name: "DB_MAX_CONNECTIONS",
                    reason: "expected a positive integer".into(),
                }),
            })
            .transpose()?;
        let ws_endpoint = var("WS_ENDPOINT")
            .map(|url| {
                if url.starts_with("https://") || url.starts_with("http://") {
                    Ok(url.trim_end_matches('/').to_owned())
                } else {
                    Err(ConfigError::Invalid {
                        name: "WS_ENDPOINT",
                        reason: "expected an https:// URL of the WebSocket API's stage".into(),
                    })
                }
            })
            .transpose()?;
        Ok(Self {
            database,
            max_connections,
            ws_endpoint,
        })
    }

    /// Resolves the database's connection options, fetching the secret from Secrets Manager
    /// when configured that way (and again, later, if its password rotates).
    pub async fn database(&self) -> Result<Database, InitError> {
        match &self.database {
            DatabaseConfig::Url(url) => Ok(database_from_url(url.expose_secret())?),
            DatabaseConfig::AwsSecret {
                secret_arn,
                host_override,
                ssl_mode,
            } => {
                let secret = SecretCredentials {
                    secret_arn: secret_arn.clone(),
                    host_override: host_override.clone(),
                    ssl_mode: *ssl_mode,
                };
                let options = secret.read().await?;
                Ok(Database::RotatingPostgres(options, Arc::new(secret)))
            }
        }
    }
}

/// The RDS secret as a source of connection options, read at init and whenever the database
/// refuses the password in use.
#[derive(Debug)]
struct SecretCredentials {
    secret_arn: String,
    host_override: Option<String>,
    ssl_mode: PgSslMode,
}

impl SecretCredentials {
    async fn read(&self) -> Result<PgConnectOptions, InitError> {
        let secret = fetch_rds_secret(&self.secret_arn).await?;
        Ok(secret.connect_options(self.host_override.as_deref(), self.ssl_mode))
    }
}

#[async_trait::async_trait]
impl CredentialSource for SecretCredentials {
    async fn connect_options(&self) -> Result<PgConnectOptions, String> {
        self.read().await.map_err(|error| error.to_string())
    }
}

/// Shows where the database is, never credentials.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database", &self.database.to_string())
            .field("max_connections", &self.max_connections)
            .field("ws_endpoint", &self.ws_endpoint)
            .finish()
    }
}

/// A description safe for logs: engine and location, no user or password.
impl fmt::Display for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => match database_from_url(url.expose_secret()) {
                Ok(Database::Postgres(options) | Database::RotatingPostgres(options, _)) => write!(
                    f,
                    "postgres://{}:{}/{}",
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or_default()
                ),
                Ok(Database::Sqlite(options)) => {
                    write!(f, "sqlite://{}", options.get_filename().display())
                }
                Err(_) => f.write_str("(invalid DATABASE_URL)"),
            },
            Self::AwsSecret {
                secret_arn,
                host_override,
                ..
            } => write!(
                f,
                "postgres via secret {secret_arn} (host {})",
                host_override.as_deref().unwrap_or("from the secret")
            ),
        }
    }
}

/// How long a SQLite write waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn database_from_url(url: &str) -> Result<Database, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "DATABASE_URL",
        reason,
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| invalid(format!("not a valid PostgreSQL URL ({e})")))?;
        Ok(Database::Postgres(proxy_friendly(options)))
    } else if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| invalid(format!("not a valid SQLite URL ({e})")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        Ok(Database::Sqlite(options))
    } else {
        Err(invalid(
            "expected a postgres://, postgresql:// or sqlite: URL".into(),
        ))
    }
}

/// Startup parameters a transaction-pooling proxy can forward. PgBouncer refuses
/// `extra_float_digits`, which sqlx sends by default and this schema has no use for.
fn proxy_friendly(options: PgConnectOptions) -> PgConnectOptions {
    options
        .extra_float_digits(None)
        .application_name("goal-tracker")
}

/// The JSON that RDS keeps in its secret. Only username and password are required:
/// a secret managed by RDS itself holds just those, and the host comes from `DB_HOST`.
#[derive(Deserialize)]
struct RdsSecret {
    username: String,
    password: SecretString,
    host: Option<String>,
    port: Option<PortNumber>,
    dbname: Option<String>,
}

/// RDS writes the port as a number; hand-written secrets often have a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum PortNumber {
    Number(u16),
    Text(String),
}

impl RdsSecret {
    fn connect_options(
        &self,
        host_override: Option<&str>,
        ssl_mode: PgSslMode,
    ) -> PgConnectOptions {
        let port = match &self.port {
            Some(PortNumber::Number(port)) => Some(*port),
            Some(PortNumber::Text(port)) => port.parse().ok(),
            None => None,
        };
        let options = PgConnectOptions::new_without_pgpass()
            .host(
                host_override
                    .or(self.host.as_deref())
                    .unwrap_or("localhost"),
            )
            .port(port.unwrap_or(5432))
            .username(&self.username)
            .password(self.password.expose_secret())
            .database(self.dbname.as_deref().unwrap_or("postgres"))
            .ssl_mode(ssl_mode);
        proxy_friendly(options)
    }
}

/// The AWS SDK's configuration loader: the environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, the
/// function role's credentials), with an HTTPS client on ring rather than the default aws-lc.
pub fn aws_config_loader() -> aws_config::ConfigLoader {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

async fn fetch_rds_secret(secret_arn: &str) -> Result<RdsSecret, InitError> {
    let client = aws_sdk_secretsmanager::Client::new(&aws_config_loader().load().await);
    let output = client
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|e| InitError::Secret(DisplayErrorContext(&e).to_string()))?;
    let json = output
        .secret_string()
        .ok_or_else(|| InitError::Secret("the secret has no SecretString".into()))?;
    // serde's message could quote a value from the secret: report only where it broke.
    serde_json::from_str(json).map_err(|e| {
        InitError::Secret(format!(
            "the secret is not RDS secret JSON with string username and password (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn no_database_is_an_error_that_names_the_variables() {
        let message = config(&[]).unwrap_err().to_string();
        assert!(
            message.contains("DATABASE_URL") && message.contains("DB_SECRET_ARN"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_url_scheme_names_database_url() {
        let message = config(&[("DATABASE_URL", "mysql://root:pw@localhost/db")])
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("DATABASE_URL is invalid"), "{message}");
        assert!(
            !message.contains("pw"),
            "the URL's password leaked: {message}"
        );
    }

    #[test]
    fn bad_companion_variables_are_named() {
        let cases = [
            (
                vec![
                    ("DATABASE_URL", "sqlite://x.db"),
                    ("DB_MAX_CONNECTIONS", "0"),
                ],
                "DB_MAX_CONNECTIONS",
            ),
            (
                vec![("DB_SECRET_ARN", "arn"), ("DB_SSL_MODE", "sometimes")],
                "DB_SSL_MODE",
            ),
            (
                vec![("DATABASE_URL", "sqlite://x.db"), ("DB_SECRET_ARN", "arn")],
                "only one",
            ),
            (
                vec![
                    ("DATABASE_URL", "sqlite://x.db"),
                    ("WS_ENDPOINT", "wss://x"),
                ],
                "WS_ENDPOINT",
            ),
        ];
        for (vars, expected) in cases {
            let message = config(&vars).unwrap_err().to_string();
            assert!(message.contains(expected), "{vars:?} gave {message}");
        }
    }

    #[test]
    fn the_secret_path_verifies_tls_by_default() {
        let config = config(&[(
            "DB_SECRET_ARN",
            "arn:aws:secretsmanager:eu-west-1:1:secret:db",
        )])
        .unwrap();
        let DatabaseConfig::AwsSecret { ssl_mode, .. } = config.database else {
            panic!("expected the secret configuration");
        };
        assert!(matches!(ssl_mode, PgSslMode::VerifyFull));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = config(&[(
            "DATABASE_URL",
            "postgres://app:hunter2@db.internal:5432/goals",
        )])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("db.internal"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("app:"),
            "{shown}"
        );
    }
}
