//! Drift between the route tables and `template.yaml`: the functions SAM builds must be exactly
//! the folders of `functions/`, the HTTP API's routes exactly `ROUTES` and the WebSocket API's
//! exactly `WS_ROUTES`, each wired to its route's function. A route or function added in one
//! place and not the others fails here. So does a CORS origin that is not the site's, fed by
//! terraform, and an API name terraform would no longer find for the site's CSP. The alarms on
//! the functions' own metrics watch names the code writes.

use std::collections::{BTreeMap, BTreeSet};

use goal_tracker::routes::{Endpoint, ROUTES};
use goal_tracker::websocket::WS_ROUTES;
use regex_automata::meta::Regex;
use serde_yaml::Value;

use crate::routes::function_dirs;
use testkit::template;

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

/// The template's resources of one type: logical id → the resource.
fn resources<'a>(template: &'a Value, kind: &str) -> BTreeMap<String, &'a Value> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, resource)| (id.as_str().expect("a logical id").to_owned(), resource))
        .collect()
}

/// The string of a `!Sub` tag, in either of its forms (a string, or `[string, variables]`).
fn sub_text(value: &Value) -> Option<&str> {
    let Value::Tagged(tagged) = value else {
        return None;
    };
    if tagged.tag != "!Sub" {
        return None;
    }
    tagged
        .value
        .as_str()
        .or_else(|| tagged.value.get(0).and_then(Value::as_str))
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

/// The WebSocket routes of `template.yaml`: route key → the binary its integration invokes
/// (route → `integrations/${Integration}` → the `!Ref <Function>.Alias` in its URI).
fn websocket_routes(template: &Value) -> BTreeMap<String, String> {
    let functions = functions(template);
    let integrations = resources(template, "AWS::ApiGatewayV2::Integration");
    resources(template, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .map(|(id, route)| {
            let properties = &route["Properties"];
            assert_eq!(
                ref_target(&properties["ApiId"]),
                Some("WebSocketApi"),
                "{id}: the route belongs to the WebSocket API"
            );
            let target = sub_text(&properties["Target"])
                .and_then(|t| t.strip_prefix("integrations/${"))
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{id}: Target is !Sub integrations/${{Integration}}"));
            let integration = integrations
                .get(target)
                .unwrap_or_else(|| panic!("{id}: no integration {target}"));
            let alias = match &integration["Properties"]["IntegrationUri"] {
                Value::Tagged(sub) if sub.tag == "!Sub" => {
                    sub.value.get(1).and_then(|vars| ref_target(&vars["Alias"]))
                }
                _ => None,
            }
            .unwrap_or_else(|| {
                panic!("{target}: IntegrationUri is !Sub [..., {{Alias: !Ref <Function>.Alias}}]")
            });
            let function_id = alias
                .strip_suffix(".Alias")
                .unwrap_or_else(|| panic!("{target}: {alias} is a function's .Alias"));
            let function = functions
                .get(function_id)
                .unwrap_or_else(|| panic!("{target}: no function {function_id}"));
            let key = properties["RouteKey"]
                .as_str()
                .expect("RouteKey")
                .to_owned();
            (key, binary(function_id, function))
        })
        .collect()
}

#[test]
fn template_websocket_routes_are_the_websocket_route_table() {
    let template = template();
    let in_table: BTreeMap<String, String> = WS_ROUTES
        .iter()
        .map(|route| (route.key.to_owned(), route.function.to_owned()))
        .collect();
    assert_eq!(
        websocket_routes(&template),
        in_table,
        "WebSocket routes (route key -> function) of template.yaml and WS_ROUTES differ"
    );
    assert_eq!(
        template["Resources"]["WebSocketApi"]["Properties"]["RouteSelectionExpression"],
        "$request.body.action"
    );
}

/// The REST functions that change goals push the change to the owner's connections: they, and
/// only they, get `WS_ENDPOINT` and `execute-api:ManageConnections`.
#[test]
fn only_the_writing_functions_may_push_to_websocket_connections() {
    let template = template();
    let writers: BTreeSet<&str> = ROUTES
        .iter()
        .filter(|route| {
            matches!(
                route.endpoint,
                Endpoint::CreateGoal | Endpoint::UpdateGoal | Endpoint::DeleteGoal
            )
        })
        .map(|route| route.function)
        .collect();
    for (id, function) in functions(&template) {
        let name = binary(&id, function);
        let properties = &function["Properties"];
        let endpoint = &properties["Environment"]["Variables"]["WS_ENDPOINT"];
        let manages = serde_yaml::to_string(&properties["Policies"])
            .expect("policies serialise")
            .contains("execute-api:ManageConnections");
        let writes = writers.contains(name.as_str());
        assert_eq!(
            sub_text(endpoint).is_some_and(|e| e.contains("${WebSocketApi}")),
            writes,
            "{id}: WS_ENDPOINT"
        );
        assert_eq!(manages, writes, "{id}: execute-api:ManageConnections");
    }
}

/// The functions API Gateway invokes: every route's, and the authorizer, which runs before them.
fn invoked_by_api_gateway() -> BTreeSet<&'static str> {
    ROUTES
        .iter()
        .map(|route| route.function)
        .chain(WS_ROUTES.iter().map(|route| route.function))
        .chain(["authorizer"])
        .collect()
}

/// The function a `!Ref <Function>.Alias` names.
fn alias_function<'a>(template: &'a Value, value: &Value) -> Option<(String, &'a Value)> {
    let id = ref_target(value)?.strip_suffix(".Alias")?;
    let function = &template["Resources"][id];
    (function["Type"] == "AWS::Serverless::Function").then(|| (binary(id, function), function))
}

