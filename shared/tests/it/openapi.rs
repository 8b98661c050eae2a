//! `openapi.json` against the code, so the document cannot drift: its paths and methods are
//! the route table's, its error codes `ApiError`'s, its limits the domain's, and its name
//! pattern accepts exactly the names `GoalName::parse` accepts.

use std::collections::BTreeSet;

use goal_tracker::authorizer::API_KEY_HEADER;
use goal_tracker::domain::{
    Cursor, GoalId, GoalName, DEFAULT_PAGE_LIMIT, MAX_NAME_CHARS, MAX_PAGE_LIMIT,
};
use goal_tracker::error::ApiError;
use goal_tracker::request::MAX_BODY_BYTES;
use goal_tracker::routes::{Endpoint, ROUTES};
use proptest::prelude::*;
use regex_automata::meta::Regex;
use serde_json::Value;

fn document() -> Value {
    let path = testkit::workspace_root().join("openapi.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[test]
fn it_is_openapi_3_1_and_its_operations_are_the_route_table() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    let routed: BTreeSet<String> = ROUTES.iter().map(|route| route.key()).collect();
    assert_eq!(documented, routed, "openapi.json paths vs ROUTES");
}

#[test]
fn every_route_but_health_needs_an_api_key_in_a_header() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["ApiKeyHeader"]["type"], "apiKey");
    assert_eq!(schemes["ApiKeyHeader"]["in"], "header");
    assert_eq!(
        schemes["ApiKeyHeader"]["name"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(API_KEY_HEADER.to_owned())
    );
    assert_eq!(schemes["BearerKey"]["scheme"], "bearer");
    assert!(!doc["security"].as_array().unwrap().is_empty());
    for route in ROUTES {
        let operation =
            &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase().as_str()];
        let open = operation.get("security") == Some(&serde_json::json!([]));
        assert_eq!(open, route.endpoint == Endpoint::Health, "{}", route.key());
        let documents_401 = operation["responses"].get("401").is_some();
        assert_eq!(documents_401, !open, "{}: a 401 response", route.key());
    }
}

#[test]
fn its_error_codes_are_the_api_errors_codes() {
    let doc = document();
    let documented: BTreeSet<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    let coded: BTreeSet<&str> = ApiError::CODES.iter().copied().collect();
    assert_eq!(documented, coded);
}

#[test]
fn its_limits_are_the_domains() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let list = &doc["paths"]["/goals"]["get"]["parameters"];
    let limit = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("a limit parameter");
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], MAX_PAGE_LIMIT);
    assert_eq!(limit["schema"]["default"], DEFAULT_PAGE_LIMIT);
    assert_eq!(
        schemas["GoalPage"]["properties"]["goals"]["maxItems"],
        MAX_PAGE_LIMIT
    );
    assert_eq!(
        schemas["Goal"]["properties"]["name"]["maxLength"],
        MAX_NAME_CHARS
    );
    let id = &doc["paths"]["/goals/{id}"]["parameters"][0]["schema"];
    assert_eq!(id["minimum"], 1);
    assert_eq!(id["maximum"], i64::MAX);
    let pattern = name_pattern();
    assert!(
        pattern.contains(&format!("{{0,{}}}", MAX_NAME_CHARS - 2)),
        "the name pattern allows {MAX_NAME_CHARS} characters between its two ends: {pattern}"
    );
    let too_large = doc["components"]["responses"]["PayloadTooLarge"]["description"]
        .as_str()
        .unwrap();
    assert!(
        too_large.contains(&MAX_BODY_BYTES.to_string()),
        "{too_large}"
    );
}

/// The document's `GoalName` pattern.
fn name_pattern() -> String {
    document()["components"]["schemas"]["GoalName"]["pattern"]
        .as_str()
        .expect("a name pattern")
        .to_owned()
}

/// The document's `Cursor` pattern.
fn cursor_pattern() -> String {
    document()["components"]["schemas"]["Cursor"]["pattern"]
        .as_str()
        .expect("a cursor pattern")
        .to_owned()
}

