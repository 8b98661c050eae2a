//! The route table is the one list of endpoints: `functions/` must hold exactly one binary per
//! route, serving that route's endpoint, and the listed others (authorizer, api-keys), so a
//! route added in one place and not the other fails.

use std::collections::BTreeSet;

use goal_tracker::routes::{OTHER_FUNCTIONS, ROUTES};

#[test]
fn functions_folder_holds_exactly_one_binary_per_route() {
    let functions_dir = testkit::workspace_root().join("functions");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&functions_dir)
        .expect("functions/ exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let in_table: BTreeSet<String> = ROUTES
        .iter()
        .map(|route| route.function)
        .chain(OTHER_FUNCTIONS.iter().copied())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        on_disk, in_table,
        "functions/ and goal_tracker::routes::{{ROUTES, OTHER_FUNCTIONS}} differ"
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
