//! One conformance suite, run against both real engines: every case below runs once on a fresh
//! SQLite file and once on a fresh PostgreSQL database.

use goal_tracker::domain::{Cursor, GoalId, GoalName, GoalPatch, PageLimit};
use goal_tracker::handlers::App;
use goal_tracker::store::list_page;

use crate::helpers::{new_goal, on_both_engines, owner, postgres_store, sqlite_store};

on_both_engines!(
    a_created_goal_reads_back_as_returned,
    goals_are_listed_in_creation_order_in_pages,
    another_owners_goals_are_invisible,
    an_update_changes_only_the_given_fields,
    a_deleted_goal_is_gone_and_its_id_is_not_reused,
    sql_metacharacters_and_emoji_are_stored_verbatim,
    the_longest_multibyte_name_fits,
    ping_answers,
);

fn id(raw: i64) -> GoalId {
    GoalId::parse(&raw.to_string()).expect("a valid id")
}

async fn a_created_goal_reads_back_as_returned(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let created = store.create(&alice, &new_goal("learn Rust")).await.unwrap();
    assert_eq!(created.name, "learn Rust");
    assert!(!created.completed);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(store.get(&alice, created.id).await.unwrap(), Some(created));
}

async fn goals_are_listed_in_creation_order_in_pages(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            store
                .create(&alice, &new_goal(&format!("goal {n}")))
                .await
                .unwrap(),
        );
    }
    let limit = PageLimit::parse("3").unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = list_page(store, &alice, cursor, limit).await.unwrap();
        pages += 1;
        assert!(
            page.goals.len() <= 3,
            "page {pages} holds {} goals",
            page.goals.len()
        );
        seen.extend(page.goals);
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next).unwrap()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);

    let exact = list_page(store, &alice, None, PageLimit::parse("7").unwrap())
        .await
        .unwrap();
    assert_eq!(exact.goals.len(), 7);
    assert_eq!(
        exact.next_cursor, None,
        "a page that holds the last goal has no next cursor"
    );
}

async fn another_owners_goals_are_invisible(app: &App) {
    let store = app.store.as_ref();
    let (alice, bob) = (owner("alice"), owner("bob"));
    let goal = store
        .create(&alice, &new_goal("alice's secret plan"))
        .await
        .unwrap();
    let patch = GoalPatch {
        name: Some(GoalName::parse("hijacked").unwrap()),
        completed: Some(true),
    };

    assert_eq!(store.get(&bob, goal.id).await.unwrap(), None);
    assert!(list_page(store, &bob, None, PageLimit::default())
        .await
        .unwrap()
        .goals
        .is_empty());
    assert_eq!(store.update(&bob, goal.id, &patch).await.unwrap(), None);
    assert_eq!(store.delete(&bob, goal.id).await.unwrap(), None);

    assert_eq!(
        store.get(&alice, goal.id).await.unwrap(),
        Some(goal),
        "bob changed alice's goal"
    );
}

async fn an_update_changes_only_the_given_fields(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let goal = store
        .create(&alice, &new_goal("read a book"))
        .await
        .unwrap();

    let completed = GoalPatch {
        name: None,
        completed: Some(true),
    };
    let after_complete = store
        .update(&alice, goal.id, &completed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_complete.name, "read a book");
    assert!(after_complete.completed);
    assert_eq!(after_complete.created_at, goal.created_at);
    assert!(after_complete.updated_at >= goal.updated_at);

    let renamed = GoalPatch {
        name: Some(GoalName::parse("read two books").unwrap()),
        completed: None,
    };
    let after_rename = store
        .update(&alice, goal.id, &renamed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_rename.name, "read two books");
    assert!(after_rename.completed, "a rename must not reopen the goal");
    assert_eq!(
        store.get(&alice, goal.id).await.unwrap(),
        Some(after_rename)
    );

    assert_eq!(
        store.update(&alice, id(999_999), &completed).await.unwrap(),
        None
    );
}

async fn a_deleted_goal_is_gone_and_its_id_is_not_reused(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let first = store.create(&alice, &new_goal("one")).await.unwrap();
    let second = store.create(&alice, &new_goal("two")).await.unwrap();
    assert_eq!(
        store.delete(&alice, second.id).await.unwrap(),
        Some(second.clone()),
        "a delete returns the goal as it was"
    );
    assert_eq!(
        store.delete(&alice, second.id).await.unwrap(),
        None,
        "a second delete finds nothing"
    );
    assert_eq!(store.get(&alice, second.id).await.unwrap(), None);

    let third = store.create(&alice, &new_goal("three")).await.unwrap();
    assert!(third.id > second.id, "id {} was reused", second.id.get());
    let listed = list_page(store, &alice, None, PageLimit::default())
        .await
        .unwrap()
        .goals;
    assert_eq!(listed, vec![first, third]);
}

async fn sql_metacharacters_and_emoji_are_stored_verbatim(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let names = [
        "Robert'); DROP TABLE goals;--",
        "100% of \"quotes\" and \\backslashes\\ ; -- comment /* */",
        "🎯 run 10 km 🏃‍♀️ — ünïcödé, 中文, עברית",
        "$1 ?1 :name @x",
    ];
    for name in names {
        let created = store.create(&alice, &new_goal(name)).await.unwrap();
        assert_eq!(created.name, name);
        assert_eq!(
            store.get(&alice, created.id).await.unwrap().unwrap().name,
            name
        );
    }
    let listed = list_page(store, &alice, None, PageLimit::default())
        .await
        .unwrap()
        .goals;
    assert_eq!(listed.len(), names.len(), "the goals table survived");
}

async fn the_longest_multibyte_name_fits(app: &App) {
    let store = app.store.as_ref();
    let alice = owner("alice");
    let name = "é".repeat(255);
    let created = store.create(&alice, &new_goal(&name)).await.unwrap();
    assert_eq!(created.name, name);
}

async fn ping_answers(app: &App) {
    let store = app.store.as_ref();
    store.ping().await.unwrap();
}

/// The same sanity check without the macro, so a broken macro cannot hide every case.
#[tokio::test]
async fn both_engines_start_empty() {
    let sqlite = sqlite_store().await;
    let empty = list_page(sqlite.store(), &owner("alice"), None, PageLimit::default())
        .await
        .unwrap();
    assert!(empty.goals.is_empty() && empty.next_cursor.is_none());
    if let Some(postgres) = postgres_store("both_engines_start_empty").await {
        let empty = list_page(
            postgres.store(),
            &owner("alice"),
            None,
            PageLimit::default(),
        )
        .await
        .unwrap();
        assert!(empty.goals.is_empty());
        postgres.finish().await;
    }
}
