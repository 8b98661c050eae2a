//! Bad input, class by class: each table row is a request a client could send, built from an
//! event in `events/` with its body, headers, path, query or authorizer edited, and answered
//! through the handler. Every row must get its documented 4xx and stable code, and leave the
//! data exactly as it was. Every class runs on SQLite and on PostgreSQL.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use goal_tracker::domain::{Goal, GoalPatch, PageLimit};
use goal_tracker::handlers::{handle, App};
use goal_tracker::request::MAX_BODY_BYTES;
use goal_tracker::routes::Endpoint;
use goal_tracker::store::list_page;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, event_json, json_of, new_goal, on_both_engines, owner, request, set_authorizer,
    set_binary_body, set_goal_id, set_header, set_query, set_text_body,
};

on_both_engines!(
    malformed_json_answers_400_malformed_json,
    json_of_the_wrong_types_answers_400_validation_failed,
    a_json_array_for_a_body_answers_400_validation_failed,
    a_missing_body_answers_400_malformed_json,
    an_empty_or_all_whitespace_name_answers_400_validation_failed,
    a_name_of_256_characters_answers_400_validation_failed,
    a_name_of_255_multibyte_characters_is_accepted,
    control_characters_in_a_name_answer_400_validation_failed,
    a_non_json_content_type_on_a_write_answers_415_unsupported_media_type,
    json_media_types_with_parameters_or_a_json_suffix_are_accepted,
    a_body_over_64_kib_answers_413_payload_too_large,
    a_body_of_exactly_64_kib_is_read,
    invalid_utf8_answers_400_malformed_json,
    an_id_that_is_not_a_positive_64_bit_integer_answers_400_validation_failed,
    a_limit_out_of_range_answers_400_validation_failed,
    a_forged_or_garbled_cursor_answers_400_validation_failed,
    unknown_fields_answer_400_validation_failed,
    both_name_and_goal_name_answer_400_validation_failed,
    a_missing_or_empty_owner_answers_401_unauthorized,
    sql_metacharacters_and_emoji_in_a_name_are_stored_and_returned_verbatim,
);

// --- the table ------------------------------------------------------------------------------

