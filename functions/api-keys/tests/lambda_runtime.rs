//! The real `api-keys` binary under the Lambda Runtime API, invoked as `aws lambda invoke`
//! would with JSON payloads at `RUST_LOG=trace`: it issues, lists and revokes, the new key is in
//! the answer to `create` only, and never in the log.

use testkit::lambda_runtime::invoke;

#[tokio::test]
async fn the_function_issues_lists_and_revokes_keys_and_never_logs_one() {
    let sqlite = testkit::migrated_sqlite_database().await;
    let config = goal_tracker::config::Config::from_lookup(|n| {
        (n == "DATABASE_URL").then(|| sqlite.url.clone())
    })
    .unwrap();
    let app = goal_tracker::handlers::App::from_config(&config, 1)
        .await
        .unwrap();

    let events = [
        (
            "req-create",
            r#"{"action":"create","owner":"alice"}"#.to_owned(),
        ),
        (
            "req-list",
            r#"{"action":"list","owner":"alice"}"#.to_owned(),
        ),
        ("req-revoke", r#"{"action":"revoke","id":1}"#.to_owned()),
        ("req-unknown-id", r#"{"action":"revoke","id":7}"#.to_owned()),
        (
            "req-bad-owner",
            r#"{"action":"create","owner":""}"#.to_owned(),
        ),
        ("req-not-a-command", r#"{"action":"drop"}"#.to_owned()),
    ];
    let (answers, logs) = invoke(
        env!("CARGO_BIN_EXE_api-keys"),
        "api-keys",
        &[("DATABASE_URL", &sqlite.url), ("RUST_LOG", "trace")],
        &events,
    )
    .await;
    let answer = |id: &str| {
        answers
            .iter()
            .find(|answer| answer.path.starts_with(&format!("{id}/")))
            .unwrap_or_else(|| panic!("no answer to {id}: {answers:?}"))
    };
    let created = &answer("req-create").body;
    let key = created["key"].as_str().expect("the new key").to_owned();
    assert!(key.starts_with("gt_") && key.len() == 46, "{created}");
    assert_eq!(created["info"]["owner"], "alice");
    let listed = &answer("req-list").body;
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(!listed.to_string().contains(&key[9..]), "{listed}");
    assert!(answer("req-revoke").body["revoked"]["revoked_at"].is_string());
    for (id, message) in [
        ("req-unknown-id", "no API key has id 7"),
        ("req-bad-owner", "owner must be"),
        ("req-not-a-command", "expected"),
    ] {
        let error = answer(id);
        assert!(error.path.ends_with("/error"), "{id}: {error:?}");
        let text = error.body["errorMessage"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{id}: {}", error.body);
    }
    assert!(
        app.store
            .key_owner(&goal_tracker::keys::KeyHash::of_presented(&key).unwrap())
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );

    assert!(logs.contains("API key issued"), "{logs}");
    assert!(
        !logs.contains(&key[9..]),
        "the key reached the log:\n{logs}"
    );
}
