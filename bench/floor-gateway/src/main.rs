//! `floor-gateway`: what an HTTP server in front of PostgreSQL cannot avoid doing per request,
//! and nothing more. `GET /goals` and `POST /goals` each send the statements the store sends
//! for them (bench/pgbench's scripts, values written in, simple query protocol, on the same
//! TLS connections to the same database) and answer with the rows' text run together: no
//! routing table, key check, event, JSON, log line or metric. `bench/gateway_rps.sh` loads it
//! as it loads the local gateway, so the ratio it reaches is the most any gateway on this
//! machine could. Same runtime and allocator as the local gateway. Never deployed.
//!
//! Arguments: the scripts' variables as pgbench takes them (`-D owner="'bench'" -D name=…`).
//! Variables: `DATABASE_URL`, `FLOOR_ADDR` (host:port), `DB_MAX_CONNECTIONS`.

use std::collections::HashMap;
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

/// The SQL of each request, statement by statement: bench/pgbench's scripts themselves.
struct Statements {
    list: Vec<String>,
    create: Vec<String>,
}

/// A pgbench script's statements, one per line, with its variables written in: those its
/// `\set` lines give, and `defines` (pgbench's `-D name=value`). Comment lines are skipped; a
/// `:name` that is no variable (a `::` cast) is left as it is.
fn statements(script: &str, defines: &HashMap<String, String>) -> Vec<String> {
    let mut variables = defines.clone();
    let mut statements = Vec::new();
    for line in script.lines().map(str::trim) {
        if let Some(set) = line.strip_prefix("\\set ") {
            if let Some((name, value)) = set.split_once(' ') {
                variables.insert(name.to_owned(), value.trim().to_owned());
            }
        } else if !line.is_empty() && !line.starts_with("--") {
            statements.push(substitute(line.trim_end_matches(';'), &variables));
        }
    }
    statements
}

/// `sql` with each `:name` of `variables` replaced by its value.
fn substitute(sql: &str, variables: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        match variables.get(&after[..len]) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[at..at + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// pgbench's `-D name=value` arguments.
fn defines(mut args: impl Iterator<Item = String>) -> anyhow::Result<HashMap<String, String>> {
    let mut defines = HashMap::new();
    while let Some(flag) = args.next() {
        anyhow::ensure!(
            flag == "-D",
            "unknown argument {flag:?}; expected -D name=value"
        );
        let define = args.next().context("-D without name=value")?;
        let (name, value) = define
            .split_once('=')
            .with_context(|| format!("-D {define:?} is not name=value"))?;
        defines.insert(name.to_owned(), value.to_owned());
    }
    Ok(defines)
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
    let defines = defines(std::env::args().skip(1))?;
    let mut idle = Vec::with_capacity(connections);
    for _ in 0..connections {
        idle.push(PgConnection::connect(&url).await?);
    }
    let floor = Arc::new(Floor {
        url,
        idle: Mutex::new(idle),
        turns: Semaphore::new(connections),
        statements: Statements {
            list: statements(include_str!("../../pgbench/list_goals.sql"), &defines),
            create: statements(include_str!("../../pgbench/create_goal.sql"), &defines),
        },
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
