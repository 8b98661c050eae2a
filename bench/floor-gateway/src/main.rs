//! `floor-gateway`: what an HTTP server in front of PostgreSQL cannot avoid doing per request,
//! and nothing more. `GET /goals` and `POST /goals` each send the statements the store sends
//! for them (the SQL of bench/pgbench/, values written in, simple query protocol, on the same
//! TLS connections to the same database) and answer with the rows' text run together: no
//! routing table, key check, event, JSON, log line or metric. `bench/gateway_rps.sh` loads it
//! as it loads the local gateway, so the ratio it reaches is the most any gateway on this
//! machine could. Same runtime and allocator as the local gateway. Never deployed.
//!
//! Variables: `DATABASE_URL`, `FLOOR_ADDR` (host:port), `FLOOR_OWNER`, `DB_MAX_CONNECTIONS`.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sqlx::postgres::PgRow;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::Semaphore;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The SQL of one request, statement by statement, as bench/pgbench/ has it.
struct Statements {
    list: Vec<String>,
    create: Vec<String>,
}

impl Statements {
    fn for_owner(owner: &str) -> Self {
        let owner = format!("'{}'", owner.replace('\'', "''"));
        Self {
            list: vec![format!(
                "SELECT id, name, completed, created_at, updated_at FROM goals \
                 WHERE owner = {owner} AND id > 0 ORDER BY id LIMIT 51"
            )],
            create: vec![
                format!(
                    "INSERT INTO goals (owner, name, completed, created_at, updated_at) \
                     VALUES ({owner}, 'Benchmark goal', FALSE, now(), now()) \
                     RETURNING id, name, completed, created_at, updated_at"
                ),
                format!(
                    "SELECT id FROM connections WHERE owner = {owner} \
                     AND connected_at > now() - interval '2 hours' ORDER BY connected_at, id"
                ),
            ],
        }
    }
}

/// Connections taken in turns: sqlx's pool would ping each one it takes back, a round trip
/// the store does not make either. A request dropped mid-statement (its client went away)
/// drops its connection; the next turn opens a new one.
struct Floor {
    url: String,
    idle: Mutex<Vec<PgConnection>>,
    turns: Semaphore,
    statements: Statements,
}

/// Sends each statement of `sqls` on one connection and answers with every column of every
/// row, as text, run together.
async fn answer(floor: &Floor, sqls: &[String], status: StatusCode) -> (StatusCode, String) {
    let _turn = floor.turns.acquire().await.expect("never closed");
    let parked = floor.idle.lock().unwrap().pop();
    let mut conn = match parked {
        Some(conn) => conn,
        None => match PgConnection::connect(&floor.url).await {
            Ok(conn) => conn,
            Err(error) => return (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
        },
    };
    let mut body = String::new();
    let mut result = Ok(());
    for sql in sqls {
        match rows_of(&mut conn, sql).await {
            Ok(rows) => {
                for row in &rows {
                    for column in 0..row.len() {
                        if let Ok(Some(text)) = row.try_get::<Option<&str>, _>(column) {
                            body.push_str(text);
                        }
                    }
                }
            }
            Err(error) => {
                result = Err(error);
                break;
            }
        }
    }
    floor.idle.lock().unwrap().push(conn);
    match result {
        Ok(()) => (status, body),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
    }
}

/// The rows of `sql`, in one round trip. Through `Executor`'s own boxed future: `RawSql`'s
/// `async fn` is not seen as `Send` for every lifetime axum asks about.
async fn rows_of(conn: &mut PgConnection, sql: &str) -> Result<Vec<PgRow>, sqlx::Error> {
    conn.fetch_all(sqlx::raw_sql(sql)).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let connections: usize = var("DB_MAX_CONNECTIONS")?
        .parse()
        .context("DB_MAX_CONNECTIONS is not a number")?;
    let url = var("DATABASE_URL")?;
    let mut idle = Vec::with_capacity(connections);
    for _ in 0..connections {
        idle.push(PgConnection::connect(&url).await?);
    }
    let floor = Arc::new(Floor {
        url,
        idle: Mutex::new(idle),
        turns: Semaphore::new(connections),
        statements: Statements::for_owner(&var("FLOOR_OWNER")?),
    });
    let app = Router::new()
        .route(
            "/goals",
            get(|State(floor): State<Arc<Floor>>| async move {
                answer(&floor, &floor.statements.list, StatusCode::OK).await
            })
            .post(|State(floor): State<Arc<Floor>>| async move {
                answer(&floor, &floor.statements.create, StatusCode::CREATED).await
            }),
        )
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(var("FLOOR_ADDR")?).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
