//! The Lambda REQUEST authorizer: turns a presented API key into its owner, or refuses.
//!
//! - HTTP API (payload format 2.0, simple response): the key comes in `Authorization: Bearer …`
//!   or `X-API-Key: …`; the answer is `{"isAuthorized": …, "context": {"owner": …}}`, which API
//!   Gateway hands the functions as `requestContext.authorizer.lambda.owner`.
//! - WebSocket API `$connect` (IAM policy response): browsers cannot set headers on a WebSocket,
//!   so the key comes in the `api_key` query parameter; the answer allows or denies
//!   `execute-api:Invoke` on the method ARN, with `owner` in the context.
//!
//! The same [`Authorizer`] runs in the `authorizer` function and in the local gateway. A warm
//! environment remembers the owner of a valid key for a short TTL ([`KeyCache`]), so a revoked
//! key stops working within that TTL. Keys are never logged: only whether one was presented,
//! and the owner it belongs to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_http::http::{header, HeaderMap};
use serde_json::{json, Value};

use crate::config::ConfigError;
use crate::domain::Owner;
use crate::keys::KeyHash;
use crate::metrics::{self, AUTHORIZER};
use crate::store::{KeyStore, StoreError};

/// The header besides `Authorization: Bearer …` that carries a key.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The query parameter that carries a key on a WebSocket connect.
pub const API_KEY_QUERY_PARAMETER: &str = "api_key";
/// How long a warm environment trusts a key it has checked, unless `AUTH_CACHE_TTL_SECONDS`
/// says otherwise: also the longest a revoked key keeps working.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
/// The most keys one environment remembers; past that the cache starts over.
const CACHE_CAPACITY: usize = 10_000;

/// `AUTH_CACHE_TTL_SECONDS` (whole seconds; 0 turns the cache off), else [`DEFAULT_CACHE_TTL`].
pub fn cache_ttl_from_env() -> Result<Duration, ConfigError> {
    match std::env::var("AUTH_CACHE_TTL_SECONDS") {
        Ok(raw) if !raw.trim().is_empty() => {
            raw.trim()
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| ConfigError::Invalid {
                    name: "AUTH_CACHE_TTL_SECONDS",
                    reason: "expected a whole number of seconds".into(),
                })
        }
        _ => Ok(DEFAULT_CACHE_TTL),
    }
}

/// Owners of recently checked keys, by key hash (the key itself is not kept), for a TTL.
/// Only valid keys are remembered: an unknown key is looked up every time, so a key issued a
/// moment ago works at once, and nobody can fill the cache with garbage.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<KeyHash, (Owner, Instant)>>,
}

impl KeyCache {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, hash: &KeyHash) -> Option<Owner> {
        let entries = self.entries.lock().ok()?;
        let (owner, checked) = entries.get(hash)?;
        (checked.elapsed() < self.ttl).then(|| owner.clone())
    }

    fn put(&self, hash: KeyHash, owner: Owner) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_CAPACITY {
                let ttl = self.ttl;
                entries.retain(|_, (_, checked)| checked.elapsed() < ttl);
                if entries.len() >= CACHE_CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(hash, (owner, Instant::now()));
        }
    }
}

/// Where an owner came from, for the log line of each decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Database,
}

/// Checks presented keys against the key store.
pub struct Authorizer {
    keys: Arc<dyn KeyStore>,
    cache: KeyCache,
}

impl Authorizer {
    /// An authorizer whose cache keeps an owner for `cache_ttl` (zero: no cache).
    pub fn new(keys: Arc<dyn KeyStore>, cache_ttl: Duration) -> Self {
        Self {
            keys,
            cache: KeyCache::new(cache_ttl),
        }
    }

    /// The owner of a presented key, or `None` for no key, a malformed, unknown or revoked one.
    /// Fails only when the store does.
    pub async fn authorize(&self, presented: Option<&str>) -> Result<Option<Owner>, StoreError> {
        Ok(self
            .authorize_traced(presented)
            .await?
            .map(|(owner, _)| owner))
    }

    /// [`Authorizer::authorize`], also saying whether the cache answered. Each decision is
    /// counted and timed as a request of the `authorizer` function: allowed is 2xx, denied 4xx,
    /// undecided (the store failed) 5xx.
    pub async fn authorize_traced(
        &self,
        presented: Option<&str>,
    ) -> Result<Option<(Owner, Source)>, StoreError> {
        let started = Instant::now();
        let decision = self.decide(presented).await;
        let status = match &decision {
            Ok(Some(_)) => 200,
            Ok(None) => 401,
            Err(_) => 500,
        };
        metrics::request(AUTHORIZER, status, started.elapsed());
        decision
    }

    async fn decide(&self, presented: Option<&str>) -> Result<Option<(Owner, Source)>, StoreError> {
        let Some(presented) = presented else {
            tracing::info!(reason = "no key", "denied");
            return Ok(None);
        };
        let Some(hash) = KeyHash::of_presented(presented) else {
            tracing::info!(reason = "malformed key", "denied");
            return Ok(None);
        };
        if let Some(owner) = self.cache.get(&hash) {
            // Most requests end here: a line each at INFO costs every request a JSON log line
            // that says nothing the database lookup's line did not.
            tracing::debug!(owner = owner.as_str(), source = "cache", "allowed");
            return Ok(Some((owner, Source::Cache)));
        }
        match self.keys.key_owner(&hash).await? {
            Some(owner) => {
                self.cache.put(hash, owner.clone());
                tracing::info!(owner = owner.as_str(), source = "database", "allowed");
                Ok(Some((owner, Source::Database)))
            }
            None => {
                tracing::info!(reason = "unknown or revoked key", "denied");
                Ok(None)
            }
        }
    }

