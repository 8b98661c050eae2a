//! The `migrate` function's handler on real PostgreSQL: it applies the migrations, a second run
//! changes nothing, and runs started together (as CodeDeploy starts one hook per function)
//! all succeed with each migration applied once.

use std::sync::Arc;

use goal_tracker::config::Config;
use goal_tracker::migrate::{handle, MigrateEvent, MigrateOutput};
use goal_tracker::store::{self, GoalStore};
use sqlx::{Connection, PgConnection};

/// A store on `url`, built the way the function builds it: the configuration path, one connection.
async fn store_at(url: &str) -> Arc<dyn GoalStore> {
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.to_owned()))
        .expect("a valid DATABASE_URL");
    store::connect(config.database().await.expect("a database"), 1)
}

/// The migrations recorded as applied, and whether the goals table exists.
async fn applied(url: &str) -> (Vec<(i64, bool)>, bool) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let rows: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .expect("read _sqlx_migrations");
    let (goals,): (bool,) = sqlx::query_as("SELECT to_regclass('public.goals') IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .expect("look for the goals table");
    (rows, goals)
}

fn embedded_versions() -> usize {
    std::fs::read_dir(testkit::workspace_root().join("migrations/postgres"))
        .expect("migrations/postgres")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

#[tokio::test]
async fn migrating_twice_applies_each_migration_once() {
    let Some(db) =
        testkit::postgres_database("migrate::migrating_twice_applies_each_migration_once").await
    else {
        return;
    };
    let pipeline_event: MigrateEvent = serde_json::from_str("{}").unwrap();
    for run in 1..=2 {
        let store = store_at(&db.url).await;
        let output = handle(store.as_ref(), None, &pipeline_event).await;
        assert_eq!(
            output.unwrap(),
            MigrateOutput { status: "migrated" },
            "run {run}"
        );
    }
    let (rows, goals) = applied(&db.url).await;
    assert!(goals, "the goals table exists");
    assert_eq!(rows.len(), embedded_versions(), "{rows:?}");
    assert!(rows.iter().all(|(_, success)| *success), "{rows:?}");
    db.drop_database().await;
}

#[tokio::test]
async fn concurrent_runs_all_succeed_and_apply_each_migration_once() {
    let Some(db) = testkit::postgres_database(
        "migrate::concurrent_runs_all_succeed_and_apply_each_migration_once",
    )
    .await
    else {
        return;
    };
    // One store per run, as each Lambda environment has its own connection.
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store_at(&db.url).await;
        runs.spawn(async move {
            handle(store.as_ref(), None, &MigrateEvent::default())
                .await
                .map_err(|e| e.to_string())
        });
    }
    let results = runs.join_all().await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let (rows, goals) = applied(&db.url).await;
    assert!(goals, "the goals table exists");
    assert_eq!(rows.len(), embedded_versions(), "{rows:?}");
    db.drop_database().await;
}

#[test]
fn the_event_file_and_a_codedeploy_hook_event_parse() {
    let file = testkit::workspace_root().join("events/migrate.json");
    let text = std::fs::read_to_string(&file).expect("events/migrate.json");
    let event: MigrateEvent = serde_json::from_str(&text).expect("the event file parses");
    assert!(
        event.deployment_id.is_none(),
        "the pipeline's event is not a hook"
    );

    let hook: MigrateEvent = serde_json::from_str(
        r#"{"DeploymentId":"d-ABCDEF123","LifecycleEventHookExecutionId":"eyJl..."}"#,
    )
    .expect("CodeDeploy's hook event parses");
    assert_eq!(hook.deployment_id.as_deref(), Some("d-ABCDEF123"));
    assert_eq!(
        hook.lifecycle_event_hook_execution_id.as_deref(),
        Some("eyJl...")
    );
}
