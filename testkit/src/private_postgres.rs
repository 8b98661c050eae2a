//! A PostgreSQL server of the test's own, in a temporary folder on a free port, so a test can
//! stop and start it (a database restart, an RDS failover) without touching the machine's
//! server that other tests use.
//!
//! The binaries are PostgreSQL's own (`initdb`, `pg_ctl`): from `PG_BIN`, else the newest
//! `/usr/lib/postgresql/<version>/bin`. As root they run as the `postgres` user, which owns
//! the folder. Durability is traded for speed (`fsync=off`): the data lives for one test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{is_root, skip};

/// A private server; stopped (immediately) when dropped.
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Creates a cluster and starts it, or reports a skip (`None`) when PostgreSQL's server
    /// binaries are not installed.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = server_binaries() else {
            skip(
                test,
                "PostgreSQL's server binaries (initdb, pg_ctl) are not installed; set PG_BIN",
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary folder");
        let server = Self {
            port: super::free_port(),
            data: dir.path().join("data"),
            log: dir.path().join("postgres.log"),
            bin,
            _dir: dir,
        };
        if is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server._dir.path())
                .status()
                .is_ok_and(|status| status.success());
            assert!(owned, "chown the private PostgreSQL folder to postgres");
        }
        server.run(
            "initdb",
            &[
                "-D",
                path(&server.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        server.start_again();
        Some(server)
    }

    /// `postgres://…/postgres` on this server, to create databases with.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Shuts the server down as an administrator's restart does (`pg_ctl stop -m fast`:
    /// sessions are terminated, transactions rolled back) and waits until it is down.
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["stop", "-D", path(&self.data), "-m", "fast", "-w"],
        );
    }

    /// Starts the server without waiting for it to accept connections; the test watches for
    /// that itself, to time the recovery from the moment it does.
    pub fn spawn_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
            self.port
        );
        self.run(
            "pg_ctl",
            &[
                "start",
                "-W",
                "-D",
                path(&self.data),
                "-l",
                path(&self.log),
                "-o",
                &options,
            ],
        );
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_again(&self) {
        self.spawn_start();
        let ready = (0..200).any(|_| {
            let accepting = self
                .command("pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|status| status.success());
            if !accepting {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            accepting
        });
        assert!(
            ready,
            "the private PostgreSQL did not start:\n{}",
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A server binary, as the `postgres` user when running as root.
    fn command(&self, program: &str) -> Command {
        let binary = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(binary);
            command
        } else {
            Command::new(binary)
        };
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_text()
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-D", path(&self.data), "-m", "immediate", "-w"])
            .output();
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// `PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` that holds `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("PG_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