    /// The HTTP API's question, answered in the simple response format.
    pub async fn http(
        &self,
        event: &ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, StoreError> {
        let owner = self.authorize(key_from_headers(&event.headers)).await?;
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        response.is_authorized = owner.is_some();
        response.context = owner_context(owner.as_ref());
        Ok(response)
    }

    /// The WebSocket API's `$connect` question, answered with an IAM policy on the method ARN.
    pub async fn websocket(
        &self,
        event: &ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<ApiGatewayV2CustomAuthorizerIamPolicyResponse, StoreError> {
        let presented = event.query_string_parameters.first(API_KEY_QUERY_PARAMETER);
        let owner = self.authorize(presented).await?;
        let mut statement = IamPolicyStatement::default();
        statement.action = vec!["execute-api:Invoke".to_owned()];
        statement.effect = if owner.is_some() {
            IamPolicyEffect::Allow
        } else {
            IamPolicyEffect::Deny
        };
        statement.resource = vec![event.method_arn.clone().unwrap_or_else(|| "*".to_owned())];
        let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
        policy.version = Some("2012-10-17".to_owned());
        policy.statement = vec![statement];
        let mut response = ApiGatewayV2CustomAuthorizerIamPolicyResponse::default();
        response.principal_id = Some(owner.as_ref().map_or("anonymous", Owner::as_str).to_owned());
        response.policy_document = policy;
        response.context = owner_context(owner.as_ref());
        Ok(response)
    }

    /// Either event, told apart as API Gateway sends them: HTTP API events have
    /// `"version": "2.0"`, WebSocket REQUEST authorizer events a `methodArn`.
    pub async fn handle_event(&self, event: Value) -> Result<Value, AuthorizerError> {
        if event.get("version").and_then(Value::as_str) == Some("2.0") {
            let event: ApiGatewayV2CustomAuthorizerV2Request =
                serde_json::from_value(event).map_err(|_| AuthorizerError::UnknownEvent)?;
            Ok(serde_json::to_value(self.http(&event).await?).unwrap_or_default())
        } else if event.get("methodArn").is_some() {
            let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
                serde_json::from_value(event).map_err(|_| AuthorizerError::UnknownEvent)?;
            Ok(serde_json::to_value(self.websocket(&event).await?).unwrap_or_default())
        } else {
            Err(AuthorizerError::UnknownEvent)
        }
    }
}

/// Why the authorizer could not decide. API Gateway answers the client with a 500 then:
/// refusing a valid key because the database is down would look like a revocation.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizerError {
    #[error("not an API Gateway HTTP API (2.0) or WebSocket REQUEST authorizer event")]
    UnknownEvent,
    #[error("the key store is unavailable")]
    Store(#[from] StoreError),
}

fn owner_context(owner: Option<&Owner>) -> Value {
    match owner {
        Some(owner) => json!({ "owner": owner.as_str() }),
        None => json!({}),
    }
}

/// The key in `Authorization: Bearer …` (scheme in any case) or in `X-API-Key`. An
/// `Authorization` header of another form, or both headers with different values, count as no
/// key: ambiguous credentials are refused rather than guessed between.
pub fn key_from_headers(headers: &HeaderMap) -> Option<&str> {
    let text = |name| headers.get(name).map(|v| v.to_str().ok().map(str::trim));
    let bearer = text(header::AUTHORIZATION.as_str()).map(|authorization| {
        let (scheme, credentials) = authorization?.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| credentials.trim())
    });
    match (bearer, text(API_KEY_HEADER)) {
        (None, None) => None,
        (Some(bearer), None) => bearer,
        (None, Some(api_key)) => api_key,
        (Some(bearer), Some(api_key)) => bearer.filter(|key| Some(*key) == api_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn a_key_comes_from_a_bearer_authorization_or_an_x_api_key_header() {
        let cases = [
            (vec![("authorization", "Bearer gt_abc")], Some("gt_abc")),
            (vec![("authorization", "bearer  gt_abc ")], Some("gt_abc")),
            (vec![("x-api-key", "gt_abc")], Some("gt_abc")),
            (vec![("authorization", "Basic Zm9vOmJhcg==")], None),
            (vec![("authorization", "gt_abc")], None),
            (
                vec![("authorization", "Bearer gt_a"), ("x-api-key", "gt_b")],
                None,
            ),
            (
                vec![("authorization", "Bearer gt_a"), ("x-api-key", "gt_a")],
                Some("gt_a"),
            ),
            (
                vec![("authorization", "Basic Zm9v"), ("x-api-key", "gt_a")],
                None,
            ),
            (vec![], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                key_from_headers(&headers(&pairs)),
                expected,
                "headers {pairs:?}"
            );
        }
    }
}
