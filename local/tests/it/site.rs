//! The built site at `/`: the headers CloudFront sets in AWS (content types, cache, CSP and the
//! other security headers), and a clear answer while the site is not built.

use std::path::Path;

use local::site::{Site, CONTENT_SECURITY_POLICY, IMMUTABLE, NOT_BUILT, NO_CACHE};
use reqwest::{Client, StatusCode};

use crate::helpers::{options, start_gateway_with, TestGateway};

/// A gateway serving the site in `dir`, and its database, which must live as long.
async fn gateway_with_site(dir: &Path) -> (TestGateway, testkit::TestSqlite) {
    let database = testkit::sqlite_database();
    let mut options = options(std::time::Duration::from_secs(30));
    options.site = Site {
        dir: dir.to_owned(),
    };
    (start_gateway_with(&database.url, options).await, database)
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn serves_the_site_with_cloudfronts_headers() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "index.html",
        "<!doctype html><title>goals</title>",
    );
    write(dir.path(), "assets/index-AbC123.js", "export {};");
    write(dir.path(), "assets/index-AbC123.css", "body{}");
    write(
        dir.path(),
        "config.json",
        r#"{"apiUrl":"https://api.test"}"#,
    );
    let (gateway, _database) = gateway_with_site(dir.path()).await;
    let client = Client::new();
    for (path, content_type, cache) in [
        ("/", "text/html", NO_CACHE),
        ("/index.html", "text/html", NO_CACHE),
        ("/config.json", "application/json", NO_CACHE),
        ("/assets/index-AbC123.js", "text/javascript", IMMUTABLE),
        ("/assets/index-AbC123.css", "text/css", IMMUTABLE),
    ] {
        let response = client
            .get(format!("{}{path}", gateway.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert!(header("content-type").starts_with(content_type), "{path}");
        assert_eq!(header("cache-control"), cache, "{path}");
        assert_eq!(header("content-security-policy"), CONTENT_SECURITY_POLICY);
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin");
        assert_eq!(
            header("strict-transport-security"),
            "max-age=63072000; includeSubDomains; preload"
        );
    }
    let missing = client
        .get(format!("{}/assets/nope.js", gateway.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The API beside it is unchanged.
    let goals = client
        .get(format!("{}/goals", gateway.base))
        .send()
        .await
        .unwrap();
    assert_eq!(goals.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_build_the_page_says_how_to_make_one_and_the_api_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _database) = gateway_with_site(&dir.path().join("dist")).await;
    let page = reqwest::get(format!("{}/", gateway.base)).await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.text().await.unwrap(), NOT_BUILT);
    assert!(NOT_BUILT.contains("scripts/dev") && NOT_BUILT.contains("npm run build"));
    let health = reqwest::get(format!("{}/health", gateway.base))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
