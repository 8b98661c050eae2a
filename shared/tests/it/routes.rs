//! The route table is the one list of endpoints: `functions/` must hold exactly one binary per
//! route (plus the functions no route serves), each route's binary serving that route's
//! endpoint, so a route added in one place and not the other fails.

use std::collections::BTreeSet;

use goal_tracker::routes::{FUNCTIONS_WITHOUT_ROUTE, ROUTES};

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
    let in_table: BTreeSet<String> = ROUTES
        .iter()
        .map(|route| route.function)
        .chain(FUNCTIONS_WITHOUT_ROUTE.iter().copied())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        function_dirs(),
        in_table,
        "functions/ and goal_tracker::routes (ROUTES, FUNCTIONS_WITHOUT_ROUTE) differ"
    );
}

#[test]
fn each_function_serves_the_endpoint_of_its_route() {
    for route in ROUTES {
        let main = testkit::workspace_root()
            .join("functions")
            .join(route.function)
            .join("src/main.rs");
        let source = std::fs::read_to_string(&main)
            .unwrap_or_else(|e| panic!("read {}: {e}", main.display()));
        let serves = format!("serve(Endpoint::{:?})", route.endpoint);
        assert!(
            source.contains(&serves),
            "{} should call {serves}",
            main.display()
        );
    }
}