/// A documented error answer: the status and its stable code.
type Answer = (u16, &'static str);

const MALFORMED_JSON: Answer = (400, "malformed_json");
const VALIDATION_FAILED: Answer = (400, "validation_failed");
const UNAUTHORIZED: Answer = (401, "unauthorized");
const NOT_FOUND: Answer = (404, "not_found");
const PAYLOAD_TOO_LARGE: Answer = (413, "payload_too_large");
const UNSUPPORTED_MEDIA_TYPE: Answer = (415, "unsupported_media_type");

/// One bad request and the answer it must get.
struct Row {
    /// Names the case in a failure message.
    case: String,
    endpoint: Endpoint,
    event: Value,
    answer: Answer,
}

fn row(case: impl Into<String>, endpoint: Endpoint, event: Value, answer: Answer) -> Row {
    Row {
        case: case.into(),
        endpoint,
        event,
        answer,
    }
}

/// A `POST /goals` row: most bad input is a create or an update, named by its method.
fn post(case: &str, event: Value, answer: Answer) -> Row {
    row(format!("POST {case}"), Endpoint::CreateGoal, event, answer)
}

/// A `PATCH /goals/{id}` row.
fn patch(case: &str, event: Value, answer: Answer) -> Row {
    row(format!("PATCH {case}"), Endpoint::UpdateGoal, event, answer)
}

/// Sends every row; each must answer its status and code and change no goal of anyone.
async fn check(app: &App, class: &str, rows: Vec<Row>) {
    assert!(!rows.is_empty(), "{class}: an empty table");
    for row in rows {
        let case = format!("{class}: {}", row.case);
        let before = snapshot(app).await;
        let response = send(app, row.endpoint, &row.event).await;
        let (status, code) = row.answer;
        assert_error(&response, status, code, &case);
        assert_eq!(snapshot(app).await, before, "{case}: the data changed");
    }
}

/// Alice's goals and bob's, in full.
async fn snapshot(app: &App) -> (Vec<Goal>, Vec<Goal>) {
    let limit = PageLimit::parse("100").unwrap();
    let mut owners = Vec::new();
    for name in ["alice", "bob"] {
        let page = list_page(app.store.as_ref(), &owner(name), None, limit)
            .await
            .expect("list goals");
        assert!(page.next_cursor.is_none(), "the snapshot fits one page");
        owners.push(page.goals);
    }
    let bob = owners.pop().unwrap();
    let alice = owners.pop().unwrap();
    (alice, bob)
}

/// Data for the rows to leave alone: two goals of alice (one completed), one of bob.
/// Answers the id of alice's first goal, which the `/goals/{id}` rows address.
async fn seed(app: &App) -> i64 {
    let store = app.store.as_ref();
    let target = store
        .create(&owner("alice"), &new_goal("learn Rust"))
        .await
        .unwrap();
    let done = store
        .create(&owner("alice"), &new_goal("read a book"))
        .await
        .unwrap();
    let patch = GoalPatch {
        name: None,
        completed: Some(true),
    };
    store
        .update(&owner("alice"), done.id, &patch)
        .await
        .unwrap();
    store
        .create(&owner("bob"), &new_goal("bob's goal"))
        .await
        .unwrap();
    target.id.get()
}

// --- requests built from the events ---------------------------------------------------------

/// The events of the `/goals/{id}` routes, with the endpoint each is sent to.
const BY_ID: [(&str, Endpoint); 3] = [
    ("get-goal.json", Endpoint::GetGoal),
    ("update-goal.json", Endpoint::UpdateGoal),
    ("delete-goal.json", Endpoint::DeleteGoal),
];

/// Answers an edited event as the function of `endpoint` would.
async fn send(app: &App, endpoint: Endpoint, event: &Value) -> Response<Body> {
    handle(app, endpoint, request(event)).await
}

/// `GET /goals/{id}` of a goal as a create answered it: what the store kept.
async fn get_back(app: &App, goal: &Value) -> Response<Body> {
    send(
        app,
        Endpoint::GetGoal,
        &at_id("get-goal.json", &goal["id"].to_string()),
    )
    .await
}

/// `create-goal.json` with this text body.
fn create(body: &str) -> Value {
    let mut event = event_json("create-goal.json");
    set_text_body(&mut event, Some(body));
    event
}

/// `create-goal.json` with this body, base64-encoded as API Gateway sends binary bodies.
fn create_bytes(body: &[u8]) -> Value {
    let mut event = event_json("create-goal.json");
    set_binary_body(&mut event, body);
    event
}

/// A valid create sent with this content type (or none), to test the content type alone.
fn create_as(content_type: Option<&str>) -> Value {
    with_content_type(create(r#"{"name": "Learn Rust"}"#), content_type)
}

/// `update-goal.json` addressing goal `id`, with this text body.
fn update(id: i64, body: &str) -> Value {
    let mut event = at_id("update-goal.json", &id.to_string());
    set_text_body(&mut event, Some(body));
    event
}

/// `update-goal.json` addressing goal `id`, with this body base64-encoded.
fn update_bytes(id: i64, body: &[u8]) -> Value {
    let mut event = at_id("update-goal.json", &id.to_string());
    set_binary_body(&mut event, body);
    event
}

/// A valid update of goal `id` sent with this content type (or none).
fn update_as(id: i64, content_type: Option<&str>) -> Value {
    with_content_type(update(id, r#"{"completed": true}"#), content_type)
}

/// An event of a `/goals/{id}` route addressing the id as written.
fn at_id(file: &str, raw_id: &str) -> Value {
    let mut event = event_json(file);
    set_goal_id(&mut event, raw_id);
    event
}

/// `list-goals.json` with this query.
fn list(params: &[(&str, &str)]) -> Value {
    let mut event = event_json("list-goals.json");
    set_query(&mut event, params);
    event
}

fn with_content_type(mut event: Value, content_type: Option<&str>) -> Value {
    set_header(&mut event, "content-type", content_type);
    event
}

fn name_body(name: &str) -> String {
    json!({ "name": name }).to_string()
}

/// A patch that renames and completes: the name must be refused even with a valid field.
fn rename_and_complete_body(name: &str) -> String {
    json!({ "name": name, "completed": true }).to_string()
}

/// `body` followed by spaces up to exactly `len` bytes: still the same JSON.
fn padded(body: &str, len: usize) -> String {
    format!("{body}{}", " ".repeat(len - body.len()))
}

/// A valid create body of exactly `len` bytes.
fn padded_create_body(len: usize) -> String {
    padded(r#"{"name":"a valid goal"}"#, len)
}

/// A create body of exactly `len` bytes whose name is as long as that takes.
fn long_name_body(len: usize) -> String {
    let overhead = r#"{"name":""}"#.len();
    let body = name_body(&"a".repeat(len - overhead));
    assert_eq!(body.len(), len);
    body
}

// --- the classes ----------------------------------------------------------------------------

async fn malformed_json_answers_400_malformed_json(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, body) in [
        ("an unterminated object", r#"{"name": "Learn Rust","#),
        ("a missing closing brace", r#"{"name": "Learn Rust""#),
        ("an unquoted key", r#"{name: "Learn Rust"}"#),
        ("single quotes", r#"{'name': 'Learn Rust'}"#),
        ("a trailing comma", r#"{"name": "Learn Rust",}"#),
        ("plain text", "Learn Rust"),
        ("two JSON values", r#"{"name": "a"} {"name": "b"}"#),
        (
            "a raw control character inside a string",
            "{\"name\": \"a\u{1}b\"}",
        ),
        ("an invalid escape", r#"{"name": "bad \q escape"}"#),
        ("an escaped lone surrogate", r#"{"name": "\ud800"}"#),
        (
            "a byte-order mark before the JSON",
            "\u{feff}{\"name\": \"a\"}",
        ),
        ("NaN", r#"{"name": NaN}"#),
    ] {
        rows.push(post(case, create(body), MALFORMED_JSON));
    }
    for (case, body) in [
        ("a misspelt literal", r#"{"completed": tru}"#),
        ("a capitalised literal", r#"{"completed": True}"#),
        ("an unterminated object", r#"{"completed": true"#),
        ("a trailing comma", r#"{"completed": true,}"#),
    ] {
        rows.push(patch(case, update(id, body), MALFORMED_JSON));
    }
    check(app, "malformed JSON", rows).await;
}

async fn json_of_the_wrong_types_answers_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, body) in [
        ("a number for the name", r#"{"name": 42}"#),
        ("null for the name", r#"{"name": null}"#),
        ("a boolean for the name", r#"{"name": true}"#),
        ("an array for the name", r#"{"name": ["Learn Rust"]}"#),
        (
            "an object for the name",
            r#"{"name": {"text": "Learn Rust"}}"#,
        ),
        ("a number for goal_name", r#"{"goal_name": 7}"#),
        ("no name at all", "{}"),
        ("a JSON string", r#""Learn Rust""#),
        ("a JSON number", "42"),
        ("JSON null", "null"),
        ("an empty JSON array", "[]"),
    ] {
        rows.push(post(case, create(body), VALIDATION_FAILED));
    }
    for (case, body) in [
        ("a string for completed", r#"{"completed": "true"}"#),
        ("a number for completed", r#"{"completed": 1}"#),
        ("a number for the name", r#"{"name": 42}"#),
        (
            "a boolean for the name",
            r#"{"name": false, "completed": true}"#,
        ),
        (
            "an object for completed",
            r#"{"completed": {"value": true}}"#,
        ),
        ("a JSON string", r#""done""#),
        ("JSON true", "true"),
    ] {
        rows.push(patch(case, update(id, body), VALIDATION_FAILED));
    }
    check(app, "JSON of the wrong types", rows).await;
}

/// The contract's bodies are JSON objects. serde's derived `Deserialize` would also read a
/// struct from an array of its fields in order (`["Learn Rust"]` as a create), so arrays are
/// refused explicitly.
async fn a_json_array_for_a_body_answers_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let rows = vec![
        post(
            "an array holding the name",
            create(r#"["Learn Rust"]"#),
            VALIDATION_FAILED,
        ),
        patch(
            "an array holding name and completed",
            update(id, "[null, true]"),
            VALIDATION_FAILED,
        ),
    ];
    check(app, "a JSON array for a body", rows).await;
}

async fn a_missing_body_answers_400_malformed_json(app: &App) {
    let id = seed(app).await;
    let mut no_body = event_json("create-goal.json");
    set_text_body(&mut no_body, None);
    let mut patch_no_body = at_id("update-goal.json", &id.to_string());
    set_text_body(&mut patch_no_body, None);
    let rows = vec![
        post("without a body", no_body, MALFORMED_JSON),
        post("with an empty string body", create(""), MALFORMED_JSON),
        post(
            "with an empty base64 body",
            create_bytes(b""),
            MALFORMED_JSON,
        ),
        post(
            "with a body of only whitespace",
            create(" \r\n\t "),
            MALFORMED_JSON,
        ),
        patch("without a body", patch_no_body, MALFORMED_JSON),
        patch("with an empty string body", update(id, ""), MALFORMED_JSON),
    ];
    check(app, "a missing body", rows).await;
}

async fn an_empty_or_all_whitespace_name_answers_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, name) in [
        ("an empty name", ""),
        ("a name of one space", " "),
        ("a name of spaces", "     "),
        ("a name of an ideographic space", "\u{3000}"),
        ("a name of no-break spaces", "\u{a0}\u{a0}"),
        ("a name of em spaces", "\u{2003}\u{2003}"),
    ] {
        rows.push(post(case, create(&name_body(name)), VALIDATION_FAILED));
        let body = rename_and_complete_body(name);
        rows.push(patch(case, update(id, &body), VALIDATION_FAILED));
    }
    rows.push(post(
        "an empty goal_name",
        create(r#"{"goal_name": "  "}"#),
        VALIDATION_FAILED,
    ));
    check(app, "an empty or all-whitespace name", rows).await;
}

async fn a_name_of_256_characters_answers_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, name) in [
        ("256 ASCII letters", "a".repeat(256)),
        ("256 two-byte letters", "é".repeat(256)),
        ("256 three-byte letters", "目".repeat(256)),
        ("256 emoji", "🎯".repeat(256)),
        ("255 letters and an emoji", format!("{}🎯", "a".repeat(255))),
        (
            "256 letters inside spaces",
            format!("  {}  ", "a".repeat(256)),
        ),
        ("10 000 letters", "a".repeat(10_000)),
    ] {
        rows.push(post(case, create(&name_body(&name)), VALIDATION_FAILED));
        let body = rename_and_complete_body(&name);
        rows.push(patch(case, update(id, &body), VALIDATION_FAILED));
    }
    check(app, "a name of 256 characters", rows).await;
}

/// Not a bad input: the limit counts characters, so 255 characters of any width fit.
async fn a_name_of_255_multibyte_characters_is_accepted(app: &App) {
    let id = seed(app).await;
    for (case, sent, stored) in [
        ("255 ASCII letters", "a".repeat(255), "a".repeat(255)),
        ("255 two-byte letters", "é".repeat(255), "é".repeat(255)),
        ("255 three-byte letters", "目".repeat(255), "目".repeat(255)),
        ("255 emoji", "🎯".repeat(255), "🎯".repeat(255)),
        (
            "255 emoji inside spaces, trimmed",
            format!("  {}  ", "🎯".repeat(255)),
            "🎯".repeat(255),
        ),
    ] {
        let response = send(app, Endpoint::CreateGoal, &create(&name_body(&sent))).await;
        assert_eq!(response.status(), 201, "POST {case}");
        let created = json_of(&response);
        assert_eq!(created["name"], stored.as_str(), "POST {case}: name");

        let got = get_back(app, &created).await;
        assert_eq!(json_of(&got), created, "POST {case}: reads back");

        let response = send(app, Endpoint::UpdateGoal, &update(id, &name_body(&sent))).await;
        assert_eq!(response.status(), 200, "PATCH {case}");
        assert_eq!(
            json_of(&response)["name"],
            stored.as_str(),
            "PATCH {case}: name"
        );
    }
}

async fn control_characters_in_a_name_answer_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, name) in [
        ("NUL", "a\u{0}b"),
        ("only NUL", "\u{0}"),
        ("a newline inside", "line\nbreak"),
        ("a trailing newline", "trailing\n"),
        ("a leading tab", "\ttab"),
        ("a carriage return", "carriage\rreturn"),
        ("BEL", "bell\u{7}"),
        ("an ANSI escape sequence", "\u{1b}[31mred\u{1b}[0m"),
        ("DEL", "del\u{7f}"),
        ("the C1 control NEL", "next\u{85}line"),
        ("the C1 control CSI", "c1\u{9b}"),
    ] {
        let body = name_body(name);
        rows.push(post(case, create(&body), VALIDATION_FAILED));
        rows.push(patch(case, update(id, &body), VALIDATION_FAILED));
    }
    check(app, "control characters in a name", rows).await;
}

async fn a_non_json_content_type_on_a_write_answers_415_unsupported_media_type(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, content_type) in [
        ("text/plain", Some("text/plain")),
        (
            "text/plain with a charset",
            Some("text/plain; charset=utf-8"),
        ),
        ("a form", Some("application/x-www-form-urlencoded")),
        ("multipart", Some("multipart/form-data; boundary=xyz")),
        ("XML", Some("application/xml")),
        ("text/json", Some("text/json")),
        ("application/jsonx", Some("application/jsonx")),
        ("a JSON sequence", Some("application/json-seq")),
        ("octet-stream", Some("application/octet-stream")),
        ("no content type", None),
    ] {
        rows.push(post(case, create_as(content_type), UNSUPPORTED_MEDIA_TYPE));
        rows.push(patch(
            case,
            update_as(id, content_type),
            UNSUPPORTED_MEDIA_TYPE,
        ));
    }
    check(app, "a non-JSON content type on a write", rows).await;
}

/// Not a bad input: JSON with parameters, in any case, or as a `+json` type is JSON.
async fn json_media_types_with_parameters_or_a_json_suffix_are_accepted(app: &App) {
    let id = seed(app).await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/vnd.goals+json; version=1",
    ] {
        let response = send(app, Endpoint::CreateGoal, &create_as(Some(content_type))).await;
        assert_eq!(response.status(), 201, "POST as {content_type}");
        let response = send(
            app,
            Endpoint::UpdateGoal,
            &update_as(id, Some(content_type)),
        )
        .await;
        assert_eq!(response.status(), 200, "PATCH as {content_type}");
    }
}

async fn a_body_over_64_kib_answers_413_payload_too_large(app: &App) {
    let id = seed(app).await;
    let over = MAX_BODY_BYTES + 1;
    assert_eq!(MAX_BODY_BYTES, 65_536, "the documented limit is 64 KiB");
    let rows = vec![
        post(
            "a long name, one byte over",
            create(&long_name_body(over)),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "a valid goal padded with whitespace, one byte over",
            create(&padded_create_body(over)),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "1 MiB",
            create(&long_name_body(1024 * 1024)),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "one byte over as base64",
            create_bytes(padded_create_body(over).as_bytes()),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "one byte over as text/plain (size is checked first)",
            with_content_type(create(&padded_create_body(over)), Some("text/plain")),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "one byte over of invalid UTF-8 (size is checked first)",
            create_bytes(&vec![0xff; over]),
            PAYLOAD_TOO_LARGE,
        ),
        patch(
            "one byte over",
            update(id, &padded(r#"{"completed": true}"#, over)),
            PAYLOAD_TOO_LARGE,
        ),
        post(
            "exactly 64 KiB is read, then refused for its long name",
            create(&long_name_body(MAX_BODY_BYTES)),
            VALIDATION_FAILED,
        ),
    ];
    check(app, "a body over 64 KiB", rows).await;
}

/// Not a bad input: the limit is inclusive.
async fn a_body_of_exactly_64_kib_is_read(app: &App) {
    seed(app).await;
    let body = padded_create_body(MAX_BODY_BYTES);
    assert_eq!(body.len(), MAX_BODY_BYTES);
    let response = send(app, Endpoint::CreateGoal, &create(&body)).await;
    assert_eq!(response.status(), 201, "a 64 KiB body is within the limit");
    assert_eq!(json_of(&response)["name"], "a valid goal");
}

async fn invalid_utf8_answers_400_malformed_json(app: &App) {
    let id = seed(app).await;
    let utf16: Vec<u8> = r#"{"name":"a"}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut rows = Vec::new();
    for (case, body) in [
        ("a Latin-1 é", b"{\"name\":\"caf\xe9\"}".to_vec()),
        ("0xFF 0xFE", b"{\"name\":\"\xff\xfe\"}".to_vec()),
        ("a lone continuation byte", b"{\"name\":\"\x80\"}".to_vec()),
        ("an overlong slash", b"{\"name\":\"\xc0\xaf\"}".to_vec()),
        (
            "an encoded surrogate",
            b"{\"name\":\"\xed\xa0\x80\"}".to_vec(),
        ),
        ("a truncated emoji", b"{\"name\":\"\xf0\x9f\x8e\"}".to_vec()),
        (
            "a code point above U+10FFFF",
            b"{\"name\":\"\xf4\x90\x80\x80\"}".to_vec(),
        ),
        (
            "invalid bytes outside a string",
            b"\xff{\"name\":\"a\"}".to_vec(),
        ),
        ("UTF-16 JSON", utf16),
    ] {
        rows.push(post(case, create_bytes(&body), MALFORMED_JSON));
    }
    rows.push(patch(
        "a Latin-1 é",
        update_bytes(id, b"{\"name\":\"caf\xe9\"}"),
        MALFORMED_JSON,
    ));
    check(app, "invalid UTF-8", rows).await;
}

async fn an_id_that_is_not_a_positive_64_bit_integer_answers_400_validation_failed(app: &App) {
    seed(app).await;
    let mut rows = Vec::new();
    for raw in [
        "0",
        "-1",
        "abc",
        "9223372036854775808",
        "18446744073709551616",
        "1.5",
        "+1",
        "1e3",
        "00",
        "0x1",
        "１",
    ] {
        for (file, endpoint) in BY_ID {
            rows.push(row(
                format!("{endpoint:?} id {raw:?}"),
                endpoint,
                at_id(file, raw),
                VALIDATION_FAILED,
            ));
        }
    }
    for (file, endpoint) in BY_ID {
        rows.push(row(
            format!("{endpoint:?} id i64::MAX is an id, of no goal"),
            endpoint,
            at_id(file, &i64::MAX.to_string()),
            NOT_FOUND,
        ));
    }
    check(app, "an id that is not a positive 64-bit integer", rows).await;
}

async fn a_limit_out_of_range_answers_400_validation_failed(app: &App) {
    seed(app).await;
    let rows = [
        "0",
        "101",
        "-1",
        "x",
        "",
        "1.5",
        "+5",
        " 5",
        "1e2",
        "4294967297",
    ]
    .into_iter()
    .map(|raw| {
        row(
            format!("limit {raw:?}"),
            Endpoint::ListGoals,
            list(&[("limit", raw)]),
            VALIDATION_FAILED,
        )
    })
    .collect();
    check(app, "limit out of range", rows).await;
}

async fn a_forged_or_garbled_cursor_answers_400_validation_failed(app: &App) {
    seed(app).await;
    let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let mut rows = Vec::new();
    for (case, cursor) in [
        ("punctuation", "!!!".to_owned()),
        ("an empty cursor", String::new()),
        ("truncated base64", "Zz".to_owned()),
        ("padded base64", STANDARD.encode("g1:1")),
        ("another prefix", forged("x1:1")),
        ("no prefix", forged("1")),
        ("a negative id", forged("g1:-5")),
        ("id 0", forged("g1:0")),
        ("a word for an id", forged("g1:abc")),
        ("an id past i64", forged("g1:9223372036854775808")),
        ("a JSON cursor", forged(r#"{"after":1}"#)),
        (
            "bytes that are not UTF-8",
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
        ),
        ("an SQL injection", "1' OR '1'='1".to_owned()),
    ] {
        rows.push(row(
            format!("cursor {case} ({cursor:?})"),
            Endpoint::ListGoals,
            list(&[("limit", "1"), ("cursor", &cursor)]),
            VALIDATION_FAILED,
        ));
    }
    check(app, "a forged or garbled cursor", rows).await;
}

async fn unknown_fields_answer_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, body) in [
        ("a misspelt completed", r#"{"complete": true}"#),
        ("an extra field", r#"{"completed": true, "extra": 1}"#),
        ("an id", r#"{"id": 99, "completed": true}"#),
        ("an owner", r#"{"owner": "bob", "completed": true}"#),
        (
            "a timestamp",
            r#"{"created_at": "2020-01-01T00:00:00Z", "completed": true}"#,
        ),
        ("a capitalised name", r#"{"Name": "Learn Go"}"#),
        (
            "a name with a trailing space in the key",
            r#"{"name ": "Learn Go"}"#,
        ),
    ] {
        rows.push(patch(case, update(id, body), VALIDATION_FAILED));
    }
    for (case, body) in [
        (
            "completed on create",
            r#"{"name": "Learn Go", "completed": true}"#,
        ),
        (
            "an owner on create",
            r#"{"name": "Learn Go", "owner": "bob"}"#,
        ),
    ] {
        rows.push(post(case, create(body), VALIDATION_FAILED));
    }
    check(app, "unknown fields", rows).await;
}

async fn both_name_and_goal_name_answer_400_validation_failed(app: &App) {
    let id = seed(app).await;
    let mut rows = Vec::new();
    for (case, body) in [
        ("name then goal_name", r#"{"name": "a", "goal_name": "b"}"#),
        ("goal_name then name", r#"{"goal_name": "b", "name": "a"}"#),
        (
            "both with the same value",
            r#"{"name": "a", "goal_name": "a"}"#,
        ),
        ("name twice", r#"{"name": "a", "name": "b"}"#),
        ("goal_name twice", r#"{"goal_name": "a", "goal_name": "b"}"#),
    ] {
        rows.push(post(case, create(body), VALIDATION_FAILED));
        rows.push(patch(case, update(id, body), VALIDATION_FAILED));
    }
    rows.push(patch(
        "both names and completed",
        update(id, r#"{"name": "a", "goal_name": "b", "completed": true}"#),
        VALIDATION_FAILED,
    ));
    check(app, "both name and goal_name", rows).await;
}

async fn a_missing_or_empty_owner_answers_401_unauthorized(app: &App) {
    let id = seed(app).await.to_string();
    let mut rows = Vec::new();
    for (case, authorizer) in [
        ("no authorizer", None),
        ("an empty lambda context", Some(json!({ "lambda": {} }))),
        ("a null lambda context", Some(json!({ "lambda": null }))),
        ("an empty owner", Some(json!({ "lambda": { "owner": "" } }))),
        (
            "an owner of spaces",
            Some(json!({ "lambda": { "owner": "   " } })),
        ),
        (
            "a number for the owner",
            Some(json!({ "lambda": { "owner": 42 } })),
        ),
        ("a null owner", Some(json!({ "lambda": { "owner": null } }))),
        (
            "the principal under another key",
            Some(json!({ "lambda": { "principalId": "alice" } })),
        ),
        (
            "a JWT authorizer instead of the Lambda one",
            Some(json!({ "jwt": { "claims": { "sub": "alice" }, "scopes": null } })),
        ),
    ] {
        let goals = [
            ("list-goals.json", Endpoint::ListGoals),
            ("create-goal.json", Endpoint::CreateGoal),
        ];
        for (file, endpoint) in goals.into_iter().chain(BY_ID) {
            let mut event = event_json(file);
            if event.get("pathParameters").is_some() {
                set_goal_id(&mut event, &id);
            }
            set_authorizer(&mut event, authorizer.clone());
            rows.push(row(
                format!("{endpoint:?} with {case}"),
                endpoint,
                event,
                UNAUTHORIZED,
            ));
        }
    }
    check(app, "a missing or empty owner", rows).await;
}

/// Not a bad input: names that look like SQL or are not ASCII are data, kept byte for byte.
async fn sql_metacharacters_and_emoji_in_a_name_are_stored_and_returned_verbatim(app: &App) {
    seed(app).await;
    let (alice_before, _) = snapshot(app).await;
    let names = [
        "Robert'); DROP TABLE goals;--",
        "' OR '1'='1",
        "\"; DELETE FROM goals WHERE owner <> '' --",
        "100% of _everything_ \\ escaped",
        "$1 ? :name @p1",
        "/* comment */ -- not a comment",
        "back\\slash and \"quotes\" and `ticks`",
        "<script>alert(1)</script>",
        "🎯 ship it 🚀",
        "👩‍👩‍👧‍👦 family",
        "Ünïcödé ñ 中文 العربية",
        "e\u{301} with a combining accent",
        "\u{202e}right-to-left override",
    ];
    let mut created = Vec::new();
    for name in names {
        let response = send(app, Endpoint::CreateGoal, &create(&name_body(name))).await;
        assert_eq!(response.status(), 201, "POST {name:?}");
        let goal = json_of(&response);
        assert_eq!(goal["name"], name, "POST {name:?}: answered verbatim");
        let got = get_back(app, &goal).await;
        assert_eq!(got.status(), 200, "GET {name:?}");
        assert_eq!(json_of(&got)["name"], name, "GET {name:?}: stored verbatim");
        created.push(goal);
    }

    let response = send(app, Endpoint::ListGoals, &list(&[])).await;
    assert_eq!(response.status(), 200);
    let listed = json_of(&response)["goals"]
        .as_array()
        .expect("goals")
        .clone();
    assert_eq!(
        listed.len(),
        alice_before.len() + names.len(),
        "every goal is still there, and no other"
    );
    assert_eq!(&listed[alice_before.len()..], created.as_slice());

    let first = &created[0];
    let renamed_to = "🚀'; UPDATE goals SET completed = true; --";
    let renamed = update(first["id"].as_i64().unwrap(), &name_body(renamed_to));
    let response = send(app, Endpoint::UpdateGoal, &renamed).await;
    assert_eq!(response.status(), 200, "PATCH {renamed_to:?}");
    assert_eq!(json_of(&response)["name"], renamed_to);
    let (alice_after, _) = snapshot(app).await;
    assert_eq!(
        alice_after.iter().filter(|goal| goal.completed).count(),
        alice_before.iter().filter(|goal| goal.completed).count(),
        "no goal was completed by the name"
    );
}
