//! The store against moto: item round trips, race-safe creation, batch writes, versioned
//! catalog visibility, and the request counts each access pattern costs.

#![allow(clippy::unwrap_used)]

use chrono::Utc;
use learner_records::domain::*;
use learner_records::store::catalog::CatalogEntry;
use learner_records::store::keys::{self, CatalogKind};
use learner_records::store::{Store, StoreError};
use learner_records::testkit::TestStack;

fn ada() -> Username {
    Username::parse("lrn_ada").unwrap()
}

fn uuid(n: u8) -> Uuid {
    Uuid::parse(&format!("{n:02x}{}", "0".repeat(30))).unwrap()
}

fn run_key(n: u8) -> CourseRunKey {
    CourseRunKey::parse(&format!("course-v1:TestX+C{n}+1T2024")).unwrap()
}

fn sample_course(n: u8) -> Course {
    Course {
        uuid: uuid(n),
        key: format!("TestX+C{n}"),
        title: Some(format!("Course {n}")),
        owners: vec![uuid(200)],
        course_runs: vec![CourseRun {
            uuid: uuid(100 + n),
            key: run_key(n),
            title_override: None,
            start_date: None,
            end_date: None,
        }],
    }
}

fn sample_program(runs: &[u8]) -> Program {
    Program {
        uuid: uuid(50),
        title: "Test Program".into(),
        program_type: "MicroMasters".into(),
        type_slug: "micromasters".into(),
        status: ProgramStatus::Active,
        total_hours_of_effort: None,
        authoring_organizations: vec![uuid(200)],
        course_runs: runs.iter().map(|n| uuid(100 + n)).collect(),
    }
}

#[tokio::test]
async fn learner_items_round_trip() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let now = Utc::now();
    let grade = UserGrade {
        id: 7,
        username: ada(),
        course_run: run_key(1),
        letter_grade: "A".into(),
        percent_grade: Percent::parse("0.85").unwrap(),
        verified: true,
        lms_last_updated_at: Some(now),
        created: now,
        modified: now,
    };
    let credential = UserCredential {
        uuid: Uuid::new_v4(),
        username: ada(),
        subject: CredentialSubject::CourseRun {
            course_run_key: run_key(1),
            mode: CertificateType::Verified,
        },
        status: CredentialStatus::Awarded,
        attributes: vec![CredentialAttribute {
            name: "visible_date".into(),
            value: "2024-01-01T00:00:00Z".into(),
        }],
        date_override: None,
        created: now,
        modified: now,
    };
    let link = PublicLink {
        uuid: Uuid::new_v4(),
        username: ada(),
        program_uuid: uuid(50),
        created: now,
        expires: None,
    };
    let send = CreditPathwaySend {
        username: ada(),
        pathway_id: 3,
        program_uuid: Some(uuid(50)),
        status: CreditPathwayStatus::Sent,
        created: now,
        modified: now,
    };
    let profile = LearnerProfile {
        username: Some(ada()),
        full_name: "Ada Testwell".into(),
        email: "ada@example.test".into(),
        lms_user_id: Some(9),
    };

    store
        .put(Store::item(&keys::grade(&ada(), &run_key(1)), "grade", &grade).unwrap())
        .await
        .unwrap();
    store
        .put(
            Store::item(
                &keys::course_credential(&ada(), &run_key(1), CertificateType::Verified),
                "credential",
                &credential,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    store
        .put(
            Store::item(
                &keys::learner_link(&ada(), &uuid(50)),
                "learner-link",
                &link,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    store
        .put(
            Store::item(
                &keys::credit_send(&ada(), 3, Some(&uuid(50))),
                "credit-send",
                &send,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(store.sync_profile(&ada(), None, &profile).await.unwrap());

    let loaded = store.load_learner(&ada()).await.unwrap();
    assert_eq!(loaded.grades, vec![grade]);
    assert_eq!(loaded.credentials, vec![credential]);
    assert_eq!(loaded.links, vec![link]);
    assert_eq!(loaded.sends, vec![send]);
    assert_eq!(loaded.profile.as_ref(), Some(&profile));
    assert!(
        !store
            .sync_profile(&ada(), loaded.profile.as_ref(), &profile)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn learner_load_costs_one_query() {
    let stack = TestStack::start().await;
    stack.app.counter.reset();
    let data = stack.app.store.load_learner(&ada()).await.unwrap();
    assert!(!data.exists());
    assert_eq!(stack.app.counter.snapshot().get("Query"), Some(&1));
    assert_eq!(stack.app.counter.total(), 1);
}

#[tokio::test]
async fn concurrent_put_new_has_one_winner() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let key = keys::learner_link(&ada(), &uuid(50));
    let first = Store::item(&key, "learner-link", &"first").unwrap();
    let second = Store::item(&key, "learner-link", &"second").unwrap();

    let (a, b) = tokio::join!(store.put_new(first), store.put_new(second));
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "exactly one creation succeeds"
    );
    let loser = if a.is_err() { a } else { b };
    assert!(matches!(loser, Err(StoreError::ConditionFailed { .. })));
}

#[tokio::test]
async fn batch_write_stores_a_thousand_items() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let items = (0..1000)
        .map(|n| Store::item(&keys::throttle("bulk", &ada(), n), "bulk", &n).unwrap())
        .collect();
    stack.app.counter.reset();
    assert_eq!(store.batch_write(items, Vec::new()).await.unwrap(), 1000);
    assert_eq!(
        stack.app.counter.snapshot().get("BatchWriteItem"),
        Some(&40)
    );
    let stored = store
        .query_partition("THROTTLE#bulk#lrn_ada", None)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1000);
}

#[tokio::test]
async fn catalog_copy_is_invisible_until_published() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let organization = Organization {
        uuid: uuid(200),
        key: "TestX".into(),
        name: "Test Org".into(),
        certificate_logo_image_url: None,
    };
    let version = store
        .replace_catalog(
            &[organization],
            &[sample_course(1), sample_course(2)],
            &[sample_program(&[1])],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(version, 1);

    // A second copy's items are written but not yet published.
    let mut retitled = sample_program(&[1, 2]);
    retitled.title = "Renamed".into();
    store
        .write_catalog_entries(&[CatalogEntry::program(&retitled)], 2)
        .await
        .unwrap();
    let snapshot = stack.app.snapshot().await.unwrap();
    assert_eq!(
        snapshot.catalog.program(&uuid(50)).unwrap().title,
        "Test Program"
    );

    store.publish_catalog_version(1, 2).await.unwrap();
    let snapshot = stack.app.snapshot().await.unwrap();
    let program = snapshot.catalog.program(&uuid(50)).unwrap();
    assert_eq!(program.title, "Renamed");
    assert_eq!(program.course_runs.len(), 2);
    assert_eq!(
        snapshot.catalog.run_by_key(&run_key(2)).unwrap().1.uuid,
        uuid(102)
    );
}

#[tokio::test]
async fn stale_publish_is_rejected() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    store.publish_catalog_version(0, 1).await.unwrap();
    let stale = store.publish_catalog_version(0, 2).await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed { .. })));
}