/// Base64url strings, some of them of `g1:` and digits, as cursors are made.
fn cursor_like() -> impl Strategy<Value = String> {
    use base64::Engine;
    let encode = |text: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    prop_oneof![
        "g1:[0-9]{0,21}".prop_map(encode),
        "g1:[0-9:a-]{0,6}".prop_map(encode),
        "[gx][01]:-?[0-9]{1,4}".prop_map(encode),
        "[A-Za-z0-9_-]{0,30}",
        any::<String>(),
    ]
}

/// The pattern without its `^…$`, which proptest's generator does not take (it generates whole
/// matches anyway).
fn unanchored(pattern: &str) -> &str {
    pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .expect("an anchored pattern")
}

/// Strings near the edges of the rule: white space of every kind, controls, wide characters.
fn tricky_names() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "é", "🎯", " ", "\u{3000}", "\u{a0}", "\u{2028}", "\u{200b}", "\u{180e}", "\t", "\n",
        "\u{85}", "\u{7f}", "\u{1c}", "\u{0}", "\u{feff}",
    ]);
    prop::collection::vec(pieces, 0..300).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_name_the_pattern_generates_is_a_valid_name(
        name in proptest::string::string_regex(unanchored(&name_pattern())).unwrap()
    ) {
        prop_assert!(GoalName::parse(&name).is_ok(), "{:?}", name);
    }

    #[test]
    fn every_cursor_the_pattern_generates_decodes(
        cursor in proptest::string::string_regex(unanchored(&cursor_pattern())).unwrap()
    ) {
        prop_assert!(Cursor::decode(&cursor).is_ok(), "{:?}", cursor);
    }

    #[test]
    fn the_cursor_pattern_accepts_exactly_the_cursors_the_api_takes_up_to_18_digits(
        cursor in cursor_like(),
        id in 1..=999_999_999_999_999_999_i64,
    ) {
        let regex = Regex::new(&cursor_pattern()).unwrap();
        let issued = Cursor { after: GoalId::parse(&id.to_string()).unwrap() }.encode();
        prop_assert!(regex.is_match(&issued), "an issued cursor {:?}", issued);
        // Past 18 digits (ids from 10^18, never reached) the API takes more than the pattern.
        let short = Cursor::decode(&cursor).is_ok_and(|c| c.after.get() < 1_000_000_000_000_000_000);
        prop_assert_eq!(regex.is_match(&cursor), short, "{:?}", cursor);
    }

    #[test]
    fn the_pattern_accepts_exactly_the_valid_names(
        name in prop_oneof![any::<String>(), tricky_names(), "[ a\u{3000}]{250,260}"]
    ) {
        let regex = Regex::new(&name_pattern()).unwrap();
        prop_assert_eq!(regex.is_match(&name), GoalName::parse(&name).is_ok(), "{:?}", name);
    }
}

#[test]
fn the_idempotency_key_header_and_the_replay_header_are_documented_as_the_code_has_them() {
    use goal_tracker::idempotency::{IDEMPOTENCY_KEY_HEADER, MAX_KEY_CHARS, REPLAYED_HEADER};
    let doc = document();
    let create = &doc["paths"]["/goals"]["post"];
    let key = create["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["in"] == "header")
        .expect("the Idempotency-Key header");
    assert_eq!(
        key["name"].as_str().map(str::to_ascii_lowercase).as_deref(),
        Some(IDEMPOTENCY_KEY_HEADER)
    );
    assert_eq!(key["schema"]["maxLength"], MAX_KEY_CHARS);
    let replayed: Vec<String> = create["responses"]["201"]["headers"]
        .as_object()
        .unwrap()
        .keys()
        .map(|name| name.to_ascii_lowercase())
        .collect();
    assert!(
        replayed.iter().any(|name| name == REPLAYED_HEADER),
        "{replayed:?}"
    );
    for (status, code) in [
        ("409", "IdempotencyInProgress"),
        ("422", "IdempotencyKeyReused"),
    ] {
        assert_eq!(
            create["responses"][status]["$ref"],
            format!("#/components/responses/{code}")
        );
    }
}
