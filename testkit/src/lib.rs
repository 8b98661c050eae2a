//! Test helpers shared by every test binary: real services, never mocks.
//!
//! - [`postgres_database`]: a fresh, uniquely named database on the machine's PostgreSQL.
//! - [`sqlite_database`]: a fresh SQLite file in a temporary folder.
//! - [`PrivatePostgres::start`]: a PostgreSQL server of the test's own, to stop and start.
//! - [`PgBouncer::start`]: PgBouncer in `pool_mode=transaction` in front of a database.
//! - [`Moto::start`]: `moto_server`, a local AWS endpoint for Secrets Manager.
//! - [`lambda_runtime::invoke`]: a real function binary under an emulated Lambda Runtime API.
//! - [`template`] and [`repo_file`]: the IaC files, for the drift tests.
//! - [`emf::metrics_in`]: the Embedded Metric Format lines of its output, checked against the spec.
//!
//! A service that is missing is a skip, reported plainly (see [`skip`]); with `CI=true` it is
//! a failure instead.

pub mod emf;
pub mod lambda_runtime;
mod private_postgres;

pub use private_postgres::PrivatePostgres;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};

/// The server tests create their databases on (`TEST_DATABASE_URL` overrides it).
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Marks a test as not run, and why. With `CI=true` a missing service fails the test instead:
/// CI must run everything. The reason also goes to the file named by `GT_SKIP_REPORT`, which
/// the test script prints at the end, so a skip is never silent.
pub fn skip(test: &str, reason: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test} cannot run in CI: {reason}");
    }
    let line = format!("SKIPPED {test}: {reason}");
    eprintln!("{line}");
    if let Ok(path) = std::env::var("GT_SKIP_REPORT") {
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// The workspace root, where `.tools/` lives.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A file of the repository (a path from its root), as text: the drift tests read the IaC.
pub fn repo_file(path: &str) -> String {
    let full = workspace_root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// `template.yaml`, parsed; CloudFormation's short tags (`!Ref`, `!Sub`) stay as tagged values.
pub fn template() -> serde_yaml::Value {
    serde_yaml::from_str(&repo_file("template.yaml")).expect("template.yaml is YAML")
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// A fresh database, dropped by [`TestPostgres::drop_database`] at the end of a test.
pub struct TestPostgres {
    pub name: String,
    /// `postgres://…/<name>` on the server itself.
    pub url: String,
    /// The server's port on 127.0.0.1, where PgBouncer reaches it.
    pub port: u16,
    admin_url: String,
}

/// Creates a uniquely named database, or reports a skip (`None`) when PostgreSQL is unreachable.
pub async fn postgres_database(test: &str) -> Option<TestPostgres> {
    let admin_url =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
    postgres_database_on(test, &admin_url).await
}

/// [`postgres_database`] on the server that `admin_url` names.
pub async fn postgres_database_on(test: &str, admin_url: &str) -> Option<TestPostgres> {
    let mut admin = match PgConnection::connect(admin_url).await {
        Ok(connection) => connection,
        Err(error) => {
            skip(
                test,
                &format!(
                    "PostgreSQL is not reachable at {admin_url} ({error}); set TEST_DATABASE_URL"
                ),
            );
            return None;
        }
    };
    let name = format!("gt_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .expect("create a test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    let port = sqlx::postgres::PgConnectOptions::from_str(admin_url)
        .expect("a PostgreSQL URL")
        .get_port();
    Some(TestPostgres {
        url: format!("{base}/{name}"),
        name,
        port,
        admin_url: admin_url.to_owned(),
    })
}

impl TestPostgres {
    /// Drops the database, closing whatever connections are still open to it.
    pub async fn drop_database(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let _ = admin
                .execute(
                    format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str(),
                )
                .await;
        }
    }
}

/// A fresh SQLite file; the folder is deleted when this is dropped.
pub struct TestSqlite {
    pub url: String,
    _dir: tempfile::TempDir,
}

pub fn sqlite_database() -> TestSqlite {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("goals.db").display());
    TestSqlite { url, _dir: dir }
}

/// [`sqlite_database`] with `migrations/sqlite` applied, for a function binary to open.
pub async fn migrated_sqlite_database() -> TestSqlite {
    let sqlite = sqlite_database();
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&sqlite.url)
        .expect("a SQLite URL")
        .create_if_missing(true);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("open the SQLite file");
    sqlx::migrate::Migrator::new(workspace_root().join("migrations/sqlite"))
        .await
        .expect("read migrations/sqlite")
        .run(&mut connection)
        .await
        .expect("apply migrations/sqlite");
    sqlite
}

/// The text of `events/<name>`, as `cargo lambda invoke --data-file` sends it.
pub fn event_text(name: &str) -> String {
    let path = workspace_root().join("events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A child process killed when the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited at start ({status})"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{what} did not listen on port {port} within 20 s"))
}

/// Finds an executable: an explicit variable, then the given candidates, then `PATH`.
fn find_program(variable: &str, candidates: &[PathBuf], name: &str) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(variable) {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    candidates
        .iter()
        .chain(on_path.iter())
        .find(|path| path.is_file())
        .cloned()
}

/// PgBouncer in transaction pooling mode, as RDS Proxy pools, in front of one test database.
pub struct PgBouncer {
    /// `postgres://…` through the proxy (with [`ProxyAuth::Trust`]).
    pub url: String,
    pub port: u16,
    _process: ChildGuard,
    _dir: tempfile::TempDir,
}

/// Who PgBouncer lets in. Either way it reaches PostgreSQL as `postgres`.
#[derive(Debug, Clone, Copy)]
pub enum ProxyAuth<'a> {
    /// Anyone, as `postgres`.
    Trust,
    /// Only `user`, with `password` (SCRAM), as RDS Proxy checks a secret's credentials.
    Password { user: &'a str, password: &'a str },
}

impl PgBouncer {
    /// Starts PgBouncer on a free loopback port with `server_pool_size` server connections,
    /// or reports a skip (`None`) when it is not installed.
    pub fn start(test: &str, database: &TestPostgres, server_pool_size: u32) -> Option<Self> {
        Self::start_with(test, database, server_pool_size, ProxyAuth::Trust, None)
    }

    /// [`PgBouncer::start`], letting in whom `auth` says, on `port` if given (a restart in
    /// place: the clients' connections break, and they must log in again).
    pub fn start_with(
        test: &str,
        database: &TestPostgres,
        server_pool_size: u32,
        auth: ProxyAuth<'_>,
        port: Option<u16>,
    ) -> Option<Self> {
        let candidates = [PathBuf::from("/usr/sbin/pgbouncer")];
        let Some(program) = find_program("PGBOUNCER", &candidates, "pgbouncer") else {
            skip(
                test,
                "pgbouncer is not installed (apt-get install pgbouncer, or run scripts/test)",
            );
            return None;
        };
        let port = port.unwrap_or_else(free_port);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = dir.path().join("pgbouncer.ini");
        let users = dir.path().join("users.txt");
        let (auth_type, users_line) = match auth {
            ProxyAuth::Trust => ("trust", "\"postgres\" \"\"\n".to_owned()),
            ProxyAuth::Password { user, password } => {
                ("scram-sha-256", format!("\"{user}\" \"{password}\"\n"))
            }
        };
        std::fs::write(&users, users_line).expect("write the users file");
        // `server_login_retry = 1`: after a failed server login (the server restarting),
        // PgBouncer tries again after 1 s rather than its default 15 s, as RDS Proxy keeps trying.
        std::fs::write(
            &config,
            format!(
                "[databases]\n\
                 {name} = host=127.0.0.1 port={server_port} dbname={name} user=postgres\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = {auth_type}\n\
                 auth_file = {users}\n\
                 pool_mode = transaction\n\
                 default_pool_size = {server_pool_size}\n\
                 max_client_conn = 500\n\
                 server_reset_query =\n\
                 server_login_retry = 1\n\
                 logfile =\n",
                name = database.name,
                server_port = database.port,
                users = users.display(),
            ),
        )
        .expect("write the pgbouncer config");
        // PgBouncer refuses to run as root; as root it is told to switch to the postgres user,
        // who must be able to read the folder.
        let mut command = Command::new(&program);
        if is_root() {
            set_world_readable(dir.path());
            command.args(["-u", "postgres"]);
        }
        let mut child = command
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        if let Err(reason) = wait_for_port(port, &mut child, "pgbouncer") {
            panic!("{reason}");
        }
        Some(Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/{}", database.name),
            port,
            _process: ChildGuard(child),
            _dir: dir,
        })
    }
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn set_world_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644));
    }
}

/// `moto_server`: a real HTTP endpoint that speaks the AWS APIs (Secrets Manager here).
pub struct Moto {
    /// The endpoint URL to give the SDK (`AWS_ENDPOINT_URL`).
    pub endpoint: String,
    _process: ChildGuard,
}

impl Moto {
    /// Starts `moto_server` on a free loopback port, or reports a skip (`None`) when it is not
    /// installed. It is looked for in `MOTO_SERVER`, then `.tools/venv/bin`, then `PATH`.
    pub fn start(test: &str) -> Option<Self> {
        let candidates = [workspace_root().join(".tools/venv/bin/moto_server")];
        let Some(program) = find_program("MOTO_SERVER", &candidates, "moto_server") else {
            skip(test, "moto_server is not installed (run scripts/test, which installs it into .tools/venv)");
            return None;
        };
        let port = free_port();
        let mut child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        if let Err(reason) = wait_for_port(port, &mut child, "moto_server") {
            panic!("{reason}");
        }
        Some(Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            _process: ChildGuard(child),
        })
    }
}
