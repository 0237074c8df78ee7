//! The catalog copy against moto and the course-discovery stand-in. The tests cover a full
//! copy of the real samples, pagination variants, and failures that must leave the previous
//! catalog in service. They also hold unchanged and slightly changed catalogs to their write
//! budgets, and check deletions, the learner data that protects entities from them, and what
//! warm readers see afterwards.
//!
//! The real samples are read from `../shared/fixtures/discovery` relative to the workspace
//! root, or from `DISCOVERY_FIXTURES_DIR`; without them the demo catalog stands in.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use devstack::discovery::{
    CLIENT_ID, CLIENT_SECRET, DiscoveryData, DiscoveryStandIn, Fault, FaultKind, LastPageNext,
};
use learner_records::catalog_copy::{
    CatalogCopy, CatalogCopyConfig, CopyError, CopySummary, ProblemCode, Resource, RetryPolicy,
};
use learner_records::config::Secret;
use learner_records::domain::*;
use learner_records::store::Store;
use learner_records::store::cache::{KIND_PROGRAM_CERTIFICATE, KIND_SITE};
use learner_records::store::catalog::CatalogEntry;
use learner_records::store::keys::{self, CatalogKind};
use learner_records::store::learner::{KIND_CREDENTIAL, KIND_GRADE, KIND_SEND};
use learner_records::testkit::{EventCapture, TestStack};
use serde_json::{Value, json};

// Demo catalog uuids (crates/devstack/demo-catalog/catalog.json).
const DATA_STEWARDSHIP: &str = "f1a4888c-59a3-489e-9307-3e38f3d01c9f";
const HYDROLOGY: &str = "e4b4f99b-e700-4b52-adc9-a547386d649e";
const WEAVING: &str = "a7b81107-2431-4d67-8f7e-d44f07968897";
const GROUNDWATER_COURSE: &str = "b3fcfc23-b4da-440e-abee-b8bf38aa11bc";
const GROUNDWATER_RUN: &str = "471a8403-71db-492b-aeb2-8914a12ab886";
const GROUNDWATER_RUN_KEY: &str = "course-v1:LabX+HY202+2T2024";
const WEAVING_COURSE: &str = "82b1349c-0cae-41b2-a425-090109e99c26";
const WEAVING_RUN: &str = "48a88d1f-e13c-4392-a821-6c45deb48760";
const CREDIT_PATHWAY: &str = "337f5e0d-60a8-45ba-b8ee-5a78357650cb";
const INDUSTRY_PATHWAY: &str = "208bbe44-ec33-4518-9fe1-3bfe42df8fbe";
const PAUSED_PATHWAY: &str = "4153b343-d432-49ef-b69a-fcc0b6b09e7c";

fn uuid(text: &str) -> Uuid {
    Uuid::parse(text).unwrap()
}

fn ada() -> Username {
    Username::parse("lrn_ada").unwrap()
}

/// Loads the real samples, or the demo catalog with a printed note when they are absent.
fn real_or_demo() -> DiscoveryData {
    let dir = std::env::var("DISCOVERY_FIXTURES_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/discovery"),
        PathBuf::from,
    );
    if dir.is_dir() {
        DiscoveryData::from_fixtures(&dir).unwrap()
    } else {
        println!(
            "NOTE: {} does not exist; copying the demo catalog instead of the real samples",
            dir.display()
        );
        DiscoveryData::demo()
    }
}

struct Setup {
    stack: TestStack,
    discovery: DiscoveryStandIn,
}

impl Setup {
    async fn start(data: DiscoveryData) -> Self {
        Self {
            stack: TestStack::start().await,
            discovery: DiscoveryStandIn::start(data).await.unwrap(),
        }
    }

    fn config(&self) -> CatalogCopyConfig {
        CatalogCopyConfig {
            catalog_api_url: self.discovery.catalog_api_url(),
            token_url: self.discovery.token_url(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Secret::new(CLIENT_SECRET),
            page_size: Some(2),
            delete_missing: false,
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            },
            lease_duration: Duration::from_secs(900),
        }
    }

