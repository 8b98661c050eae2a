//! The route tables are the one list of endpoints: `functions/` must hold exactly one binary
//! per REST route and per WebSocket route, serving that route, plus the functions no route
//! serves, so a route added in one place and not the other fails.

use std::collections::BTreeSet;

use goal_tracker::routes::{FUNCTIONS_WITHOUT_ROUTE, ROUTES};
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
    let functions = ROUTES
        .iter()
        .map(|route| route.function)
        .chain(WS_ROUTES.iter().map(|route| route.function))
        .chain(FUNCTIONS_WITHOUT_ROUTE.iter().copied());
    let in_tables: BTreeSet<String> = functions.clone().map(str::to_owned).collect();
    assert_eq!(
        in_tables.len(),
        functions.count(),
        "a function serves one route"
    );
    assert_eq!(
        function_dirs(),
        in_tables,
        "functions/ and the route tables (routes::ROUTES, websocket::WS_ROUTES, routes::FUNCTIONS_WITHOUT_ROUTE) differ"
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
