//! The AWS configuration path, for real: the `local` binary is started with `DB_SECRET_ARN`
//! as a function is in AWS, reads the RDS secret from moto_server through the AWS SDK
//! (`AWS_ENDPOINT_URL`), and connects to PostgreSQL with what it found.

use aws_config::Region;
use aws_sdk_secretsmanager::config::Credentials;
use serde_json::json;

use crate::helpers::{client_for, send_json, GatewayProcess};

/// Stores the RDS secret JSON in moto and returns its ARN.
async fn create_secret(endpoint: &str, secret: serde_json::Value) -> String {
    let sdk_config = goal_tracker::config::aws_config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk_config);
    let created = client
        .create_secret()
        .name(format!("goal-tracker/db/{}", uuid::Uuid::new_v4()))
        .secret_string(secret.to_string())
        .send()
        .await
        .expect("moto stores the secret");
    created.arn().expect("an ARN").to_owned()
}

/// The gateway binary, configured the AWS way, with everything it prints captured.
struct Gateway;

impl Gateway {
    fn start(moto_endpoint: &str, secret_arn: &str, extra_env: &[(&str, &str)]) -> GatewayProcess {
        let mut env = vec![
            ("DB_SECRET_ARN", secret_arn),
            ("AWS_ENDPOINT_URL", moto_endpoint),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        env.extend_from_slice(extra_env);
        GatewayProcess::start(&env)
    }
}

#[tokio::test]
async fn the_database_secret_is_read_from_secrets_manager_and_never_logged() {
    let test = "secrets_manager::the_database_secret_is_read_from_secrets_manager_and_never_logged";
    let Some(moto) = testkit::Moto::start(test) else {
        return;
    };
    let Some(database) = testkit::postgres_database(test).await else {
        return;
    };
    // PostgreSQL trusts local connections, so any password works; this one must never be printed,
    // not even at the most verbose log level (`RUST_LOG=trace`, which the gateway runs with here).
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let secret_arn = create_secret(
        &moto.endpoint,
        json!({
            "engine": "postgres",
            "username": "postgres",
            "password": password,
            "host": "db-instance.unreachable.invalid",
            "port": 5432,
            "dbname": database.name,
        }),
    )
    .await;

    // DB_HOST stands for the RDS Proxy endpoint; the local server's certificate is self-signed,
    // so this test encrypts without verifying (the next test shows verification is the default).
    let mut gateway = Gateway::start(
        &moto.endpoint,
        &secret_arn,
        &[("DB_HOST", "127.0.0.1"), ("DB_SSL_MODE", "require")],
    );
    let health = gateway.wait_until_listening().await;
    assert_eq!(health.status(), 200, "{}", gateway.output());
    // A fresh database: the gateway issued a dev key and printed it.
    let client = client_for(&gateway.dev_key().await);
    let created = client
        .post(format!("{}/goals", gateway.base))
        .json(&json!({ "name": "stored through the secret's credentials" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let listed: serde_json::Value = send_json(client.get(format!("{}/goals", gateway.base))).await;
    assert_eq!(
        listed["goals"][0]["name"],
        "stored through the secret's credentials"
    );

    let output = gateway.output();
    assert!(
        output.contains("via secret"),
        "the log says where the database is:\n{output}"
    );
    assert!(
        !output.contains(&password),
        "the password reached the log:\n{output}"
    );
    drop(gateway);
    database.drop_database().await;
}

#[tokio::test]
async fn by_default_the_certificate_must_verify() {
    let test = "secrets_manager::by_default_the_certificate_must_verify";
    let Some(moto) = testkit::Moto::start(test) else {
        return;
    };
    let secret_arn = create_secret(
        &moto.endpoint,
        json!({ "username": "postgres", "password": "unused", "host": "127.0.0.1", "port": "5432", "dbname": "postgres" }),
    )
    .await;

    // No DB_SSL_MODE: verify-full. The local server's snakeoil certificate is not publicly
    // trusted (RDS Proxy's is), so the gateway must refuse the connection it needs to migrate.
    let gateway = Gateway::start(&moto.endpoint, &secret_arn, &[]);
    let (status, output) = gateway.exit_output().await;
    assert!(
        !status.success(),
        "connected without verifying the certificate:\n{output}"
    );
    assert!(output.contains("could not apply migrations"), "{output}");
    assert!(
        output.to_lowercase().contains("certificate"),
        "the error should say why:\n{output}"
    );
}

#[tokio::test]
async fn an_unknown_secret_fails_at_init_naming_the_variable() {
    let test = "secrets_manager::an_unknown_secret_fails_at_init_naming_the_variable";
    let Some(moto) = testkit::Moto::start(test) else {
        return;
    };
    let missing =
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:goal-tracker/missing-AbCdEf";
    let gateway = Gateway::start(&moto.endpoint, missing, &[]);
    let (status, output) = gateway.exit_output().await;
    assert!(
        !status.success(),
        "the gateway started without its secret:\n{output}"
    );
    assert!(
        output.contains("DB_SECRET_ARN"),
        "the error should name the variable:\n{output}"
    );
}
