//! Pushing goal changes to the owner's open WebSocket connections, through the API Gateway
//! Management API (`POST /@connections/{id}`), with the real AWS SDK: in AWS it reaches API
//! Gateway, locally the gateway's own implementation of that API.
//!
//! A push never fails the write that caused it: every connection is tried concurrently, within
//! one deadline, and what goes wrong is logged. A 410 Gone means the connection closed without
//! its `$disconnect` reaching us, so its row is removed. Every push is counted by outcome
//! (delivered, pruned, failed; one not finished by the deadline counts as failed).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;
use chrono::{TimeDelta, Utc};
use futures_util::{stream, StreamExt};
use tokio::sync::OnceCell;

use crate::config::aws_config_loader;
use crate::domain::{ConnectionId, GoalEvent, Owner};
use crate::metrics::{self, PushOutcome};
use crate::store::ConnectionStore;

/// API Gateway closes every WebSocket connection after two hours: older rows are stale.
pub const CONNECTION_LIFETIME: TimeDelta = TimeDelta::hours(2);
/// The longest a write waits for its pushes; what is not delivered by then is logged as such.
const PUSH_DEADLINE: Duration = Duration::from_secs(1);
/// Pushes in flight at once for one change.
const MAX_CONCURRENT_PUSHES: usize = 32;

/// Sends goal changes to connections; does nothing when no WebSocket API is configured.
#[derive(Clone, Default)]
pub struct Notifier {
    api: Option<Arc<ManagementApi>>,
}

/// The Management API client, built on the first push that has a connection to reach, not at
/// init: loading the SDK's configuration builds its HTTPS client, which reads and parses every
/// system root certificate (147 files here, most of an init's time; see docs/decisions.md).
struct ManagementApi {
    /// The stage URL the client is built for; `None` when the client came ready-made.
    endpoint: Option<String>,
    client: OnceCell<Client>,
}

impl ManagementApi {
    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                let mut loader = aws_config_loader();
                if let Some(endpoint) = &self.endpoint {
                    loader = loader.endpoint_url(endpoint);
                }
                Client::new(&loader.load().await)
            })
            .await
    }
}

/// What became of one push.
enum Delivery {
    Delivered,
    Gone,
    Failed,
}

impl Notifier {
    /// Pushes through `client`, whose endpoint is the WebSocket API's stage URL.
    pub fn new(client: Client) -> Self {
        Self::with(ManagementApi {
            endpoint: None,
            client: OnceCell::from(client),
        })
    }

    /// A notifier for the Management API at `endpoint`, with the environment's credentials.
    /// Costs nothing until the first push: the client is built then.
    pub fn for_endpoint(endpoint: &str) -> Self {
        Self::with(ManagementApi {
            endpoint: Some(endpoint.to_owned()),
            client: OnceCell::new(),
        })
    }

    fn with(api: ManagementApi) -> Self {
        Self {
            api: Some(Arc::new(api)),
        }
    }

    /// Sends `event` to every live connection of `owner`. Never fails: see the module docs.
    pub async fn publish(
        &self,
        connections: &dyn ConnectionStore,
        owner: &Owner,
        event: &GoalEvent,
    ) {
        let Some(api) = &self.api else {
            return;
        };
        let since = Utc::now() - CONNECTION_LIFETIME;
        let ids = match connections.connections_of(owner, since).await {
            Ok(ids) if ids.is_empty() => return,
            Ok(ids) => ids,
            Err(error) => {
                tracing::warn!(error = ?error, "push skipped: could not read the owner's connections");
                return;
            }
        };
        let data = match serde_json::to_vec(event) {
            Ok(data) => Blob::new(data),
            Err(error) => {
                tracing::error!(error = ?error, "push skipped: the event did not serialize");
                return;
            }
        };
        let client = api.client().await;
        let total = ids.len();
        let (mut delivered, mut gone, mut failed) = (0, 0, 0);
        let mut pushes = stream::iter(ids)
            .map(|id| push(client, connections, id, data.clone()))
            .buffer_unordered(MAX_CONCURRENT_PUSHES);
        let finished = tokio::time::timeout(PUSH_DEADLINE, async {
            while let Some(delivery) = pushes.next().await {
                match delivery {
                    Delivery::Delivered => delivered += 1,
                    Delivery::Gone => gone += 1,
                    Delivery::Failed => failed += 1,
                }
            }
        })
        .await
        .is_ok();
        let unfinished = total - delivered - gone - failed;
        metrics::pushes(PushOutcome::Delivered, delivered as u64);
        metrics::pushes(PushOutcome::Pruned, gone as u64);
        metrics::pushes(PushOutcome::Failed, (failed + unfinished) as u64);
        if finished && failed == 0 {
            tracing::info!(total, delivered, gone, "pushed");
        } else {
            tracing::warn!(
                total,
                delivered,
                gone,
                failed,
                unfinished,
                "push incomplete"
            );
        }
    }
}

async fn push(
    client: &Client,
    connections: &dyn ConnectionStore,
    id: ConnectionId,
    data: Blob,
) -> Delivery {
    let sent = client
        .post_to_connection()
        .connection_id(id.as_str())
        .data(data)
        .send()
        .await;
    match sent {
        Ok(_) => Delivery::Delivered,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_gone_exception()) =>
        {
            if let Err(error) = connections.remove_connection(&id).await {
                tracing::warn!(connection = id.as_str(), error = ?error, "could not remove a gone connection");
            }
            Delivery::Gone
        }
        Err(error) => {
            tracing::warn!(
                connection = id.as_str(),
                error = %DisplayErrorContext(&error),
                "push failed"
            );
            Delivery::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::{Connection, GoalName, NewGoal};
    use crate::store;

    /// Init must not pay for the client (see [`ManagementApi`]): nothing builds it until a push
    /// has a connection to reach; then it is built, once, even when the push fails.
    #[tokio::test]
    async fn the_client_is_built_by_the_first_push_that_has_a_connection() {
        let sqlite = testkit::sqlite_database();
        let config =
            Config::from_lookup(|name| (name == "DATABASE_URL").then(|| sqlite.url.clone()))
                .expect("a SQLite configuration");
        let store = store::connect(config.database().await.expect("a database"), 1);
        store.migrate().await.expect("migrations apply");
        let owner = Owner::new("alice").expect("an owner");
        let name = GoalName::parse("Lazy client").expect("a valid name");
        let goal = store
            .create(&owner, &NewGoal { name })
            .await
            .expect("a goal");
        // Nothing listens on port 1: the push fails fast, which the notifier only logs.
        let notifier = Notifier::for_endpoint("http://127.0.0.1:1");
        let built = || {
            notifier
                .api
                .as_ref()
                .expect("configured")
                .client
                .initialized()
        };
        assert!(!built(), "built at init");

        notifier
            .publish(&*store, &owner, &GoalEvent::Created(goal.clone()))
            .await;
        assert!(!built(), "built for an owner with no connection");

        let connection = Connection {
            id: ConnectionId::new("bGF6eQ==").expect("a connection id"),
            owner: owner.clone(),
            connected_at: Utc::now(),
        };
        store
            .add_connection(&connection)
            .await
            .expect("a connection");
        notifier
            .publish(&*store, &owner, &GoalEvent::Created(goal))
            .await;
        assert!(built(), "not built by a push with a connection to reach");
    }
}