#[test]
fn every_route_but_health_needs_an_api_key() {
    let template = template();
    let auth = &template["Resources"]["HttpApi"]["Properties"]["Auth"];
    let default = auth["DefaultAuthorizer"]
        .as_str()
        .expect("a default authorizer");
    let authorizer = &auth["Authorizers"][default];
    assert_eq!(
        alias_function(&template, &authorizer["FunctionArn"]).map(|(name, _)| name),
        Some("authorizer".to_owned()),
        "the HTTP API's default authorizer is the authorizer function"
    );
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(authorizer["EnableSimpleResponses"], true);

    for (id, function) in functions(&template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let properties = &event["Properties"];
            let open = properties["Auth"]["Authorizer"] == "NONE";
            let is_health = properties["Method"] == "GET" && properties["Path"] == "/health";
            assert_eq!(open, is_health, "{id}: only GET /health is open");
        }
    }

    let websocket = resources(&template, "AWS::ApiGatewayV2::Route");
    for (id, route) in websocket {
        let properties = &route["Properties"];
        if properties["RouteKey"] != "$connect" {
            // API Gateway authorizes a WebSocket connection once, at $connect.
            assert_eq!(properties["AuthorizationType"], "NONE", "{id}");
            continue;
        }
        assert_eq!(properties["AuthorizationType"], "CUSTOM", "{id}");
        let authorizer_id = ref_target(&properties["AuthorizerId"]).expect("AuthorizerId");
        let authorizer = &template["Resources"][authorizer_id]["Properties"];
        assert_eq!(
            authorizer["IdentitySource"][0], "route.request.querystring.api_key",
            "browsers send the key in the query string"
        );
        let uri_alias = match &authorizer["AuthorizerUri"] {
            Value::Tagged(sub) => sub.value.get(1).map(|vars| &vars["Alias"]),
            _ => None,
        };
        assert_eq!(
            uri_alias
                .and_then(|alias| alias_function(&template, alias))
                .map(|(name, _)| name),
            Some("authorizer".to_owned()),
            "$connect is authorized by the authorizer function"
        );
    }
}

