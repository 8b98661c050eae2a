//! Drift between the route table and `template.yaml`: the functions SAM builds must be exactly
//! the folders of `functions/`, and the HTTP API's routes exactly `ROUTES`, each wired to its
//! route's function. A route or function added in one place and not the others fails here.

use std::collections::{BTreeMap, BTreeSet};

use goal_tracker::routes::{FUNCTIONS_WITHOUT_ROUTE, ROUTES};
use serde_yaml::Value;

use crate::routes::function_dirs;

/// `template.yaml`, parsed; CloudFormation's short tags stay as tagged values.
fn template() -> Value {
    let path = testkit::workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("template.yaml exists");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

/// The template's `AWS::Serverless::Function`s: logical id → the resource.
fn functions(template: &Value) -> BTreeMap<String, &Value> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(id, resource)| (id.as_str().expect("a logical id").to_owned(), resource))
        .collect()
}

/// The binary a function resource is built from (`Metadata.BuildProperties.Binary`).
fn binary(id: &str, function: &Value) -> String {
    assert_eq!(
        function["Metadata"]["BuildMethod"], "rust-cargolambda",
        "{id}: BuildMethod"
    );
    function["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: Metadata.BuildProperties.Binary"))
        .to_owned()
}

/// A `!Ref X` tag's target.
fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => tagged.value.as_str(),
        _ => None,
    }
}

#[test]
fn template_functions_are_the_functions_folder() {
    let template = template();
    let built: BTreeSet<String> = functions(&template)
        .iter()
        .map(|(id, function)| binary(id, function))
        .collect();
    assert_eq!(
        built,
        function_dirs(),
        "the functions of template.yaml and the folders of functions/ differ"
    );
}

#[test]
fn template_http_routes_are_the_route_table() {
    let template = template();
    let mut in_template = BTreeMap::new();
    for (id, function) in functions(&template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let properties = &event["Properties"];
            assert_eq!(
                ref_target(&properties["ApiId"]),
                Some("HttpApi"),
                "{id}.{name:?}: the route belongs to the HttpApi resource"
            );
            let key = format!(
                "{} {}",
                properties["Method"].as_str().expect("Method"),
                properties["Path"].as_str().expect("Path")
            );
            let previous = in_template.insert(key.clone(), binary(&id, function));
            assert!(previous.is_none(), "{key} is wired twice");
        }
    }
    let in_table: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|route| (route.key(), route.function.to_owned()))
        .collect();
    assert_eq!(
        in_template, in_table,
        "HTTP routes (method path -> function) of template.yaml and ROUTES differ"
    );
}

#[test]
fn every_routed_function_deploys_gradually_behind_the_migrate_hook() {
    let template = template();
    let functions = functions(&template);
    let migrate_id = functions
        .iter()
        .find(|(id, function)| binary(id, function) == "migrate")
        .map(|(id, _)| id.clone())
        .expect("a migrate function");
    for (id, function) in &functions {
        let name = binary(id, function);
        let properties = &function["Properties"];
        assert!(
            ref_target(&properties["LoggingConfig"]["LogGroup"]).is_some(),
            "{id}: logs to its own log group (with retention)"
        );
        assert!(
            properties["Policies"].is_sequence(),
            "{id}: has its own policy"
        );
        if FUNCTIONS_WITHOUT_ROUTE.contains(&name.as_str()) {
            continue;
        }
        let preference = &properties["DeploymentPreference"];
        assert_eq!(
            ref_target(&preference["Hooks"]["PreTraffic"]),
            Some(migrate_id.as_str()),
            "{id}: migrations run before its new version takes traffic"
        );
        assert!(
            preference["Alarms"]
                .as_sequence()
                .is_some_and(|alarms| !alarms.is_empty()),
            "{id}: an alarm rolls its deployment back"
        );
    }
}
