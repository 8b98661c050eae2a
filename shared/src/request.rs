//! Reading an API Gateway request: the owner from the authorizer context, the path id, the
//! page query and a JSON body, each refused with its documented error when it is not right.

use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::domain::{Cursor, GoalId, Owner, PageLimit, ValidationError};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, IDEMPOTENCY_KEY_HEADER};

/// The largest request body a write accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The owner the authorizer put at `requestContext.authorizer.lambda.owner`.
pub fn owner(req: &Request) -> Result<Owner, ApiError> {
    let Some(RequestContext::ApiGatewayV2(context)) = req.request_context_ref() else {
        return Err(ApiError::Unauthorized);
    };
    context
        .authorizer
        .as_ref()
        .and_then(|authorizer| authorizer.fields.get("owner"))
        .and_then(|owner| owner.as_str())
        .and_then(Owner::new)
        .ok_or(ApiError::Unauthorized)
}

/// The `{id}` path parameter.
pub fn goal_id(req: &Request) -> Result<GoalId, ApiError> {
    let raw = req
        .path_parameters_ref()
        .and_then(|params| params.first("id"))
        .unwrap_or_default();
    Ok(GoalId::parse(raw)?)
}

/// The `Idempotency-Key` header, if sent; a value that is not a valid key is a 400.
pub fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .map_err(|_| ValidationError::InvalidIdempotencyKey)?;
    Ok(Some(IdempotencyKey::parse(raw)?))
}

/// `?limit=…&cursor=…` of a list request.
pub fn page_query(req: &Request) -> Result<(Option<Cursor>, PageLimit), ApiError> {
    let query = req.query_string_parameters_ref();
    let param = |name| query.and_then(|q| q.first(name));
    let cursor = param("cursor").map(Cursor::decode).transpose()?;
    let limit = param("limit")
        .map(PageLimit::parse)
        .transpose()?
        .unwrap_or_default();
    Ok((cursor, limit))
}

/// The body as JSON of type `T`: size first (nothing large is read further), then media type,
/// encoding and syntax (`malformed_json`), then shape (`validation_failed`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if bytes.is_empty() {
        return Err(ApiError::MalformedJson(
            "a JSON request body is required".into(),
        ));
    }
    if !is_json_media_type(req) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::MalformedJson("request body is not valid UTF-8".into()))?;
    let malformed = |e: serde_json::Error| {
        ApiError::MalformedJson(format!("request body is not valid JSON: {e}"))
    };
    // serde would also read a struct from an array of its fields; the contract's bodies are objects.
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => ApiError::Validation("request body must be a JSON object".into()),
            Err(e) => malformed(e),
        });
    }
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::Validation(e.to_string()),
        _ => malformed(e),
    })
}

/// `application/json` or a `+json` type such as `application/merge-patch+json`, any parameters.
fn is_json_media_type(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
