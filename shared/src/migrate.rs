//! The `migrate` function: applies the embedded migrations before new code takes traffic.
//!
//! It is invoked two ways, with the same effect: by CodeDeploy as the `PreTraffic` hook of every
//! function's gradual deployment (the event names the deployment, and the result must be
//! reported back to CodeDeploy), and by the deploy pipeline with `{}` (the first deploy has no
//! traffic shift, so no hook). Running it twice, or several at once, is safe: sqlx takes a
//! PostgreSQL advisory lock around the whole run and skips migrations already applied.
//!
//! Behind RDS Proxy the advisory lock pins the client connection to one server connection for
//! the rest of the session, so the lock, the migrations and the unlock share one backend.

use std::sync::Arc;

use aws_sdk_codedeploy::types::LifecycleEventStatus;
use lambda_http::lambda_runtime::{self, service_fn, Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::config::{aws_config_loader, Config, InitError};
use crate::store::{self, GoalStore};
use crate::telemetry;

pub use lambda_http::Error;

/// The event: empty from the pipeline; CodeDeploy's hook event names the lifecycle event.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MigrateEvent {
    pub deployment_id: Option<String>,
    pub lifecycle_event_hook_execution_id: Option<String>,
}

impl MigrateEvent {
    /// The deployment and lifecycle event to report to, when CodeDeploy invoked us.
    fn hook(&self) -> Option<(&str, &str)> {
        Some((
            self.deployment_id.as_deref()?,
            self.lifecycle_event_hook_execution_id.as_deref()?,
        ))
    }
}

/// What the pipeline reads back.
#[derive(Debug, PartialEq, Serialize)]
pub struct MigrateOutput {
    pub status: &'static str,
}

/// A migration failure, or a failure to tell CodeDeploy about the result.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migrations failed: {0}")]
    Store(#[from] store::StoreError),
    #[error("could not report the hook result to CodeDeploy: {0}")]
    Report(String),
}

/// What `aws lambda invoke` shows on failure: the error and its causes (sqlx's errors hold no
/// credentials), so the pipeline's log says which migration failed and why.
impl From<MigrateError> for Diagnostic {
    fn from(error: MigrateError) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Diagnostic {
            error_type: "MigrateError".into(),
            error_message: message,
        }
    }
}

/// Reports a hook's result to CodeDeploy. The client is built on the first report, not at
/// init: the pipeline's invocations have no hook to report, and loading the SDK's configuration
/// reads every system root certificate (see `push::Notifier`).
#[derive(Default)]
pub struct HookReporter {
    client: OnceCell<aws_sdk_codedeploy::Client>,
}

impl HookReporter {
    async fn client(&self) -> &aws_sdk_codedeploy::Client {
        self.client
            .get_or_init(|| async {
                aws_sdk_codedeploy::Client::new(&aws_config_loader().load().await)
            })
            .await
    }

    async fn report(
        &self,
        deployment_id: &str,
        execution_id: &str,
        succeeded: bool,
    ) -> Result<(), MigrateError> {
        let status = if succeeded {
            LifecycleEventStatus::Succeeded
        } else {
            LifecycleEventStatus::Failed
        };
        self.client()
            .await
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(deployment_id)
            .lifecycle_event_hook_execution_id(execution_id)
            .status(status)
            .send()
            .await
            .map_err(|e| {
                MigrateError::Report(aws_sdk_codedeploy::error::DisplayErrorContext(&e).to_string())
            })?;
        Ok(())
    }
}

/// Applies the migrations and, for a hook event, reports the outcome (a failure makes
/// CodeDeploy stop the deployment and roll back; old code keeps all traffic).
#[tracing::instrument(name = "migrate", skip_all, fields(hook = event.hook().is_some()))]
pub async fn handle(
    store: &dyn GoalStore,
    reporter: Option<&HookReporter>,
    event: &MigrateEvent,
) -> Result<MigrateOutput, MigrateError> {
    let result = store.migrate().await;
    match &result {
        Ok(()) => tracing::info!("migrations applied"),
        Err(error) => tracing::error!(error = ?error, "migrations failed"),
    }
    if let (Some((deployment_id, execution_id)), Some(reporter)) = (event.hook(), reporter) {
        reporter
            .report(deployment_id, execution_id, result.is_ok())
            .await?;
        tracing::info!(
            deployment_id,
            succeeded = result.is_ok(),
            "reported to CodeDeploy"
        );
    }
    result?;
    Ok(MigrateOutput { status: "migrated" })
}

/// The `migrate` binary's `main`: one connection, built once, and the CodeDeploy client.
pub async fn serve() -> Result<(), Error> {
    telemetry::init();
    let (store, reporter) = init().await.map_err(|error| {
        tracing::error!(error = %error, "init failed");
        Error::from(error.to_string())
    })?;
    let (store, reporter) = (&store, &reporter);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<MigrateEvent>| async move {
            handle(store.as_ref(), Some(reporter), &event.payload).await
        },
    ))
    .await
}

async fn init() -> Result<(Arc<dyn GoalStore>, HookReporter), InitError> {
    let config = Config::from_env()?;
    let database = config.database().await?;
    let store = store::connect(database, config.max_connections.unwrap_or(1));
    let reporter = HookReporter::default();
    tracing::info!(database = %config.database, "initialised");
    Ok((store, reporter))
}