#[tokio::test]
async fn tombstone_removes_entity_from_catalog() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    store
        .replace_catalog(&[], &[sample_course(1)], &[sample_program(&[1])], &[])
        .await
        .unwrap();
    store
        .replace_catalog(&[], &[sample_course(1)], &[], &[])
        .await
        .unwrap();
    let snapshot = stack.app.snapshot().await.unwrap();
    assert!(snapshot.catalog.program(&uuid(50)).is_none());
    assert!(snapshot.catalog.course(&uuid(1)).is_some());
    let stored = store
        .query_partition(keys::CATALOG_PARTITION, Some(CatalogKind::Program.tag()))
        .await
        .unwrap();
    assert_eq!(stored.len(), 2, "version 1 and its tombstone at version 2");
}

#[tokio::test]
async fn warm_cache_costs_one_get_item() {
    let stack = TestStack::start().await;
    stack
        .app
        .store
        .replace_catalog(&[], &[sample_course(1)], &[sample_program(&[1])], &[])
        .await
        .unwrap();
    stack.app.snapshot().await.unwrap();
    stack.app.counter.reset();
    stack.app.snapshot().await.unwrap();
    assert_eq!(stack.app.counter.snapshot().get("GetItem"), Some(&1));
    assert_eq!(stack.app.counter.total(), 1);
}

#[tokio::test]
async fn concurrent_shares_create_one_link() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let now = Utc::now();
    let (learner, program) = (ada(), uuid(50));
    let (a, b) = tokio::join!(
        store.get_or_create_link(&learner, &program, None, None, now),
        store.get_or_create_link(&learner, &program, None, None, now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.link(), b.link());
    assert_eq!([a.created(), b.created()].iter().filter(|c| **c).count(), 1);
    let resolved = store.resolve_link(&a.link().uuid, now).await.unwrap();
    assert_eq!(resolved.as_ref(), Some(a.link()));
}

#[tokio::test]
async fn revoked_link_no_longer_resolves() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let now = Utc::now();
    let link = store
        .get_or_create_link(&ada(), &uuid(50), None, None, now)
        .await
        .unwrap()
        .link()
        .clone();
    assert_eq!(
        store.revoke_link(&ada(), &uuid(50)).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.resolve_link(&link.uuid, now).await.unwrap(), None);
    assert!(store.load_learner(&ada()).await.unwrap().links.is_empty());
    let again = store
        .get_or_create_link(&ada(), &uuid(50), None, None, now)
        .await
        .unwrap();
    assert!(again.created());
    assert_ne!(again.link().uuid, link.uuid);
}

#[tokio::test]
async fn expired_link_is_replaced() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let then = Utc::now() - chrono::Duration::days(10);
    let old = store
        .get_or_create_link(&ada(), &uuid(50), None, Some(1), then)
        .await
        .unwrap()
        .link()
        .clone();
    let now = Utc::now();
    assert_eq!(store.resolve_link(&old.uuid, now).await.unwrap(), None);
    let fresh = store
        .get_or_create_link(&ada(), &uuid(50), Some(&old), None, now)
        .await
        .unwrap();
    assert!(fresh.created());
    assert_eq!(
        store.load_learner(&ada()).await.unwrap().links,
        vec![fresh.link().clone()]
    );
}
