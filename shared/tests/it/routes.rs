//! The route tables are the one list of endpoints: `functions/` must hold exactly one binary
//! per REST route and per WebSocket route, serving that route, and the listed others
//! (authorizer, api-keys, migrate), so a route added in one place and not the other fails.

use std::collections::BTreeSet;

use goal_tracker::routes::{OTHER_FUNCTIONS, ROUTES};
use goal_tracker::websocket::WS_ROUTES;

/// The folder names in `functions/`.
pub fn function_dirs() -> BTreeSet<String> {
    let functions_dir = testkit::workspace_root().join("functions");
    std::fs::read_dir(&functions_dir)
        .expect("functions/ exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn functions_folder_holds_exactly_one_binary_per_route() {
    let on_disk = function_dirs();
    let functions = ROUTES
        .iter()
        .map(|route| route.function)
        .chain(WS_ROUTES.iter().map(|route| route.function))
        .chain(OTHER_FUNCTIONS.iter().copied());
    let in_tables: BTreeSet<String> = functions.clone().map(str::to_owned).collect();
    assert_eq!(
        in_tables.len(),
        functions.count(),
        "a function serves one route"
    );
    assert_eq!(
        on_disk, in_tables,
        "functions/ and the function lists (routes::ROUTES, websocket::WS_ROUTES, routes::OTHER_FUNCTIONS) differ"
    );
}

#[test]
fn each_function_serves_its_route() {
    let rest = ROUTES.iter().map(|route| {
        (
            route.function,
            format!("serve(Endpoint::{:?})", route.endpoint),
        )
    });
    let websocket = WS_ROUTES.iter().map(|route| {
        (
            route.function,
            format!("serve_websocket(WsRoute::{:?})", route.route),
        )
    });
    for (function, serves) in rest.chain(websocket) {
        let main = testkit::workspace_root()
            .join("functions")
            .join(function)
            .join("src/main.rs");
        let source = std::fs::read_to_string(&main)
            .unwrap_or_else(|e| panic!("read {}: {e}", main.display()));
        assert!(
            source.contains(&serves),
            "{} should call {serves}",
            main.display()
        );
    }
}