    fn copy(&self) -> CatalogCopy {
        CatalogCopy::new(self.config()).unwrap()
    }

    fn copy_with(&self, adjust: impl FnOnce(&mut CatalogCopyConfig)) -> CatalogCopy {
        let mut config = self.config();
        adjust(&mut config);
        CatalogCopy::new(config).unwrap()
    }

    async fn run(&self, copy: &CatalogCopy) -> CopySummary {
        copy.run(&self.stack.app).await.unwrap()
    }

    async fn catalog(&self) -> std::sync::Arc<Catalog> {
        self.stack.app.snapshot().await.unwrap().catalog
    }

    fn count(&self, operation: &str) -> u64 {
        self.stack
            .app
            .counter
            .snapshot()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    async fn stored_catalog_items(&self) -> usize {
        self.stack
            .app
            .store
            .query_partition(keys::CATALOG_PARTITION, None)
            .await
            .unwrap()
            .len()
    }
}

fn uuids_of(items: &[Value]) -> Vec<Uuid> {
    items
        .iter()
        .map(|item| uuid(item["uuid"].as_str().unwrap()))
        .collect()
}

fn run_keys_of(courses: &[Value]) -> Vec<CourseRunKey> {
    courses
        .iter()
        .flat_map(|course| course["course_runs"].as_array().unwrap().iter())
        .map(|run| CourseRunKey::parse(run["key"].as_str().unwrap()).unwrap())
        .collect()
}

fn remove_items(items: &mut Vec<Value>, uuids: &[&str]) {
    items.retain(|item| !uuids.contains(&item["uuid"].as_str().unwrap()));
}

#[tokio::test]
async fn real_samples_copy_completely() {
    let data = real_or_demo();
    let setup = Setup::start(data.clone()).await;

    let summary = setup.run(&setup.copy()).await;

    assert!(summary.problems.is_empty(), "{:#?}", summary.problems);
    assert_eq!(summary.version, 1);
    let catalog = setup.catalog().await;
    for program in uuids_of(&data.programs) {
        assert!(catalog.program(&program).is_some(), "program {program}");
    }
    for run_key in run_keys_of(&data.courses) {
        assert!(
            catalog.run_by_key(&run_key).is_some(),
            "course run {run_key}"
        );
    }
    for pathway in uuids_of(&data.pathways) {
        assert!(
            catalog.pathways().iter().any(|p| p.uuid == pathway),
            "pathway {pathway}"
        );
    }
    let counts = catalog.counts();
    assert_eq!(counts.organizations, data.organizations.len());
    assert_eq!(counts.courses, data.courses.len());
    assert_eq!(counts.course_runs, run_keys_of(&data.courses).len());
    assert_eq!(summary.counts, counts);
}

#[tokio::test]
async fn program_keeps_discovery_run_order_and_fields() {
    let data = real_or_demo();
    let setup = Setup::start(data.clone()).await;
    setup.run(&setup.copy()).await;
    let catalog = setup.catalog().await;

    for item in &data.programs {
        let program = catalog
            .program(&uuid(item["uuid"].as_str().unwrap()))
            .unwrap();
        let listed_runs: Vec<Uuid> = item["courses"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|course| course["course_runs"].as_array().unwrap().iter())
            .map(|run| uuid(run["uuid"].as_str().unwrap()))
            .collect();
        assert_eq!(program.course_runs, listed_runs, "runs of {}", program.uuid);
        assert_eq!(program.title, item["title"].as_str().unwrap());
        assert_eq!(
            program.type_slug,
            item["type_attrs"]["slug"].as_str().unwrap()
        );
        assert_eq!(
            serde_json::to_value(program.status).unwrap(),
            item["status"]
        );
    }
}

#[tokio::test]
async fn only_published_pathways_link_programs() {
    let data = real_or_demo();
    let setup = Setup::start(data.clone()).await;
    setup.run(&setup.copy()).await;
    let catalog = setup.catalog().await;

    for item in &data.pathways {
        let pathway = catalog
            .pathways()
            .iter()
            .find(|p| p.uuid == uuid(item["uuid"].as_str().unwrap()))
            .unwrap();
        let published = item["status"] == "published";
        assert_eq!(
            pathway.programs.is_empty(),
            !published,
            "pathway {} with status {}",
            pathway.uuid,
            item["status"]
        );
    }
}

#[tokio::test]
async fn pathway_ids_are_stable_and_new_ones_follow() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;
    let ids = |catalog: &Catalog| -> Vec<(Uuid, u64)> {
        catalog.pathways().iter().map(|p| (p.uuid, p.id)).collect()
    };
    let first = ids(&*setup.catalog().await);
    assert_eq!(
        first.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    setup.discovery.update(|data| {
        let mut extra = data.pathways[0].clone();
        extra["uuid"] = json!("6a1f2d3c-4b5a-4c6d-8e7f-90a1b2c3d4e5");
        data.pathways.insert(0, extra);
    });
    setup.run(&setup.copy()).await;
    let second = ids(&*setup.catalog().await);
    assert_eq!(&second[..3], &first[..]);
    assert_eq!(second[3], (uuid("6a1f2d3c-4b5a-4c6d-8e7f-90a1b2c3d4e5"), 4));
}

#[tokio::test]
async fn empty_string_and_null_next_end_listing_alike() {
    let data = real_or_demo();
    let pages = data.programs.len().div_ceil(2);
    let mut counts = Vec::new();
    for last_page_next in [LastPageNext::Null, LastPageNext::EmptyString] {
        let setup = Setup::start(data.clone()).await;
        setup.discovery.set_last_page_next(last_page_next);
        let summary = setup.run(&setup.copy()).await;
        assert_eq!(
            setup.discovery.request_count(Some(Resource::Programs)),
            pages,
            "{last_page_next:?}"
        );
        counts.push(summary.counts);
    }
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[0].programs, data.programs.len());
}

