//! The key store on both engines, and the key commands the CLI and the `api-keys` function
//! share: a key is stored only as its hash, found while valid, refused once revoked.

use goal_tracker::domain::ValidationError;
use goal_tracker::handlers::App;
use goal_tracker::keys::{self, KeyCommand, KeyCommandError, KeyHash, KeyId, KeyOutcome};

use crate::helpers::{on_both_engines, owner};

on_both_engines!(
    an_issued_key_names_its_owner_and_is_stored_only_as_its_hash,
    a_revoked_key_names_no_owner_and_keeps_its_first_revocation_time,
    keys_are_listed_by_owner_or_all_in_id_order,
    key_commands_create_list_and_revoke,
    bad_key_commands_are_refused_with_their_reason,
);

async fn an_issued_key_names_its_owner_and_is_stored_only_as_its_hash(app: &App) {
    let store = app.store.as_ref();
    assert!(
        !store.any_keys().await.unwrap(),
        "a fresh database has no keys"
    );
    let (key, info) = keys::issue(store, &owner("alice")).await.unwrap();
    assert!(store.any_keys().await.unwrap());
    assert_eq!(info.owner, "alice");
    assert_eq!(info.prefix, &key.expose()[..9]);
    assert_eq!(info.revoked_at, None);
    assert_eq!(
        store.key_owner(&key.hash()).await.unwrap(),
        Some(owner("alice"))
    );
    let other = keys::issue(store, &owner("alice")).await.unwrap().0;
    assert_ne!(other.hash(), key.hash());
    let never_issued = KeyHash::of_presented(&format!("gt_{}", "A".repeat(43))).unwrap();
    assert_eq!(store.key_owner(&never_issued).await.unwrap(), None);
    // Nothing the store gives back holds the key.
    let listed = serde_json::to_string(&store.list_keys(None).await.unwrap()).unwrap();
    assert!(!listed.contains(&key.expose()[9..]), "{listed}");
}

async fn a_revoked_key_names_no_owner_and_keeps_its_first_revocation_time(app: &App) {
    let store = app.store.as_ref();
    let (key, info) = keys::issue(store, &owner("alice")).await.unwrap();
    let revoked = store.revoke_key(info.id).await.unwrap().expect("known id");
    let revoked_at = revoked.revoked_at.expect("a revocation time");
    assert!(revoked_at >= info.created_at);
    assert_eq!(store.key_owner(&key.hash()).await.unwrap(), None);
    let again = store.revoke_key(info.id).await.unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(revoked_at), "the first time stays");
    let unknown = KeyId::new(info.id.get() + 100).unwrap();
    assert_eq!(store.revoke_key(unknown).await.unwrap(), None);
}

async fn keys_are_listed_by_owner_or_all_in_id_order(app: &App) {
    let store = app.store.as_ref();
    let mut ids = Vec::new();
    for name in ["alice", "bob", "alice", "O'Brien; DROP TABLE api_keys;--"] {
        ids.push(keys::issue(store, &owner(name)).await.unwrap().1.id);
    }
    let all: Vec<_> = store.list_keys(None).await.unwrap();
    assert_eq!(all.iter().map(|k| k.id).collect::<Vec<_>>(), ids);
    let alices: Vec<_> = store.list_keys(Some(&owner("alice"))).await.unwrap();
    assert_eq!(
        alices.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2]]
    );
    assert!(store
        .list_keys(Some(&owner("carol")))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(all[3].owner, "O'Brien; DROP TABLE api_keys;--");
}

async fn key_commands_create_list_and_revoke(app: &App) {
    let store = app.store.as_ref();
    let create = KeyCommand::Create {
        owner: "  alice ".into(),
    };
    let KeyOutcome::Created { key, info } = keys::execute(store, create).await.unwrap() else {
        panic!("created");
    };
    assert_eq!(info.owner, "alice", "the owner is trimmed");
    let outcome = KeyOutcome::Created { key, info }.to_json();
    let shown = outcome["key"].as_str().unwrap().to_owned();
    assert!(KeyHash::of_presented(&shown).is_some(), "{outcome}");
    assert_eq!(outcome["info"]["owner"], "alice");

    let listed = keys::execute(store, KeyCommand::List { owner: None })
        .await
        .unwrap()
        .to_json();
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&shown), "listed: {listed}");

    let id = outcome["info"]["id"].as_i64().unwrap();
    let revoked = keys::execute(store, KeyCommand::Revoke { id })
        .await
        .unwrap()
        .to_json();
    assert!(revoked["revoked"]["revoked_at"].is_string(), "{revoked}");
    assert_eq!(
        store
            .key_owner(&KeyHash::of_presented(&shown).unwrap())
            .await
            .unwrap(),
        None
    );
}

async fn bad_key_commands_are_refused_with_their_reason(app: &App) {
    let store = app.store.as_ref();
    let too_long = "o".repeat(256);
    for owner in ["", "   ", "tab\there", too_long.as_str()] {
        let result = keys::execute(
            store,
            KeyCommand::Create {
                owner: owner.into(),
            },
        )
        .await;
        assert!(
            matches!(
                result,
                Err(KeyCommandError::Invalid(ValidationError::InvalidOwner))
            ),
            "owner {owner:?}: {result:?}"
        );
    }
    for id in [0, -1, 42] {
        let result = keys::execute(store, KeyCommand::Revoke { id }).await;
        assert!(
            matches!(result, Err(KeyCommandError::NotFound(n)) if n == id),
            "id {id}: {result:?}"
        );
    }
    assert!(!store.any_keys().await.unwrap(), "nothing was issued");
}
