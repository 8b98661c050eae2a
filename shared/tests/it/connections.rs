//! The connection store's conformance suite, on both engines: what `$connect`, `$disconnect`,
//! a 410 on push and the expiry sweep rely on.

use chrono::{TimeDelta, Utc};
use goal_tracker::domain::{Connection, ConnectionId};
use goal_tracker::handlers::App;

use crate::helpers::{on_both_engines, owner};

on_both_engines!(
    connections_are_listed_by_owner_oldest_first,
    a_removed_connection_is_gone_once,
    recording_an_id_again_replaces_it,
    connections_older_than_the_cutoff_are_swept_and_not_listed,
);

fn id(raw: &str) -> ConnectionId {
    ConnectionId::new(raw).expect("a valid connection id")
}

fn connection(raw_id: &str, owner_name: &str, age_minutes: i64) -> Connection {
    Connection {
        id: id(raw_id),
        owner: owner(owner_name),
        connected_at: Utc::now() - TimeDelta::minutes(age_minutes),
    }
}

fn long_ago() -> chrono::DateTime<Utc> {
    Utc::now() - TimeDelta::days(1)
}

async fn connections_are_listed_by_owner_oldest_first(app: &App) {
    let store = app.store.as_ref();
    for c in [
        connection("b2Fs/Y2Ft+A=", "alice", 5),
        connection("L0SM9cOFvHcCIhw=", "alice", 30),
        connection("Ym9iYm9i", "bob", 10),
    ] {
        store.add_connection(&c).await.unwrap();
    }
    assert_eq!(
        store
            .connections_of(&owner("alice"), long_ago())
            .await
            .unwrap(),
        vec![id("L0SM9cOFvHcCIhw="), id("b2Fs/Y2Ft+A=")]
    );
    assert_eq!(
        store
            .connections_of(&owner("bob"), long_ago())
            .await
            .unwrap(),
        vec![id("Ym9iYm9i")]
    );
    assert!(store
        .connections_of(&owner("carol"), long_ago())
        .await
        .unwrap()
        .is_empty());
}

async fn a_removed_connection_is_gone_once(app: &App) {
    let store = app.store.as_ref();
    store
        .add_connection(&connection("abc=", "alice", 0))
        .await
        .unwrap();
    assert!(store.remove_connection(&id("abc=")).await.unwrap());
    assert!(!store.remove_connection(&id("abc=")).await.unwrap());
    assert!(store
        .connections_of(&owner("alice"), long_ago())
        .await
        .unwrap()
        .is_empty());
}

async fn recording_an_id_again_replaces_it(app: &App) {
    let store = app.store.as_ref();
    store
        .add_connection(&connection("abc=", "alice", 0))
        .await
        .unwrap();
    store
        .add_connection(&connection("abc=", "bob", 0))
        .await
        .unwrap();
    assert!(store
        .connections_of(&owner("alice"), long_ago())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .connections_of(&owner("bob"), long_ago())
            .await
            .unwrap(),
        vec![id("abc=")]
    );
}

async fn connections_older_than_the_cutoff_are_swept_and_not_listed(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    store
        .add_connection(&connection("old", "alice", 180))
        .await
        .unwrap();
    store
        .add_connection(&connection("new", "alice", 1))
        .await
        .unwrap();
    let cutoff = Utc::now() - TimeDelta::hours(2);
    assert_eq!(
        store.connections_of(&alice, cutoff).await.unwrap(),
        vec![id("new")],
        "an expired connection is never pushed to"
    );
    assert_eq!(store.remove_connections_before(cutoff).await.unwrap(), 1);
    assert_eq!(
        store.connections_of(&alice, long_ago()).await.unwrap(),
        vec![id("new")]
    );
}