#[tokio::test]
async fn page_size_one_requests_every_item() {
    let data = real_or_demo();
    let setup = Setup::start(data.clone()).await;
    let summary = setup.run(&setup.copy_with(|c| c.page_size = Some(1))).await;

    for resource in Resource::ALL {
        let items = data.items(resource).len();
        assert_eq!(
            setup.discovery.request_count(Some(resource)),
            items,
            "{}",
            resource.name()
        );
        assert_eq!(summary.fetched[resource.name()].items, items);
    }
    assert_eq!(setup.discovery.request_count(None), 1, "one token request");
}

#[tokio::test]
async fn requests_carry_discovery_parameters() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;

    for request in setup.discovery.requests() {
        let Some(resource) = request.resource else {
            assert_eq!(request.query["grant_type"], "client_credentials");
            assert_eq!(request.query["token_type"], "jwt");
            continue;
        };
        assert_eq!(request.query["exclude_utm"], "1");
        assert_eq!(request.query["page_size"], "2");
        assert_eq!(
            request
                .query
                .get("include_hidden_course_runs")
                .map(String::as_str),
            (resource == Resource::Courses).then_some("1"),
            "{}",
            resource.name()
        );
    }
    let programs: Vec<String> = setup
        .discovery
        .requests()
        .into_iter()
        .filter(|r| r.resource == Some(Resource::Programs))
        .map(|r| r.query["page"].clone())
        .collect();
    assert_eq!(programs, vec!["1", "2"]);
}

#[tokio::test]
async fn empty_page_with_next_stops_listing() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.discovery.inject(Fault::always(
        Resource::Programs,
        2,
        FaultKind::EmptyPageWithNext,
    ));
    let summary = setup.run(&setup.copy_with(|c| c.page_size = Some(1))).await;

    assert_eq!(setup.discovery.request_count(Some(Resource::Programs)), 2);
    assert_eq!(summary.fetched["programs"].pages, 2);
    assert_eq!(summary.counts.programs, 1);
}

