//! The route table, written once: each REST route, its Lambda function, and its handler.
//! The local gateway routes with it; tests check it against `functions/` and `template.yaml`.

use lambda_http::http::Method;

/// One REST endpoint: one route, one Lambda function, one handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Health,
    ListGoals,
    CreateGoal,
    GetGoal,
    UpdateGoal,
    DeleteGoal,
}

impl Endpoint {
    /// The endpoint's route in [`ROUTES`].
    pub fn route(self) -> &'static Route {
        ROUTES
            .iter()
            .find(|route| route.endpoint == self)
            .expect("every endpoint has a route in ROUTES")
    }
}

/// A route of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub endpoint: Endpoint,
    pub method: Method,
    /// The path in API Gateway's syntax: `{name}` is a path parameter.
    pub path: &'static str,
    /// The Lambda function (and binary, and `functions/` folder) that serves it.
    pub function: &'static str,
}

impl Route {
    /// API Gateway's `routeKey`, e.g. `GET /goals/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every REST route.
pub const ROUTES: &[Route] = &[
    route(Endpoint::Health, Method::GET, "/health", "health"),
    route(Endpoint::ListGoals, Method::GET, "/goals", "list-goals"),
    route(Endpoint::CreateGoal, Method::POST, "/goals", "create-goal"),
    route(Endpoint::GetGoal, Method::GET, "/goals/{id}", "get-goal"),
    route(
        Endpoint::UpdateGoal,
        Method::PATCH,
        "/goals/{id}",
        "update-goal",
    ),
    route(
        Endpoint::DeleteGoal,
        Method::DELETE,
        "/goals/{id}",
        "delete-goal",
    ),
];

const fn route(
    endpoint: Endpoint,
    method: Method,
    path: &'static str,
    function: &'static str,
) -> Route {
    Route {
        endpoint,
        method,
        path,
        function,
    }
}

/// The functions that serve no REST route: they take other events.
pub const OTHER_FUNCTIONS: &[&str] = &[
    // API Gateway calls it before a route's function (HTTP API and WebSocket `$connect`).
    "authorizer",
    // Issues, lists and revokes API keys; reached through IAM only.
    "api-keys",
    // Applies the migrations: CodeDeploy's PreTraffic hook and the deploy pipeline invoke it.
    "migrate",
];

/// What the table says of a request.
#[derive(Debug, PartialEq)]
pub enum RouteMatch<'a> {
    /// The route, with its path parameters.
    Found(&'a Route, Vec<(&'static str, String)>),
    /// The path exists, not with this method; the methods it has.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

/// Finds the route for a method and path, as API Gateway would.
pub fn match_route(method: &Method, path: &str) -> RouteMatch<'static> {
    let mut allowed = Vec::new();
    for route in ROUTES {
        let Some(params) = match_path(route.path, path) else {
            continue;
        };
        if route.method == method {
            return RouteMatch::Found(route, params);
        }
        allowed.push(route.method.clone());
    }
    if allowed.is_empty() {
        RouteMatch::NotFound
    } else {
        RouteMatch::MethodNotAllowed(allowed)
    }
}

fn match_path(template: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut template_segments = template.split('/');
    let mut path_segments = path.split('/');
    let mut params = Vec::new();
    loop {
        match (template_segments.next(), path_segments.next()) {
            (None, None) => return Some(params),
            (Some(expected), Some(actual)) => {
                if let Some(name) = expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push((name, actual.to_owned()));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_parameter_is_captured() {
        let RouteMatch::Found(route, params) = match_route(&Method::PATCH, "/goals/42") else {
            panic!("no match");
        };
        assert_eq!(route.endpoint, Endpoint::UpdateGoal);
        assert_eq!(params, vec![("id", "42".to_owned())]);
    }

    #[test]
    fn a_known_path_with_another_method_is_not_allowed() {
        assert_eq!(
            match_route(&Method::PUT, "/goals"),
            RouteMatch::MethodNotAllowed(vec![Method::GET, Method::POST])
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in ["/", "/goal", "/goals/", "/goals/1/extra", "/health/", ""] {
            assert_eq!(
                match_route(&Method::GET, path),
                RouteMatch::NotFound,
                "path {path:?}"
            );
        }
    }

    #[test]
    fn every_endpoint_finds_its_own_route() {
        for route in ROUTES {
            assert_eq!(route.endpoint.route(), route, "{:?}", route.endpoint);
        }
    }

    #[test]
    fn every_route_has_its_own_function() {
        let mut functions: Vec<_> = ROUTES.iter().map(|r| r.function).collect();
        functions.sort_unstable();
        functions.dedup();
        assert_eq!(functions.len(), ROUTES.len());
    }
}
