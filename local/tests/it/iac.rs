//! Drift between the local gateway and what AWS is told to do: the site's headers (the
//! Content-Security-Policy CloudFront sets, the Cache-Control deploy.yml uploads with) and the
//! HTTP API's CORS configuration must be the gateway's, so that the browser tests run against
//! the local gateway prove what the deployed site does.

use serde_yaml::Value;

/// The CSP of CloudFront's response headers policy, as written in terraform (one quoted
/// string; the only interpolation is `${var.api_origins}`). A line scan, not an HCL parser:
/// one assignment of a literal is all there is to read, and `scripts/check-iac` parses the file.
fn cloudfront_csp() -> String {
    let module = testkit::repo_file("terraform/modules/frontend/main.tf");
    let values: Vec<&str> = module
        .lines()
        .filter_map(|line| line.trim().strip_prefix("content_security_policy"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"'))
        .collect();
    assert_eq!(
        values.len(),
        1,
        "one content_security_policy = \"…\" in the frontend module"
    );
    values[0].to_owned()
}

/// CloudFront's CSP is the gateway's plus the API origins in `connect-src`: the same sources
/// everywhere else, and nothing but the stack's two APIs added (terraform computes them).
#[test]
fn cloudfront_sets_the_gateways_csp_plus_the_api_origins() {
    let csp = cloudfront_csp();
    assert!(
        csp.contains("connect-src 'self' ${var.api_origins};"),
        "the API origins are connect-src's only addition: {csp}"
    );
    assert_eq!(
        csp.matches("${").count(),
        1,
        "no other interpolation: {csp}"
    );
    assert_eq!(
        csp.replace(" ${var.api_origins}", ""),
        local::site::CONTENT_SECURITY_POLICY
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "no inline script or style, no eval: {csp}"
    );
}

/// deploy.yml uploads hashed assets and the HTML/config.json with the Cache-Control the
/// gateway serves them with.
#[test]
fn deploy_uploads_with_the_gateways_cache_control() {
    let workflow: Value = serde_yaml::from_str(&testkit::repo_file(".github/workflows/deploy.yml"))
        .expect("deploy.yml is YAML");
    let steps = workflow["jobs"]["frontend"]["steps"]
        .as_sequence()
        .expect("deploy.yml has a frontend job");
    let upload = steps
        .iter()
        .find(|step| !step["env"]["IMMUTABLE"].is_null())
        .expect("a frontend step with IMMUTABLE and NO_CACHE in its env");
    assert_eq!(upload["env"]["IMMUTABLE"], local::site::IMMUTABLE);
    assert_eq!(upload["env"]["NO_CACHE"], local::site::NO_CACHE);
    let script = upload["run"].as_str().expect("the step runs a script");
    for variable in ["\"$IMMUTABLE\"", "\"$NO_CACHE\""] {
        assert!(
            script.contains(&format!("--cache-control {variable}")),
            "the upload uses --cache-control {variable}"
        );
    }
}

/// The HTTP API answers CORS as the gateway does (local/src/cors.rs): same methods, request
/// headers (a create's Idempotency-Key included), exposed headers and preflight lifetime.
#[test]
fn the_http_apis_cors_is_the_gateways() {
    let template = testkit::template();
    let cors = &template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"];
    let list = |key: &str| {
        cors[key]
            .as_sequence()
            .unwrap_or_else(|| panic!("CorsConfiguration.{key} is a list"))
            .iter()
            .map(|item| item.as_str().expect("a string").to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_eq!(list("AllowMethods"), local::cors::ALLOWED_METHODS);
    assert_eq!(list("AllowHeaders"), local::cors::ALLOWED_HEADERS);
    assert_eq!(list("ExposeHeaders"), local::cors::EXPOSED_HEADERS);
    assert_eq!(
        cors["MaxAge"]
            .as_u64()
            .map(|age| age.to_string())
            .as_deref(),
        Some(local::cors::MAX_AGE_SECONDS)
    );
}
