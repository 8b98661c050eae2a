//! Stores on real engines, built through the same configuration path the functions use,
//! and API Gateway events loaded from `events/`.

use std::path::PathBuf;
use std::sync::Arc;

use goal_tracker::config::Config;
use goal_tracker::handlers::App;
use goal_tracker::store::GoalStore;
use lambda_http::Request;
use testkit::{TestPostgres, TestSqlite};

/// A migrated store on a fresh database, and what keeps that database alive.
pub struct TestStore {
    pub app: App,
    postgres: Option<TestPostgres>,
    _sqlite: Option<TestSqlite>,
}

impl TestStore {
    pub fn store(&self) -> &dyn GoalStore {
        self.app.store.as_ref()
    }

    pub fn shared_store(&self) -> Arc<dyn GoalStore> {
        self.app.store.clone()
    }

    /// Drops the PostgreSQL database, if any. Call it at the end of a test.
    pub async fn finish(self) {
        if let Some(postgres) = self.postgres {
            drop(self.app);
            postgres.drop_database().await;
        }
    }
}

/// An app configured from `DATABASE_URL = url`, migrated.
pub async fn app_for(url: &str, max_connections: u32) -> App {
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.to_owned()))
        .expect("a valid test configuration");
    let app = App::from_config(&config, max_connections)
        .await
        .expect("the app builds");
    app.store.migrate().await.expect("migrations apply");
    app
}

pub async fn sqlite_store() -> TestStore {
    let sqlite = testkit::sqlite_database();
    TestStore {
        app: app_for(&sqlite.url, 4).await,
        postgres: None,
        _sqlite: Some(sqlite),
    }
}

/// `None` (and a reported skip) when PostgreSQL is not reachable outside CI.
pub async fn postgres_store(test: &str) -> Option<TestStore> {
    let postgres = testkit::postgres_database(test).await?;
    Some(TestStore {
        app: app_for(&postgres.url, 4).await,
        postgres: Some(postgres),
        _sqlite: None,
    })
}

/// The path of a file in `events/`.
pub fn event_path(name: &str) -> PathBuf {
    testkit::workspace_root().join("events").join(name)
}

/// An API Gateway event from `events/`, parsed exactly as the Lambda runtime parses it.
pub fn event(name: &str) -> Request {
    let path = event_path(name);
    let json =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    lambda_http::request::from_str(&json)
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}
