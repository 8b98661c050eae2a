//! The PostgreSQL store behind a transaction-pooling proxy, as RDS Proxy runs in AWS:
//! PgBouncer with `pool_mode=transaction`, fewer server connections than clients, so every
//! transaction may land on a different server connection than the one before.

use std::collections::BTreeMap;

use goal_tracker::domain::{GoalName, GoalPatch, NewGoal, Owner, PageLimit};
use goal_tracker::store::list_page;

use crate::helpers::{app_for, unmigrated_app};

const TASKS: usize = 20;
const OPERATIONS_PER_TASK: usize = 50;
/// Server connections PgBouncer may open: far fewer than the 20 clients.
const SERVER_POOL_SIZE: u32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_lambda_environments_share_a_transaction_pooler_without_errors() {
    let test = "pgbouncer::twenty_lambda_environments_share_a_transaction_pooler_without_errors";
    let Some(database) = testkit::postgres_database(test).await else {
        return;
    };
    // Migrations take a session-level advisory lock, so they run on the server directly,
    // as the deploy pipeline's migrate step will.
    drop(app_for(&database.url, 1).await);
    let Some(proxy) = testkit::PgBouncer::start(test, &database, SERVER_POOL_SIZE) else {
        database.drop_database().await;
        return;
    };

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let url = proxy.url.clone();
        tasks.push(tokio::spawn(async move {
            run_mixed_operations(task, &url).await
        }));
    }
    let mut errors = Vec::new();
    for (task, handle) in tasks.into_iter().enumerate() {
        match handle.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => errors.push(format!("task {task}: {error}")),
            Err(panic) => errors.push(format!("task {task} panicked: {panic}")),
        }
    }
    drop(proxy);
    database.drop_database().await;
    assert!(
        errors.is_empty(),
        "{} of {TASKS} tasks failed:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// One Lambda environment: its own pool of one connection, 50 operations of every kind,
/// checked against what it expects after each step.
async fn run_mixed_operations(task: usize, url: &str) -> Result<(), String> {
    let app = unmigrated_app(url, 1).await;
    let store = app.store.as_ref();
    let owner = Owner::new(&format!("owner-{task}")).unwrap();
    let mut expected = BTreeMap::new();
    for step in 0..OPERATIONS_PER_TASK {
        let fail =
            |what: &str, error: &dyn std::fmt::Display| format!("step {step} ({what}): {error}");
        match step % 5 {
            0 | 1 => {
                let name = GoalName::parse(&format!("task {task} step {step}")).unwrap();
                let goal = store
                    .create(&owner, &NewGoal { name })
                    .await
                    .map_err(|e| fail("create", &e))?;
                expected.insert(goal.id, goal);
            }
            2 => {
                let (id, want) = expected.iter().next_back().ok_or("nothing to read")?;
                let got = store.get(&owner, *id).await.map_err(|e| fail("get", &e))?;
                if got.as_ref() != Some(want) {
                    return Err(format!("step {step}: read {got:?}, expected {want:?}"));
                }
            }
            3 => {
                let id = *expected.keys().next().ok_or("nothing to update")?;
                let patch = GoalPatch {
                    name: Some(GoalName::parse(&format!("renamed at {step}")).unwrap()),
                    completed: Some(step % 2 == 1),
                };
                let goal = store
                    .update(&owner, id, &patch)
                    .await
                    .map_err(|e| fail("update", &e))?;
                expected.insert(
                    id,
                    goal.ok_or(format!("step {step}: goal {id:?} vanished"))?,
                );
            }
            _ => {
                let page = list_page(store, &owner, None, PageLimit::parse("100").unwrap())
                    .await
                    .map_err(|e| fail("list", &e))?;
                if page.goals != expected.values().cloned().collect::<Vec<_>>() {
                    return Err(format!(
                        "step {step}: the list differs from what was written"
                    ));
                }
                if step % 10 == 9 {
                    let id = *expected.keys().next().ok_or("nothing to delete")?;
                    if store
                        .delete(&owner, id)
                        .await
                        .map_err(|e| fail("delete", &e))?
                        .is_none()
                    {
                        return Err(format!("step {step}: goal {id:?} was not there to delete"));
                    }
                    expected.remove(&id);
                }
            }
        }
    }
    Ok(())
}

/// The test's Secrets Manager: the secret's connection options as they stand, rotated by hand.
#[derive(Debug)]
struct RotatingSecret(std::sync::Mutex<sqlx::postgres::PgConnectOptions>);

#[async_trait::async_trait]
impl goal_tracker::store::CredentialSource for RotatingSecret {
    async fn connect_options(&self) -> Result<sqlx::postgres::PgConnectOptions, String> {
        Ok(self.0.lock().unwrap().clone())
    }
}

/// RDS rotates the secret's password; RDS Proxy takes the new one and refuses the old one. A
/// warm function whose connection then breaks must log in again with the new password.
#[tokio::test]
async fn after_the_password_rotates_a_refused_login_reads_the_secret_again() {
    use goal_tracker::store::{connect, Database};
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    use testkit::{PgBouncer, ProxyAuth};

    let test = "pgbouncer::after_the_password_rotates_a_refused_login_reads_the_secret_again";
    let Some(database) = testkit::postgres_database(test).await else {
        return;
    };
    drop(app_for(&database.url, 1).await);
    let auth = |password| ProxyAuth::Password {
        user: "app",
        password,
    };
    let Some(proxy) = PgBouncer::start_with(test, &database, 1, auth("first"), None) else {
        database.drop_database().await;
        return;
    };
    let port = proxy.port;
    let options = |password: &str| {
        PgConnectOptions::new_without_pgpass()
            .host("127.0.0.1")
            .port(port)
            .username("app")
            .password(password)
            .database(&database.name)
            .ssl_mode(PgSslMode::Disable)
            .extra_float_digits(None)
    };
    let secret = std::sync::Arc::new(RotatingSecret(std::sync::Mutex::new(options("first"))));
    let rotating = connect(
        Database::RotatingPostgres(options("first"), secret.clone()),
        1,
    );
    let fixed = connect(Database::Postgres(options("first")), 1);
    let alice = Owner::new("alice").unwrap();
    let name = GoalName::parse("before the rotation").unwrap();
    let created = rotating.create(&alice, &NewGoal { name }).await.unwrap();
    fixed
        .ping()
        .await
        .expect("the old password works before the rotation");

    // The rotation: the proxy restarts in place with the new password, and the secret has it.
    drop(proxy);
    let _proxy = PgBouncer::start_with(test, &database, 1, auth("second"), Some(port))
        .expect("pgbouncer restarts");
    *secret.0.lock().unwrap() = options("second");

    assert!(
        fixed.ping().await.is_err(),
        "without a secret to read again, the old password is refused: the rotation is real"
    );
    let listed = rotating
        .list(&alice, None, 10)
        .await
        .expect("the store logs in again with the rotated password");
    assert_eq!(listed, vec![created]);
    rotating.ping().await.expect("and stays logged in");
    drop((rotating, fixed));
    database.drop_database().await;
}

/// The proxy restarts while a warm function's connection sits idle (RDS Proxy does the same
/// when it fails over or closes an idle client). The next statement meets a closed socket; it
/// is sent once more on a fresh connection, so the request succeeds, and a write is applied
/// exactly once.
#[tokio::test]
async fn after_the_proxy_restarts_the_next_read_and_write_succeed_on_a_fresh_connection() {
    use testkit::{PgBouncer, ProxyAuth};

    let test =
        "pgbouncer::after_the_proxy_restarts_the_next_read_and_write_succeed_on_a_fresh_connection";
    let Some(database) = testkit::postgres_database(test).await else {
        return;
    };
    drop(app_for(&database.url, 1).await);
    let Some(proxy) = PgBouncer::start(test, &database, 1) else {
        database.drop_database().await;
        return;
    };
    let port = proxy.port;
    let app = unmigrated_app(&proxy.url, 1).await;
    let store = app.store.as_ref();
    let alice = Owner::new("alice").unwrap();
    let goal = |name: &str| NewGoal {
        name: GoalName::parse(name).unwrap(),
    };
    let first = store.create(&alice, &goal("before")).await.unwrap();

    drop(proxy);
    let proxy = PgBouncer::start_with(test, &database, 1, ProxyAuth::Trust, Some(port))
        .expect("pgbouncer restarts");
    assert_eq!(
        store
            .get(&alice, first.id)
            .await
            .expect("a read after the restart"),
        Some(first.clone())
    );

    drop(proxy);
    let _proxy = PgBouncer::start_with(test, &database, 1, ProxyAuth::Trust, Some(port))
        .expect("pgbouncer restarts again");
    let second = store
        .create(&alice, &goal("after"))
        .await
        .expect("a write after the restart");
    let listed = store.list(&alice, None, 10).await.unwrap();
    assert_eq!(listed, vec![first, second], "each goal exactly once");
    drop(app);
    database.drop_database().await;
}
