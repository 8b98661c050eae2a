//! `Idempotency-Key` on `POST /goals`: the store's idempotent create on both engines (replay,
//! reuse, a race on one key, expiry, per-owner keys), concurrent creates without a key, and the
//! handler fed with `events/create-goal-idempotent.json`.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use goal_tracker::domain::NewGoal;
use goal_tracker::domain::{Goal, Owner, PageLimit};
use goal_tracker::handlers::{handle, App};
use goal_tracker::idempotency::{
    Fingerprint, IdempotencyKey, IdempotentOutcome, IdempotentRequest, REPLAYED_HEADER,
};
use goal_tracker::routes::Endpoint;
use goal_tracker::store::list_page;

use crate::helpers::{
    assert_error, event, event_json, new_goal, on_both_engines, owner, request, set_header,
    set_text_body, sqlite_store,
};

on_both_engines!(
    the_same_key_and_request_replay_the_first_goal_and_create_nothing,
    the_same_key_with_another_request_is_refused_as_reused,
    eight_concurrent_requests_with_one_key_create_exactly_one_goal,
    an_expired_key_is_taken_anew,
    the_same_key_from_two_owners_is_two_keys,
    sixty_four_concurrent_creates_without_a_key_make_sixty_four_goals,
);

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::parse(raw).expect("a valid key")
}

/// A keyed create of a goal named `name`, fingerprinted as the handler would.
fn keyed(raw_key: &str, name: &str) -> (NewGoal, IdempotentRequest) {
    let body = format!(r#"{{"name":"{name}"}}"#);
    let fingerprint = Fingerprint::of("POST", "/goals", body.as_bytes());
    (
        new_goal(name),
        IdempotentRequest::new(key(raw_key), fingerprint),
    )
}

async fn all_goals(app: &App, owner: &Owner) -> Vec<Goal> {
    list_page(app.store.as_ref(), owner, None, PageLimit::MAX)
        .await
        .unwrap()
        .goals
}

async fn the_same_key_and_request_replay_the_first_goal_and_create_nothing(app: &App) {
    let alice = owner("alice");
    let (goal, request) = keyed("retry-1", "learn Rust");
    let first = app
        .store
        .create_idempotent(&alice, &goal, &request)
        .await
        .unwrap();
    let IdempotentOutcome::Created(created) = first else {
        panic!("the first request creates: {first:?}");
    };
    for attempt in 0..3 {
        let again = app
            .store
            .create_idempotent(&alice, &goal, &request)
            .await
            .unwrap();
        assert_eq!(
            again,
            IdempotentOutcome::Replayed(created.clone()),
            "retry {attempt}"
        );
    }
    assert_eq!(all_goals(app, &alice).await, vec![created.clone()]);

    // The replay is the first answer even after the goal changed or went.
    app.store.delete(&alice, created.id).await.unwrap();
    let after_delete = app
        .store
        .create_idempotent(&alice, &goal, &request)
        .await
        .unwrap();
    assert_eq!(after_delete, IdempotentOutcome::Replayed(created));
    assert!(all_goals(app, &alice).await.is_empty());
}

async fn the_same_key_with_another_request_is_refused_as_reused(app: &App) {
    let alice = owner("alice");
    let (goal, request) = keyed("k", "first");
    let first = app
        .store
        .create_idempotent(&alice, &goal, &request)
        .await
        .unwrap();
    assert!(matches!(first, IdempotentOutcome::Created(_)), "{first:?}");
    let (other_goal, other_request) = keyed("k", "second");
    let reused = app
        .store
        .create_idempotent(&alice, &other_goal, &other_request)
        .await
        .unwrap();
    assert_eq!(reused, IdempotentOutcome::KeyReused);
    assert_eq!(
        all_goals(app, &alice).await.len(),
        1,
        "the reuse created nothing"
    );
}

async fn eight_concurrent_requests_with_one_key_create_exactly_one_goal(app: &App) {
    let alice = Arc::new(owner("alice"));
    let (goal, request) = keyed("race", "only once");
    let (goal, request) = (Arc::new(goal), Arc::new(request));
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, alice, goal, request, barrier) = (
                app.clone(),
                alice.clone(),
                goal.clone(),
                request.clone(),
                barrier.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                app.store
                    .create_idempotent(&alice, &goal, &request)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let goals = all_goals(app, &alice).await;
    assert_eq!(
        goals.len(),
        1,
        "one goal, whatever the interleaving: {outcomes:?}"
    );
    let created: Vec<_> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, IdempotentOutcome::Created(_)))
        .collect();
    assert_eq!(
        created,
        vec![&IdempotentOutcome::Created(goals[0].clone())],
        "{outcomes:?}"
    );
    for outcome in &outcomes {
        assert!(
            matches!(
                outcome,
                IdempotentOutcome::Created(_) | IdempotentOutcome::InProgress
            ) || *outcome == IdempotentOutcome::Replayed(goals[0].clone()),
            "the others replay or are told it is in progress: {outcomes:?}"
        );
    }
}

