//! Authorization in the local gateway, where API Gateway runs the Lambda authorizer: after the
//! route is matched, before the function is invoked (for a WebSocket, before `$connect`), with
//! the same [`Authorizer`] code.
//!
//! Missing, malformed, unknown or revoked keys are a 401 `unauthorized`, as the functions
//! answer a request that reaches them without an owner; the key store being down is a 503.
//! A first start on an empty key table issues a dev key and prints it once.

use axum::http::request::Parts;
use axum::http::HeaderMap;
use goal_tracker::authorizer::{key_from_headers, Authorizer, API_KEY_QUERY_PARAMETER};
use goal_tracker::domain::Owner;
use goal_tracker::error::ApiError;
use goal_tracker::keys::{self, ApiKey};
use goal_tracker::store::KeyStore;

/// The owner of the key in `Authorization: Bearer …` or `X-API-Key`, or the error to answer.
pub async fn owner_from_headers(
    authorizer: &Authorizer,
    headers: &HeaderMap,
) -> Result<Owner, ApiError> {
    authorize(authorizer, key_from_headers(headers)).await
}

/// The owner of the key in the `api_key` query parameter (a WebSocket connect), or the error
/// to answer on the upgrade request.
pub async fn owner_from_query(authorizer: &Authorizer, parts: &Parts) -> Result<Owner, ApiError> {
    let query = parts.uri.query().unwrap_or_default();
    let key = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == API_KEY_QUERY_PARAMETER)
        .map(|(_, value)| value.into_owned());
    authorize(authorizer, key.as_deref()).await
}

/// The owner of a presented key (from wherever the protocol carries it), or the error to answer.
pub async fn authorize(
    authorizer: &Authorizer,
    presented: Option<&str>,
) -> Result<Owner, ApiError> {
    authorizer
        .authorize(presented)
        .await
        .map_err(|e| ApiError::from(e.unavailable()))?
        .ok_or(ApiError::Unauthorized)
}

/// Issues a key for `dev_owner` when no key was ever issued, so a newcomer's first
/// `cargo run -p local` hands them a working key. `None` when keys exist already.
pub async fn ensure_dev_key(
    store: &dyn KeyStore,
    dev_owner: &str,
) -> anyhow::Result<Option<ApiKey>> {
    if store.any_keys().await? {
        return Ok(None);
    }
    let owner =
        Owner::parse(dev_owner).map_err(|e| anyhow::anyhow!("DEV_OWNER is invalid: {e}"))?;
    let (key, _) = keys::issue(store, &owner).await?;
    Ok(Some(key))
}
