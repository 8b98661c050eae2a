//! The REST handlers: parse, validate into domain types, call the store, respond.
//! The same functions serve Lambda, the local gateway and the tests.

use std::sync::Arc;
use std::time::Instant;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::config::{Config, InitError};
use crate::domain::{
    CreateGoalRequest, Goal, GoalEvent, GoalPatch, NewGoal, Owner, UpdateGoalRequest,
};
use crate::error::{json_response, ApiError};
use crate::idempotency::{Fingerprint, IdempotentOutcome, IdempotentRequest, REPLAYED_HEADER};
use crate::metrics;
use crate::push::Notifier;
use crate::request::{goal_id, idempotency_key, json_body, owner, page_query};
use crate::routes::Endpoint;
use crate::store::{self, Store, StoreError};

/// What the handlers share: built once at init, borrowed by every request.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// Where goal changes go: the owner's WebSocket connections.
    pub notifier: Notifier,
}

impl App {
    /// Resolves the database (fetching its secret when configured so) and builds the store,
    /// and the notifier when `WS_ENDPOINT` is set.
    pub async fn from_config(
        config: &Config,
        default_max_connections: u32,
    ) -> Result<Self, InitError> {
        let database = config.database().await?;
        let max_connections = config.max_connections.unwrap_or(default_max_connections);
        let notifier = match &config.ws_endpoint {
            Some(endpoint) => Notifier::for_endpoint(endpoint),
            None => Notifier::default(),
        };
        Ok(Self {
            store: store::connect(database, max_connections),
            notifier,
        })
    }

    /// Tells the owner's connections about a change. Returns once they have been told, or
    /// the push deadline has passed; never fails.
    async fn publish(&self, owner: &Owner, event: GoalEvent) {
        self.notifier.publish(&*self.store, owner, &event).await;
    }
}

/// Serves one request for `endpoint`. Never fails: every error becomes its JSON response.
/// Each request is counted and timed under its function's name (see [`metrics`]).
#[tracing::instrument(name = "request", skip_all, fields(endpoint = ?endpoint, method = %req.method()))]
pub async fn handle(app: &App, endpoint: Endpoint, req: Request) -> Response<Body> {
    let started = Instant::now();
    let result = match endpoint {
        Endpoint::Health => health(app).await,
        Endpoint::ListGoals => list_goals(app, &req).await,
        Endpoint::CreateGoal => create_goal(app, &req).await,
        Endpoint::GetGoal => get_goal(app, &req).await,
        Endpoint::UpdateGoal => update_goal(app, &req).await,
        Endpoint::DeleteGoal => delete_goal(app, &req).await,
    };
    let response = result.unwrap_or_else(ApiError::into_response);
    let status = response.status().as_u16();
    metrics::request(endpoint.route().function, status, started.elapsed());
    tracing::info!(status, "responded");
    response
}

async fn health(app: &App) -> Result<Response<Body>, ApiError> {
    // Any failure to answer, not only a refused connection, makes the database unavailable.
    app.store.ping().await.map_err(StoreError::unavailable)?;
    Ok(json_response(StatusCode::OK, &json!({ "status": "ok" })))
}

async fn list_goals(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let owner = owner(req)?;
    let (cursor, limit) = page_query(req)?;
    let page = store::list_page(app.store.as_ref(), &owner, cursor, limit).await?;
    Ok(json_response(StatusCode::OK, &page))
}

/// Creates a goal; with an `Idempotency-Key`, at most once per key (see [`crate::idempotency`]).
async fn create_goal(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let owner = owner(req)?;
    let key = idempotency_key(req)?;
    let goal = NewGoal::try_from(json_body::<CreateGoalRequest>(req)?)?;
    let Some(key) = key else {
        let created = app.store.create(&owner, &goal).await?;
        return created_response(app, &owner, created).await;
    };
    let fingerprint = Fingerprint::of(req.method().as_str(), req.uri().path(), req.body());
    let request = IdempotentRequest::new(key, fingerprint);
    match app.store.create_idempotent(&owner, &goal, &request).await? {
        IdempotentOutcome::Created(created) => created_response(app, &owner, created).await,
        IdempotentOutcome::Replayed(first) => replayed_response(&first),
        IdempotentOutcome::KeyReused => Err(ApiError::IdempotencyKeyReused),
        IdempotentOutcome::InProgress => Err(ApiError::IdempotencyInProgress),
    }
}

/// A new goal: pushed to the owner's connections, then answered 201 with its `Location`.
async fn created_response(
    app: &App,
    owner: &Owner,
    created: Goal,
) -> Result<Response<Body>, ApiError> {
    app.publish(owner, GoalEvent::Created(created.clone()))
        .await;
    created_answer(&created)
}

/// The first answer again, marked `Idempotent-Replayed: true`; nothing is created or pushed.
/// Counted as an idempotent replay.
fn replayed_response(first: &Goal) -> Result<Response<Body>, ApiError> {
    metrics::idempotent_replay();
    let mut response = created_answer(first)?;
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

/// 201, the goal, and `Location: /goals/{id}`: what a create answers, first time or replayed.
fn created_answer(created: &Goal) -> Result<Response<Body>, ApiError> {
    let mut response = json_response(StatusCode::CREATED, created);
    let location = HeaderValue::from_str(&format!("/goals/{}", created.id.get()))
        .map_err(|e| ApiError::Internal(e.into()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

async fn get_goal(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let owner = owner(req)?;
    let id = goal_id(req)?;
    let goal = app
        .store
        .get(&owner, id)
        .await?
        .ok_or(ApiError::NotFound("goal"))?;
    Ok(json_response(StatusCode::OK, &goal))
}

async fn update_goal(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let owner = owner(req)?;
    let id = goal_id(req)?;
    let patch = GoalPatch::try_from(json_body::<UpdateGoalRequest>(req)?)?;
    let goal = app
        .store
        .update(&owner, id, &patch)
        .await?
        .ok_or(ApiError::NotFound("goal"))?;
    app.publish(&owner, GoalEvent::Updated(goal.clone())).await;
    Ok(json_response(StatusCode::OK, &goal))
}

async fn delete_goal(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let owner = owner(req)?;
    let id = goal_id(req)?;
    let deleted = app
        .store
        .delete(&owner, id)
        .await?
        .ok_or(ApiError::NotFound("goal"))?;
    app.publish(&owner, GoalEvent::Deleted(deleted)).await;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