/// `api-keys` is reached through IAM only: no event source, no resource-based permission.
#[test]
fn the_api_keys_function_has_no_way_in_but_iam() {
    let template = template();
    let functions = functions(&template);
    let (id, function) = functions
        .iter()
        .find(|(id, function)| binary(id, function) == "api-keys")
        .expect("an api-keys function");
    assert!(
        function["Properties"]["Events"].is_null(),
        "{id}: no event source"
    );
    for (permission, resource) in resources(&template, "AWS::Lambda::Permission") {
        let target = &resource["Properties"]["FunctionName"];
        let names_it = ref_target(target)
            .is_some_and(|t| t.strip_suffix(".Alias").unwrap_or(t) == id.as_str());
        assert!(!names_it, "{permission} lets someone invoke {id}");
    }
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
        if !invoked_by_api_gateway().contains(name.as_str()) {
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

/// The HTTP API's CORS allows one origin, the `SiteOrigin` parameter, which admits exactly one
/// https origin (no list, no wildcard, no path) and which terraform feeds with the CloudFront
/// distribution's origin.
#[test]
fn the_http_apis_cors_allows_exactly_the_site_origin() {
    let template = template();
    let origins = template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
        ["AllowOrigins"]
        .as_sequence()
        .expect("HttpApi: CorsConfiguration.AllowOrigins is a list");
    let targets: Vec<_> = origins.iter().map(ref_target).collect();
    assert_eq!(
        targets,
        [Some("SiteOrigin")],
        "AllowOrigins: [!Ref SiteOrigin]"
    );

    let parameter = &template["Parameters"]["SiteOrigin"];
    assert_eq!(
        parameter["Type"], "String",
        "SiteOrigin: one origin, not a list"
    );
    let pattern = parameter["AllowedPattern"]
        .as_str()
        .expect("SiteOrigin: an AllowedPattern");
    // CloudFormation matches AllowedPattern against the whole value.
    let pattern = Regex::new(&format!("^(?:{pattern})$")).expect("AllowedPattern is a regex");
    for origin in [
        "https://d1234abcd.cloudfront.net",
        "https://goals.example.com:8443",
    ] {
        assert!(pattern.is_match(origin), "SiteOrigin admits {origin}");
    }
    for not_one_origin in [
        "*",
        "https://*.cloudfront.net",
        "http://d1234abcd.cloudfront.net",
        "https://d1234abcd.cloudfront.net/",
        "https://a.cloudfront.net,https://b.cloudfront.net",
        "",
    ] {
        assert!(
            !pattern.is_match(not_one_origin),
            "SiteOrigin refuses {not_one_origin:?}"
        );
    }

    let overrides = testkit::repo_file("terraform/outputs.tf");
    assert!(
        overrides.contains("\"SiteOrigin=${module.frontend.origin}\""),
        "terraform's sam_parameter_overrides sets SiteOrigin to the distribution's origin"
    );
}

/// terraform finds the stack's two APIs by name (`<stack>-http`, `<stack>-ws`) to put exactly
/// their origins in the site's `connect-src`: renaming one here would silently drop it there.
#[test]
fn terraform_finds_the_apis_by_the_names_the_template_gives_them() {
    let template = template();
    let platform = testkit::repo_file("terraform/main.tf");
    for (api, suffix) in [("HttpApi", "-http"), ("WebSocketApi", "-ws")] {
        assert_eq!(
            sub_text(&template["Resources"][api]["Properties"]["Name"]),
            Some(format!("${{AWS::StackName}}{suffix}").as_str()),
            "{api}: Name"
        );
        assert!(
            platform.contains(&format!("\"${{local.name}}{suffix}\"")),
            "terraform/main.tf looks up the API named ${{local.name}}{suffix}"
        );
    }
}

/// The alarms on the functions' own metrics watch what the code writes: the namespace, the
/// metric names of `goal_tracker::metrics`, the stack's `Stack` dimension; and an operator
/// hears of 5xx answers, failed pushes and an unreachable database.
#[test]
fn the_metric_alarms_watch_what_the_functions_emit() {
    use goal_tracker::metrics::{DATABASE_UNAVAILABLE, NAMESPACE, PUSHES, REQUESTS_BY_STATUS};

    let template = template();
    let mut watched = BTreeSet::new();
    for (id, alarm) in resources(&template, "AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        let metrics: Vec<&Value> = match properties["Metrics"].as_sequence() {
            Some(queries) => queries
                .iter()
                .filter_map(|query| query["MetricStat"].get("Metric"))
                .collect(),
            None => vec![properties],
        };
        for metric in metrics {
            if metric["Namespace"] != NAMESPACE {
                continue;
            }
            let name = metric["MetricName"].as_str().expect("MetricName");
            assert!(
                [REQUESTS_BY_STATUS, PUSHES, DATABASE_UNAVAILABLE].contains(&name),
                "{id}: {name} is not a metric the functions write"
            );
            let stack = metric["Dimensions"]
                .as_sequence()
                .and_then(|dimensions| dimensions.iter().find(|d| d["Name"] == "Stack"));
            assert_eq!(
                stack.and_then(|d| ref_target(&d["Value"])),
                Some("AWS::StackName"),
                "{id}: {name} is this stack's (Stack = the stack name)"
            );
            assert_eq!(
                ref_target(&properties["AlarmActions"][0]),
                Some("AlarmTopicArn"),
                "{id}: notifies the alarm topic"
            );
            watched.insert((id.clone(), name.to_owned()));
        }
    }
    for name in [REQUESTS_BY_STATUS, PUSHES, DATABASE_UNAVAILABLE] {
        assert!(
            watched.iter().any(|(_, watched)| watched == name),
            "no alarm watches {name}"
        );
    }
    let stack_name = &template["Globals"]["Function"]["Environment"]["Variables"]["STACK_NAME"];
    assert_eq!(
        ref_target(stack_name),
        Some("AWS::StackName"),
        "every function writes its metrics with the stack's name"
    );
}
