//! What the gateway tests share: a gateway in-process with keys issued straight into its store,
//! HTTP clients that send a key, and the `local` binary as a process with its output captured.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use goal_tracker::config::Config;
use goal_tracker::domain::Owner;
use goal_tracker::handlers::App;
use goal_tracker::keys::{self, KeyId};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Client;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

/// The origin the test gateways allow for CORS.
pub const ALLOWED_ORIGIN: &str = "http://localhost:8080";

/// A gateway on a free loopback port, and its store for issuing keys; it stops when the
/// test's runtime ends.
pub struct TestGateway {
    pub base: String,
    pub app: App,
}

impl TestGateway {
    /// Issues a key for `owner` in the gateway's store, as `keys create` does.
    pub async fn issue_key(&self, owner: &str) -> String {
        self.issue_key_with_id(owner).await.0
    }

    /// [`TestGateway::issue_key`], with the key's id.
    pub async fn issue_key_with_id(&self, owner: &str) -> (String, KeyId) {
        let (key, info) = keys::issue(self.app.store.as_ref(), &Owner::new(owner).unwrap())
            .await
            .unwrap();
        (key.expose().to_owned(), info.id)
    }

    /// Revokes a key, as `keys revoke` does.
    pub async fn revoke(&self, id: KeyId) {
        self.app.store.revoke_key(id).await.unwrap().unwrap();
    }
}

/// [`start_gateway_with`] with the defaults but CORS, which allows [`ALLOWED_ORIGIN`].
pub async fn start_gateway(database_url: &str) -> TestGateway {
    start_gateway_with(database_url, options(Duration::from_secs(30))).await
}

/// The options of a test gateway: [`ALLOWED_ORIGIN`] and the given authorizer cache TTL.
pub fn options(auth_cache_ttl: Duration) -> local::Options {
    local::Options {
        cors: local::cors::Cors::parse(ALLOWED_ORIGIN).unwrap(),
        auth_cache_ttl,
        site: local::site::Site::from_env(),
    }
}

/// A migrated gateway on `database_url`.
pub async fn start_gateway_with(database_url: &str, options: local::Options) -> TestGateway {
    let app = app_on(database_url).await;
    app.store.migrate().await.unwrap();
    spawn_gateway(app, options).await
}

/// The app of a test gateway on `database_url` (four connections), migrations not applied.
pub async fn app_on(database_url: &str) -> App {
    let config =
        Config::from_lookup(|name| (name == "DATABASE_URL").then(|| database_url.to_owned()))
            .unwrap();
    App::from_config(&config, 4).await.unwrap()
}

/// A gateway serving `app` as it is (no migrations: behind a transaction pooler they run on
/// the server directly, as the deploy pipeline runs them).
pub async fn spawn_gateway(app: App, options: local::Options) -> TestGateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(local::serve(
        listener,
        app.clone(),
        options,
        std::future::pending(),
    ));
    TestGateway { base, app }
}

/// Sends `request` and reads its answer as JSON, whatever the status.
pub async fn send_json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// A client that sends `key` as `Authorization: Bearer …` on every request.
pub fn client_for(key: &str) -> Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
    );
    Client::builder().default_headers(headers).build().unwrap()
}

/// The `local` binary as a process, everything it prints captured.
pub struct GatewayProcess {
    pub base: String,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl GatewayProcess {
    /// Starts the binary on a free port at `RUST_LOG=trace`, with `env` set and `DATABASE_URL`
    /// taken from `env` only.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let port = testkit::free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_local"));
        command
            .env_remove("DATABASE_URL")
            .env("LOCAL_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the local binary");
        let output = capture(&mut child);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            output,
        }
    }

    /// Waits until it answers `/health` (with any status), or fails with what it printed.
    pub async fn wait_until_listening(&mut self) -> reqwest::Response {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(format!("{}/health", self.base)).await {
                return response;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the gateway exited ({status}):\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "the gateway did not start:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the process to exit; its status and everything it printed.
    pub async fn exit_output(mut self) -> (std::process::ExitStatus, String) {
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the gateway exits")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        (status, self.output())
    }

    /// Stops the process; everything it printed.
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.output()
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The dev key the gateway printed on a first start (waiting a little for the line).
    pub async fn dev_key(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(key) = printed_keys(&self.output()).into_iter().next() {
                return key;
            }
            assert!(
                Instant::now() < deadline,
                "no dev key was printed:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The keys printed on lines of their own, as the CLI and the first start print them.
pub fn printed_keys(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("gt_") && !line.contains(' '))
        .map(str::to_owned)
        .collect()
}

/// Runs `local keys …` against `database_url`; its exit status and everything it printed.
pub async fn keys_command(database_url: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_local"))
        .arg("keys")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "trace")
        .output()
        .await
        .expect("run the local binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn capture(child: &mut Child) -> Arc<Mutex<String>> {
    let output = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    for stream in [
        Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(stderr),
    ] {
        let output = output.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                output.lock().unwrap().push_str(&(line + "\n"));
            }
        });
    }
    output
}