async fn an_expired_key_is_taken_anew(app: &App) {
    let alice = owner("alice");
    // A record written a day and a second ago: it expired a second ago.
    let (goal, mut request) = keyed("old", "yesterday");
    request.expires_at = Utc::now() - TimeDelta::seconds(1);
    let first = app
        .store
        .create_idempotent(&alice, &goal, &request)
        .await
        .unwrap();
    let IdempotentOutcome::Created(old) = first else {
        panic!("{first:?}");
    };
    // Neither the same request nor another one is bound by it any more.
    let (other_goal, other_request) = keyed("old", "today");
    let again = app
        .store
        .create_idempotent(&alice, &other_goal, &other_request)
        .await
        .unwrap();
    let IdempotentOutcome::Created(new) = again else {
        panic!("an expired key is taken anew: {again:?}");
    };
    assert_ne!(new.id, old.id);
    // The replacing record replays from now on.
    let replay = app
        .store
        .create_idempotent(&alice, &other_goal, &other_request)
        .await
        .unwrap();
    assert_eq!(replay, IdempotentOutcome::Replayed(new));
    assert_eq!(all_goals(app, &alice).await.len(), 2);
}

async fn the_same_key_from_two_owners_is_two_keys(app: &App) {
    let (alice, bob) = (owner("alice"), owner("bob"));
    let (goal, request) = keyed("shared-key", "mine");
    for who in [&alice, &bob] {
        let outcome = app
            .store
            .create_idempotent(who, &goal, &request)
            .await
            .unwrap();
        assert!(
            matches!(outcome, IdempotentOutcome::Created(_)),
            "{}: {outcome:?}",
            who.as_str()
        );
        assert_eq!(all_goals(app, who).await.len(), 1, "{}", who.as_str());
    }
}

async fn sixty_four_concurrent_creates_without_a_key_make_sixty_four_goals(app: &App) {
    let alice = Arc::new(owner("alice"));
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let (app, alice) = (app.clone(), alice.clone());
            tokio::spawn(async move {
                app.store
                    .create(&alice, &new_goal(&format!("goal {n}")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 64, "64 distinct ids");
    let mut names: Vec<_> = all_goals(app, &alice)
        .await
        .into_iter()
        .map(|g| g.name)
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 64, "64 distinct goals stored");
}

// --- the handler ------------------------------------------------------------------------------

/// What `create-goal` answers to `event`.
async fn create(
    app: &App,
    event: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    handle(app, Endpoint::CreateGoal, event).await
}

#[tokio::test]
async fn a_retried_create_event_replays_the_first_answer_exactly_and_pushes_nothing() {
    let test = sqlite_store().await;
    let first = create(&test.app, event("create-goal-idempotent.json")).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get(REPLAYED_HEADER).is_none());
    let retry = create(&test.app, event("create-goal-idempotent.json")).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()[REPLAYED_HEADER], "true");
    assert_eq!(retry.headers()["location"], first.headers()["location"]);
    assert_eq!(
        retry.body().as_ref(),
        first.body().as_ref(),
        "the body byte for byte"
    );
    assert_eq!(all_goals(&test.app, &owner("alice")).await.len(), 1);
}

#[tokio::test]
async fn the_key_of_a_create_event_with_another_body_is_refused_as_reused() {
    let test = sqlite_store().await;
    let first = create(&test.app, event("create-goal-idempotent.json")).await;
    assert_eq!(first.status(), 201);
    let mut other = event_json("create-goal-idempotent.json");
    set_text_body(&mut other, Some(r#"{"name":"Run a full marathon"}"#));
    let reused = create(&test.app, request(&other)).await;
    assert_error(
        &reused,
        422,
        "idempotency_key_reused",
        "another body, same key",
    );
    assert_eq!(all_goals(&test.app, &owner("alice")).await.len(), 1);
}

#[tokio::test]
async fn invalid_idempotency_keys_are_refused_before_anything_is_created() {
    let test = sqlite_store().await;
    let response = create(&test.app, event("create-goal-bad-idempotency-key.json")).await;
    assert_error(&response, 400, "validation_failed", "a 256-character key");
    for (raw, why) in [("", "empty"), ("clé", "non-ASCII")] {
        let mut bad = event_json("create-goal-idempotent.json");
        set_header(&mut bad, "idempotency-key", Some(raw));
        let response = create(&test.app, request(&bad)).await;
        assert_error(&response, 400, "validation_failed", why);
    }
    assert!(all_goals(&test.app, &owner("alice")).await.is_empty());
}

// --- in progress (PostgreSQL: SQLite runs one writer at a time, so a second request waits) ---

#[tokio::test]
async fn a_key_whose_first_request_is_still_running_is_in_progress_until_it_ends() {
    use sqlx::{Connection, Executor};
    let test =
        "idempotency::a_key_whose_first_request_is_still_running_is_in_progress_until_it_ends";
    let Some(store) = crate::helpers::postgres_store(test).await else {
        return;
    };
    let alice = owner("alice");
    let (goal, request) = keyed("slow", "in flight");
    // A first request mid-way: its transaction holds the key's lock, as the store takes it.
    let database_url = store.database_url().to_owned();
    let mut first = sqlx::PgConnection::connect(&database_url).await.unwrap();
    first.execute("BEGIN").await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(length($1) || ':' || $1 || $2, 0))")
        .bind(alice.as_str())
        .bind(request.key.as_str())
        .execute(&mut first)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let second = store
        .app
        .store
        .create_idempotent(&alice, &goal, &request)
        .await
        .unwrap();
    assert_eq!(second, IdempotentOutcome::InProgress);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "answered without waiting"
    );
    // The first request died: its transaction is gone, and the key is free.
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let outcome = loop {
        let outcome = store
            .app
            .store
            .create_idempotent(&alice, &goal, &request)
            .await
            .unwrap();
        if outcome != IdempotentOutcome::InProgress || std::time::Instant::now() > deadline {
            break outcome;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        matches!(outcome, IdempotentOutcome::Created(_)),
        "{outcome:?}"
    );
    store.finish().await;
}