#[tokio::test]
async fn failing_page_fails_run_and_keeps_catalog() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;
    let before = setup.catalog().await;

    setup.discovery.update(|data| {
        data.retitle_every(1, " (renamed)");
    });
    setup
        .discovery
        .inject(Fault::always(Resource::Programs, 2, FaultKind::ServerError));
    setup.stack.app.counter.reset();
    let error = setup.copy().run(&setup.stack.app).await.unwrap_err();

    assert!(
        matches!(
            error,
            CopyError::Fetch {
                resource: "programs",
                page: 2,
                attempts: 3,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(setup.count("BatchWriteItem"), 0);
    let after = setup.catalog().await;
    assert_eq!(after.version, before.version);
    assert_eq!(
        after.program(&uuid(DATA_STEWARDSHIP)).unwrap().title,
        "Data Stewardship"
    );
}

#[tokio::test]
async fn malformed_page_fails_run_with_invalid_page() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.discovery.inject(Fault::always(
        Resource::Courses,
        1,
        FaultKind::MalformedJson,
    ));
    let error = setup.copy().run(&setup.stack.app).await.unwrap_err();

    assert!(
        matches!(
            error,
            CopyError::InvalidPage {
                resource: "courses",
                page: 1,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(setup.catalog().await.version, 0);
}

#[tokio::test]
async fn slow_page_times_out_and_fails_run() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.discovery.inject(Fault::always(
        Resource::Pathways,
        1,
        FaultKind::Delay(Duration::from_secs(2)),
    ));
    let copy = setup.copy_with(|c| {
        c.request_timeout = Duration::from_millis(300);
        c.retry.max_attempts = 2;
    });
    let error = copy.run(&setup.stack.app).await.unwrap_err();

    let CopyError::Fetch {
        resource, reason, ..
    } = &error
    else {
        panic!("expected a fetch error, got {error}");
    };
    assert_eq!(*resource, "pathways");
    assert!(reason.contains("timed out"), "{reason}");
    assert_eq!(setup.discovery.request_count(Some(Resource::Pathways)), 2);
    assert!(setup.catalog().await.programs().next().is_none());
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup
        .discovery
        .inject(Fault::once(Resource::Courses, 1, FaultKind::ServerError));
    setup.discovery.inject(Fault::once(
        Resource::Programs,
        2,
        FaultKind::TooManyRequests {
            retry_after_seconds: 0,
        },
    ));
    let summary = setup.run(&setup.copy()).await;

    assert_eq!(summary.counts.programs, 3);
    assert_eq!(setup.discovery.request_count(Some(Resource::Courses)), 4);
    assert_eq!(setup.discovery.request_count(Some(Resource::Programs)), 3);
}

#[tokio::test]
async fn unreachable_catalog_fails_run_and_deletes_nothing() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/api/v1/", closed.local_addr().unwrap());
    drop(closed);
    let copy = setup.copy_with(|c| {
        c.catalog_api_url = closed_url;
        c.delete_missing = true;
    });
    let error = copy.run(&setup.stack.app).await.unwrap_err();

    assert!(
        matches!(
            error,
            CopyError::Fetch {
                resource: "organizations",
                page: 1,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(setup.catalog().await.counts().programs, 3);
}

#[tokio::test]
async fn wrong_client_secret_fails_with_token_error() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let copy = setup.copy_with(|c| c.client_secret = Secret::new("not-the-secret"));
    let error = copy.run(&setup.stack.app).await.unwrap_err();

    assert!(matches!(error, CopyError::Token { .. }), "{error}");
    assert!(!error.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn token_is_reused_across_runs() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let copy = setup.copy();
    setup.run(&copy).await;
    setup.run(&copy).await;
    assert_eq!(setup.discovery.request_count(None), 1);
}

#[tokio::test]
async fn unchanged_rerun_writes_nothing() {
    let data = real_or_demo();
    let setup = Setup::start(data).await;
    let copy = setup.copy();
    let first = setup.run(&copy).await;
    assert!(first.written.total() > 0);

    setup.stack.app.counter.reset();
    let second = setup.run(&copy).await;

    assert_eq!(second.written.total(), 0);
    assert_eq!(second.version, first.version);
    assert_eq!(setup.count("BatchWriteItem"), 0);
    assert_eq!(setup.count("PutItem"), 1, "only the lease");
    assert_eq!(setup.count("UpdateItem"), 0, "no publish, no pathway ids");
    assert_eq!(setup.count("Scan"), 0);
}

#[tokio::test]
async fn one_percent_change_writes_one_percent() {
    let data = DiscoveryData::synthetic(&DiscoveryData::demo(), 100, 2, 2);
    let setup = Setup::start(data).await;
    let copy = setup.copy_with(|c| c.page_size = Some(50));
    let first = setup.run(&copy).await;
    let entities = first.written.total();
    assert_eq!(entities, 10 + 200 + 100 + 10);

    let mut changed = 0;
    setup.discovery.update(|data| {
        changed = data.retitle_every(100, " (revised)");
    });
    setup.stack.app.counter.reset();
    let second = setup.run(&copy).await;

    assert_eq!(second.written.total(), changed);
    assert_eq!(second.written.courses, 2);
    assert_eq!(second.written.programs, 1);
    assert_eq!(setup.count("BatchWriteItem"), 1);
    assert_eq!(second.version, first.version + 1);
}

#[tokio::test]
async fn warm_reader_sees_new_catalog_on_next_snapshot() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let empty = setup.catalog().await;
    assert!(empty.program(&uuid(DATA_STEWARDSHIP)).is_none());

    let copy = setup.copy();
    setup.run(&copy).await;
    assert_eq!(
        setup
            .catalog()
            .await
            .program(&uuid(DATA_STEWARDSHIP))
            .unwrap()
            .title,
        "Data Stewardship"
    );

    setup.discovery.update(|data| {
        data.programs[0]["title"] = json!("Data Stewardship II");
    });
    setup.run(&copy).await;
    assert_eq!(
        setup
            .catalog()
            .await
            .program(&uuid(DATA_STEWARDSHIP))
            .unwrap()
            .title,
        "Data Stewardship II"
    );
}

#[tokio::test]
async fn catalog_replaced_event_follows_publish_only() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let capture = EventCapture::attach(
        &setup.stack.endpoint,
        &setup.stack.sdk,
        &setup.stack.resources.bus,
    )
    .await;
    let copy = setup.copy();
    setup.run(&copy).await;
    let events = capture.drain().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail-type"], "Catalog Replaced");
    assert_eq!(events[0]["detail"]["version"], 1);
    assert_eq!(events[0]["detail"]["counts"]["programs"], 3);

    setup.run(&copy).await;
    assert!(capture.drain().await.is_empty());
}

#[tokio::test]
async fn missing_entities_are_reported_and_kept_by_default() {
    let data = real_or_demo();
    let dropped = uuids_of(&data.programs)[data.programs.len() - 1];
    let setup = Setup::start(data).await;
    let copy = setup.copy();
    setup.run(&copy).await;

    setup.discovery.update(|data| {
        data.programs.pop();
    });
    let summary = setup.run(&copy).await;

    assert_eq!(summary.deletions.missing.programs, [dropped].into());
    assert_eq!(summary.deletions.kept.programs, [dropped].into());
    assert!(summary.deletions.removed.is_empty());
    assert_eq!(summary.written.total(), 0);
    assert!(setup.catalog().await.program(&dropped).is_some());
}

#[tokio::test]
async fn missing_entities_are_removed_when_enabled() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;

    setup.discovery.update(|data| {
        remove_items(&mut data.programs, &[WEAVING]);
        remove_items(&mut data.courses, &[WEAVING_COURSE]);
        remove_items(&mut data.pathways, &[PAUSED_PATHWAY]);
    });
    let summary = setup
        .run(&setup.copy_with(|c| c.delete_missing = true))
        .await;

    let removed = &summary.deletions.removed;
    assert_eq!(removed.programs, [uuid(WEAVING)].into());
    assert_eq!(removed.courses, [uuid(WEAVING_COURSE)].into());
    assert_eq!(removed.course_runs, [uuid(WEAVING_RUN)].into());
    assert_eq!(removed.pathways, [uuid(PAUSED_PATHWAY)].into());
    assert_eq!(summary.written.tombstones, 3);
    let catalog = setup.catalog().await;
    assert!(catalog.program(&uuid(WEAVING)).is_none());
    assert!(catalog.course(&uuid(WEAVING_COURSE)).is_none());
    assert!(catalog.run(&uuid(WEAVING_RUN)).is_none());
    assert!(
        !catalog
            .pathways()
            .iter()
            .any(|p| p.uuid == uuid(PAUSED_PATHWAY))
    );
    assert!(catalog.program(&uuid(DATA_STEWARDSHIP)).is_some());
}

async fn store_learner_references(store: &Store) {
    let now = Utc::now();
    let run_key = CourseRunKey::parse(GROUNDWATER_RUN_KEY).unwrap();
    let grade = UserGrade {
        id: 1,
        username: ada(),
        course_run: run_key.clone(),
        letter_grade: "B".into(),
        percent_grade: Percent::parse("0.8").unwrap(),
        verified: true,
        lms_last_updated_at: None,
        created: now,
        modified: now,
    };
    store
        .put(Store::item(&keys::grade(&ada(), &run_key), KIND_GRADE, &grade).unwrap())
        .await
        .unwrap();
    store
        .get_or_create_link(&ada(), &uuid(WEAVING), None, None, now)
        .await
        .unwrap();
    let send = CreditPathwaySend {
        username: ada(),
        pathway_id: 2,
        program_uuid: Some(uuid(DATA_STEWARDSHIP)),
        status: CreditPathwayStatus::Sent,
        created: now,
        modified: now,
    };
    store
        .put(
            Store::item(
                &keys::credit_send(&ada(), 2, Some(&uuid(DATA_STEWARDSHIP))),
                KIND_SEND,
                &send,
            )
            .unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn referenced_entities_survive_deletion() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;
    assert_eq!(
        setup
            .catalog()
            .await
            .pathways()
            .iter()
            .find(|p| p.uuid == uuid(INDUSTRY_PATHWAY))
            .unwrap()
            .id,
        2
    );
    store_learner_references(&setup.stack.app.store).await;

    setup.discovery.update(|data| {
        remove_items(&mut data.programs, &[WEAVING, HYDROLOGY]);
        remove_items(&mut data.courses, &[WEAVING_COURSE, GROUNDWATER_COURSE]);
        remove_items(&mut data.pathways, &[INDUSTRY_PATHWAY, PAUSED_PATHWAY]);
    });
    setup.stack.app.counter.reset();
    let summary = setup
        .run(&setup.copy_with(|c| c.delete_missing = true))
        .await;

    let kept = &summary.deletions.kept;
    assert_eq!(kept.programs, [uuid(WEAVING)].into(), "public link");
    assert_eq!(
        kept.course_runs,
        [uuid(GROUNDWATER_RUN), uuid(WEAVING_RUN)].into(),
        "grade, and a run of a kept program"
    );
    assert_eq!(
        kept.courses,
        [uuid(GROUNDWATER_COURSE), uuid(WEAVING_COURSE)].into()
    );
    assert_eq!(
        kept.pathways,
        [uuid(INDUSTRY_PATHWAY)].into(),
        "credit send"
    );
    let removed = &summary.deletions.removed;
    assert_eq!(removed.programs, [uuid(HYDROLOGY)].into());
    assert_eq!(removed.pathways, [uuid(PAUSED_PATHWAY)].into());
    assert_eq!(setup.count("Scan"), 1);

    let catalog = setup.catalog().await;
    assert!(catalog.program(&uuid(WEAVING)).is_some());
    assert!(catalog.program(&uuid(HYDROLOGY)).is_none());
    assert!(
        catalog
            .run_by_key(&CourseRunKey::parse(GROUNDWATER_RUN_KEY).unwrap())
            .is_some()
    );
    assert!(catalog.pathway(2).is_some());
}

#[tokio::test]
async fn program_credential_and_certificate_protect_program() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    setup.run(&setup.copy()).await;
    let now = Utc::now();
    let credential = UserCredential {
        uuid: Uuid::new_v4(),
        username: ada(),
        subject: CredentialSubject::Program {
            program_uuid: uuid(HYDROLOGY),
        },
        status: CredentialStatus::Awarded,
        attributes: Vec::new(),
        date_override: None,
        created: now,
        modified: now,
    };
    setup
        .stack
        .app
        .store
        .put(
            Store::item(
                &keys::program_credential(&ada(), &uuid(HYDROLOGY)),
                KIND_CREDENTIAL,
                &credential,
            )
            .unwrap(),
        )
        .await
        .unwrap();

    let certificate = ProgramCertificate {
        program_uuid: uuid(WEAVING),
        is_active: true,
        language: None,
        title: None,
    };
    setup
        .stack
        .app
        .store
        .put(
            Store::item(
                &keys::program_certificate(&uuid(WEAVING)),
                KIND_PROGRAM_CERTIFICATE,
                &certificate,
            )
            .unwrap(),
        )
        .await
        .unwrap();

    setup.discovery.update(|data| {
        remove_items(&mut data.programs, &[HYDROLOGY, WEAVING, DATA_STEWARDSHIP]);
    });
    let summary = setup
        .run(&setup.copy_with(|c| c.delete_missing = true))
        .await;

    assert_eq!(
        summary.deletions.kept.programs,
        [uuid(HYDROLOGY), uuid(WEAVING)].into()
    );
    assert_eq!(
        summary.deletions.removed.programs,
        [uuid(DATA_STEWARDSHIP)].into()
    );
}

#[tokio::test]
async fn inconsistent_upstream_data_is_reported_not_fatal() {
    let mut data = DiscoveryData::demo();
    let unknown_run = "9d1c2b3a-4f5e-4d6c-8b7a-695847362514";
    data.programs[0]["courses"][0]["course_runs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"uuid": unknown_run, "key": "course-v1:ExampleX+DS999+1T2024"}));
    data.programs[1]["title"] = Value::Null;
    let duplicate = data.programs[2].clone();
    data.programs.push(duplicate);
    data.courses[0]["owners"]
        .as_array_mut()
        .unwrap()
        .push(json!({"uuid": "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716", "key": "GhostX"}));
    data.pathways[0]["status"] = json!("archived");
    let setup = Setup::start(data).await;

    let summary = setup.run(&setup.copy()).await;

    let codes: Vec<ProblemCode> = summary.problems.iter().map(|p| p.code).collect();
    for expected in [
        ProblemCode::UnknownCourseRun,
        ProblemCode::MissingField,
        ProblemCode::DuplicateUuid,
        ProblemCode::UnknownOrganization,
        ProblemCode::UnknownStatus,
    ] {
        assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
    }
    assert_eq!(summary.rejected.pathways, [uuid(CREDIT_PATHWAY)].into());
    let catalog = setup.catalog().await;
    let program = catalog.program(&uuid(DATA_STEWARDSHIP)).unwrap();
    assert_eq!(program.course_runs.len(), 3, "unknown run dropped");
    assert_eq!(catalog.program(&uuid(HYDROLOGY)).unwrap().title, "");
    assert!(
        !catalog
            .pathways()
            .iter()
            .any(|p| p.uuid == uuid(CREDIT_PATHWAY))
    );
}

#[tokio::test]
async fn running_copy_holds_lease() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let store = &setup.stack.app.store;
    let now = Utc::now().timestamp();
    assert!(
        store
            .acquire_catalog_copy_lease("other-run", now, now + 900)
            .await
            .unwrap()
    );

    let error = setup.copy().run(&setup.stack.app).await.unwrap_err();
    assert!(matches!(error, CopyError::AlreadyRunning), "{error}");
    assert_eq!(setup.discovery.requests().len(), 0);

    store.release_catalog_copy_lease("other-run").await.unwrap();
    assert_eq!(setup.run(&setup.copy()).await.version, 1);
}

#[tokio::test]
async fn expired_lease_does_not_block_copy() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let now = Utc::now().timestamp();
    assert!(
        setup
            .stack
            .app
            .store
            .acquire_catalog_copy_lease("killed-run", now - 1000, now - 100)
            .await
            .unwrap()
    );
    assert_eq!(setup.run(&setup.copy()).await.version, 1);
}

#[tokio::test]
async fn failed_run_leftovers_are_not_published() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let copy = setup.copy();
    setup.run(&copy).await;
    let store = &setup.stack.app.store;
    let mut leftover = setup
        .catalog()
        .await
        .program(&uuid(DATA_STEWARDSHIP))
        .unwrap()
        .clone();
    leftover.title = "Half-copied title".into();
    let stray = Organization {
        uuid: Uuid::new_v4(),
        key: "StrayX".into(),
        name: "Stray".into(),
        certificate_logo_image_url: None,
    };
    store
        .write_catalog_entries(
            &[
                CatalogEntry::program(&leftover),
                CatalogEntry::organization(&stray),
            ],
            2,
        )
        .await
        .unwrap();

    let unchanged = setup.run(&copy).await;
    assert_eq!(unchanged.leftovers_deleted, 2);
    assert_eq!(unchanged.version, 1);

    setup.discovery.update(|data| {
        data.programs[1]["title"] = json!("Applied Hydrology II");
    });
    let changed = setup.run(&copy).await;
    assert_eq!(changed.version, 2);
    let catalog = setup.catalog().await;
    assert_eq!(
        catalog.program(&uuid(DATA_STEWARDSHIP)).unwrap().title,
        "Data Stewardship"
    );
    assert!(catalog.organization(&stray.uuid).is_none());
}

#[tokio::test]
async fn superseded_versions_are_collected() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let copy = setup.copy();
    let first = setup.run(&copy).await;
    let entities = first.written.total();

    setup.discovery.update(|data| {
        data.programs[0]["title"] = json!("Data Stewardship II");
        data.programs[1]["title"] = json!("Applied Hydrology II");
    });
    let second = setup.run(&copy).await;
    assert_eq!(second.written.programs, 2);
    assert_eq!(
        second.versions_collected, 0,
        "readers of version 1 may still load"
    );
    assert_eq!(setup.stored_catalog_items().await, entities + 2);

    let third = setup.run(&copy).await;
    assert_eq!(third.versions_collected, 2);
    assert_eq!(setup.stored_catalog_items().await, entities);
    assert_eq!(
        setup
            .catalog()
            .await
            .program(&uuid(HYDROLOGY))
            .unwrap()
            .title,
        "Applied Hydrology II"
    );
}

#[tokio::test]
async fn removed_entity_items_are_collected_after_next_run() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let copy = setup.copy_with(|c| c.delete_missing = true);
    let first = setup.run(&copy).await;

    setup.discovery.update(|data| {
        remove_items(&mut data.pathways, &[PAUSED_PATHWAY]);
    });
    setup.run(&copy).await;
    assert_eq!(
        setup.stored_catalog_items().await,
        first.written.total() + 1,
        "tombstone beside the data readers of version 1 need"
    );

    let third = setup.run(&copy).await;
    assert_eq!(third.versions_collected, 2);
    assert_eq!(
        setup.stored_catalog_items().await,
        first.written.total() - 1
    );
    let kinds: Vec<CatalogKind> = setup
        .stack
        .app
        .store
        .catalog_item_versions()
        .await
        .unwrap()
        .iter()
        .filter(|item| item.uuid == uuid(PAUSED_PATHWAY))
        .map(|item| item.kind)
        .collect();
    assert!(kinds.is_empty());
}

#[tokio::test]
async fn disabled_records_skip_copy() {
    let setup = Setup::start(DiscoveryData::demo()).await;
    let site = SiteConfiguration {
        records_enabled: false,
        ..SiteConfiguration::default()
    };
    setup
        .stack
        .app
        .store
        .put(Store::item(&keys::site_configuration(), KIND_SITE, &site).unwrap())
        .await
        .unwrap();

    let summary = setup.run(&setup.copy()).await;
    assert!(summary.skipped.is_some());
    assert_eq!(setup.discovery.requests().len(), 0);
}
