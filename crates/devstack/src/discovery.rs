//! A local stand-in for course-discovery, so the catalog copy runs its real HTTP code against
//! 127.0.0.1. It serves `/oauth2/access_token` (the LMS token endpoint, client credentials)
//! and the `organizations`, `courses`, `programs` and `pathways` listings under `/api/v1/`
//! with Discovery's pagination envelope `{count, next, previous, results}`, honouring `page`
//! and `page_size`. Tests can make a given page fail (HTTP 500, 429, a delay, malformed
//! JSON, an empty page that still announces a next one) and choose how the last page ends.
//!
//! The data comes from the real Discovery samples in a fixtures directory when there is one
//! ([`DiscoveryData::from_fixtures`]), else from the demo catalog written for this project
//! ([`DiscoveryData::demo`]). [`DiscoveryData::synthetic`] scales either up for benchmarks.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use learner_records::catalog_copy::Resource;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Directory of the real Discovery samples, relative to the workspace root.
pub const DEFAULT_FIXTURES_DIR: &str = "../shared/fixtures/discovery";
/// The client id and secret the stand-in's token endpoint accepts.
pub const CLIENT_ID: &str = "learner-records-catalog-copy";
pub const CLIENT_SECRET: &str = "stand-in-client-secret";
/// Page size of the stand-in when a request sends no `page_size`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

const DEMO_CATALOG: &str = include_str!("../demo-catalog/catalog.json");

/// A fixtures directory that could not be read.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load {}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for LoadError {}

/// The items of the four listings, as Discovery returns them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiscoveryData {
    pub organizations: Vec<Value>,
    pub courses: Vec<Value>,
    pub programs: Vec<Value>,
    pub pathways: Vec<Value>,
}

/// Origin of the data a stand-in serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    Fixtures(PathBuf),
    Demo,
}

impl DiscoveryData {
    pub fn items(&self, resource: Resource) -> &[Value] {
        match resource {
            Resource::Organizations => &self.organizations,
            Resource::Courses => &self.courses,
            Resource::Programs => &self.programs,
            Resource::Pathways => &self.pathways,
        }
    }

    pub fn items_mut(&mut self, resource: Resource) -> &mut Vec<Value> {
        match resource {
            Resource::Organizations => &mut self.organizations,
            Resource::Courses => &mut self.courses,
            Resource::Programs => &mut self.programs,
            Resource::Pathways => &mut self.pathways,
        }
    }

    /// Loads the demo catalog: three programs of invented schools with five courses, seven
    /// runs and three pathways, in Discovery's shape.
    pub fn demo() -> Self {
        let catalog: Value = serde_json::from_str(DEMO_CATALOG).unwrap_or(Value::Null);
        let list = |name: &str| catalog[name].as_array().cloned().unwrap_or_default();
        Self {
            organizations: list("organizations"),
            courses: list("courses"),
            programs: list("programs"),
            pathways: list("pathways"),
        }
    }

    /// Loads the real fixtures in `dir` when it exists, else the demo catalog.
    pub fn load(dir: &Path) -> Result<(Self, DataSource), LoadError> {
        if dir.is_dir() {
            Ok((
                Self::from_fixtures(dir)?,
                DataSource::Fixtures(dir.to_owned()),
            ))
        } else {
            Ok((Self::demo(), DataSource::Demo))
        }
    }

    /// Builds a consistent catalog from the real samples. Programs come from
    /// `discovery_programs_list_3_programs.json` and
    /// `discovery_program_unpublished_masters_no_courses.json`. Courses are those nested in the
    /// programs, each with the union of its runs, plus those of
    /// `discovery_courses_page_last.json`. Organizations are those nested in programs and
    /// courses as `authoring_organizations` and `owners`. Pathways come from
    /// `discovery_pathways_page_constructed.json`.
    pub fn from_fixtures(dir: &Path) -> Result<Self, LoadError> {
        let read = |name: &str| -> Result<Value, LoadError> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|error| LoadError {
                path: path.clone(),
                reason: error.to_string(),
            })?;
            serde_json::from_str(&text).map_err(|error| LoadError {
                path,
                reason: error.to_string(),
            })
        };

        let mut programs = read("discovery_programs_list_3_programs.json")?
            .as_array()
            .cloned()
            .unwrap_or_default();
        programs.push(read(
            "discovery_program_unpublished_masters_no_courses.json",
        )?);
        let listed_courses = read("discovery_courses_page_last.json")?["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let pathways = read("discovery_pathways_page_constructed.json")?["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();

        let mut courses = UuidList::default();
        for program in &programs {
            for course in program["courses"].as_array().into_iter().flatten() {
                courses.merge_course(course);
            }
        }
        for course in &listed_courses {
            courses.merge_course(course);
        }

        let mut organizations = UuidList::default();
        for program in &programs {
            for organization in program["authoring_organizations"]
                .as_array()
                .into_iter()
                .flatten()
            {
                organizations.add_first(organization);
            }
        }
        for course in &courses.items {
            for owner in course["owners"].as_array().into_iter().flatten() {
                organizations.add_first(owner);
            }
        }

        Ok(Self {
            organizations: organizations.items,
            courses: courses.items,
            programs,
            pathways,
        })
    }

    /// Builds a catalog of `programs` programs with `courses_per_program` courses of
    /// `runs_per_course` runs each, one organization per ten programs and one credit pathway
    /// per ten programs. Every item is a copy of the first item of `template`'s listing with
    /// its uuid, key and title replaced, so the items have Discovery's real shapes and sizes.
    /// The uuids and keys depend only on the position, so two calls give the same catalog.
    pub fn synthetic(
        template: &Self,
        programs: usize,
        courses_per_program: usize,
        runs_per_course: usize,
    ) -> Self {
        let first = |items: &[Value]| items.first().cloned().unwrap_or_else(|| json!({}));
        let organization_template = first(&template.organizations);
        let course_template = strip(first(&template.courses), &["course_runs", "owners"]);
        let run_template = template
            .courses
            .first()
            .and_then(|course| course["course_runs"].as_array())
            .and_then(|runs| runs.first())
            .cloned()
            .unwrap_or_else(|| json!({}));
        let program_template = strip(
            first(&template.programs),
            &["courses", "authoring_organizations"],
        );
        let nested_course_template = template
            .programs
            .first()
            .and_then(|program| program["courses"].as_array())
            .and_then(|courses| courses.first())
            .cloned()
            .map_or_else(
                || course_template.clone(),
                |c| strip(c, &["course_runs", "owners"]),
            );
        let pathway_template = first(&template.pathways);

        let organization_count = programs.div_ceil(10).max(1);
        let organizations: Vec<Value> = (0..organization_count)
            .map(|n| {
                with_fields(
                    &organization_template,
                    &[
                        ("uuid", json!(synthetic_uuid(1, n))),
                        ("key", json!(format!("SynthX{n}"))),
                        ("name", json!(format!("Synthetic School {n}"))),
                    ],
                )
            })
            .collect();

        let mut courses = Vec::with_capacity(programs * courses_per_program);
        let mut program_items = Vec::with_capacity(programs);
        for p in 0..programs {
            let organization = &organizations[p % organization_count];
            let mut nested_courses = Vec::with_capacity(courses_per_program);
            for c in 0..courses_per_program {
                let n = p * courses_per_program + c;
                let key = format!("SynthX{}+C{n}", p % organization_count);
                let title = format!("Synthetic Course {n}");
                let runs: Vec<Value> = (0..runs_per_course)
                    .map(|r| {
                        with_fields(
                            &run_template,
                            &[
                                ("uuid", json!(synthetic_uuid(3, n * runs_per_course + r))),
                                ("key", json!(format!("course-v1:{key}+R{r}"))),
                                ("title", json!(title)),
                                (
                                    "start",
                                    json!(format!("20{:02}-01-15T00:00:00Z", 10 + r % 20)),
                                ),
                                (
                                    "end",
                                    json!(format!("20{:02}-06-15T00:00:00Z", 10 + r % 20)),
                                ),
                            ],
                        )
                    })
                    .collect();
                let fields = [
                    ("uuid", json!(synthetic_uuid(2, n))),
                    ("key", json!(key)),
                    ("title", json!(title)),
                    ("owners", json!([organization])),
                    ("course_runs", json!(runs)),
                ];
                courses.push(with_fields(&course_template, &fields));
                nested_courses.push(with_fields(&nested_course_template, &fields));
            }
            program_items.push(with_fields(
                &program_template,
                &[
                    ("uuid", json!(synthetic_uuid(4, p))),
                    ("title", json!(format!("Synthetic Program {p}"))),
                    ("status", json!("active")),
                    ("authoring_organizations", json!([organization])),
                    ("courses", json!(nested_courses)),
                ],
            ));
        }

        let pathways = (0..programs.div_ceil(10))
            .map(|n| {
                let linked: Vec<Value> = [n * 10, n * 10 + 1]
                    .iter()
                    .filter(|p| **p < programs)
                    .map(|p| json!({"uuid": synthetic_uuid(4, *p)}))
                    .collect();
                with_fields(
                    &pathway_template,
                    &[
                        ("id", json!(n + 1)),
                        ("uuid", json!(synthetic_uuid(5, n))),
                        ("name", json!(format!("Synthetic Pathway {n}"))),
                        ("email", json!(format!("credit{n}@partner.example.test"))),
                        ("pathway_type", json!("credit")),
                        ("status", json!("published")),
                        ("programs", json!(linked)),
                    ],
                )
            })
            .collect();

        Self {
            organizations,
            courses,
            programs: program_items,
            pathways,
        }
    }

    /// Renames every `nth` course (with its runs, which share its title) and every `nth`
    /// program, appending `suffix`; returns how many entities changed. `nth = 100` changes
    /// 1 % of both.
    pub fn retitle_every(&mut self, nth: usize, suffix: &str) -> usize {
        let mut changed = 0;
        for course in self.courses.iter_mut().step_by(nth.max(1)) {
            let title = format!("{}{suffix}", course["title"].as_str().unwrap_or_default());
            for run in course["course_runs"].as_array_mut().into_iter().flatten() {
                run["title"] = json!(title);
            }
            course["title"] = json!(title);
            changed += 1;
        }
        for program in self.programs.iter_mut().step_by(nth.max(1)) {
            let title = format!("{}{suffix}", program["title"].as_str().unwrap_or_default());
            program["title"] = json!(title);
            changed += 1;
        }
        changed
    }
}

/// Items keyed by uuid in first-seen order.
#[derive(Default)]
struct UuidList {
    items: Vec<Value>,
    index: HashMap<String, usize>,
}

impl UuidList {
    fn add_first(&mut self, item: &Value) {
        let Some(uuid) = item["uuid"].as_str() else {
            return;
        };
        if !self.index.contains_key(uuid) {
            self.index.insert(uuid.to_owned(), self.items.len());
            self.items.push(item.clone());
        }
    }

    /// Adds a course, or adds its runs that are new to the course already there: a program
    /// lists only the runs it includes, so the same course nested in two programs can show
    /// different runs.
    fn merge_course(&mut self, course: &Value) {
        let Some(uuid) = course["uuid"].as_str() else {
            return;
        };
        let Some(&position) = self.index.get(uuid) else {
            self.add_first(course);
            return;
        };
        let known: Vec<String> = self.items[position]["course_runs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|run| run["uuid"].as_str().map(str::to_owned))
            .collect();
        let new_runs: Vec<Value> = course["course_runs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|run| {
                run["uuid"]
                    .as_str()
                    .is_some_and(|u| !known.iter().any(|k| k == u))
            })
            .cloned()
            .collect();
        if let Some(runs) = self.items[position]["course_runs"].as_array_mut() {
            runs.extend(new_runs);
        }
    }
}

fn synthetic_uuid(kind: u8, n: usize) -> String {
    uuid::Uuid::from_u128((u128::from(kind) << 96) | n as u128)
        .hyphenated()
        .to_string()
}

fn strip(mut item: Value, fields: &[&str]) -> Value {
    if let Some(object) = item.as_object_mut() {
        for field in fields {
            object.remove(*field);
        }
    }
    item
}

fn with_fields(template: &Value, fields: &[(&str, Value)]) -> Value {
    let mut item = template.clone();
    if let Some(object) = item.as_object_mut() {
        for (name, value) in fields {
            object.insert((*name).to_owned(), value.clone());
        }
    }
    item
}

/// A failure to inject into one page of one listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 500 with a plain-text body.
    ServerError,
    /// HTTP 429 with a `Retry-After` of this many seconds.
    TooManyRequests { retry_after_seconds: u64 },
    /// The normal response after this delay, to exceed the client's time limit.
    Delay(Duration),
    /// HTTP 200 with a body that is not valid JSON.
    MalformedJson,
    /// HTTP 200 with `results: []` and a `next` link all the same.
    EmptyPageWithNext,
}

/// A fault on `page` of `resource`, for the next `times` requests of that page (`None`: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub resource: Resource,
    pub page: u32,
    pub kind: FaultKind,
    pub times: Option<u32>,
}

impl Fault {
    pub fn always(resource: Resource, page: u32, kind: FaultKind) -> Self {
        Self {
            resource,
            page,
            kind,
            times: None,
        }
    }

    pub fn once(resource: Resource, page: u32, kind: FaultKind) -> Self {
        Self {
            resource,
            page,
            kind,
            times: Some(1),
        }
    }
}

/// Value of `next` on the last page of a listing. Discovery sends null, but some real pages
/// have an empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastPageNext {
    Null,
    EmptyString,
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The listing, or `None` for the token endpoint.
    pub resource: Option<Resource>,
    pub query: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Settings {
    last_page_next: LastPageNext,
    token_lifetime_seconds: u64,
    faults: Vec<Fault>,
}

#[derive(Debug)]
struct Shared {
    base_url: String,
    data: Mutex<DiscoveryData>,
    settings: Mutex<Settings>,
    tokens: Mutex<HashMap<String, Instant>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running stand-in. Dropping it stops the server.
#[derive(Debug)]
pub struct DiscoveryStandIn {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for DiscoveryStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl DiscoveryStandIn {
    /// Starts a stand-in on a free port of 127.0.0.1.
    pub async fn start(data: DiscoveryData) -> std::io::Result<Self> {
        Self::start_on(data, 0).await
    }

    /// Starts a stand-in on `port` of 127.0.0.1 (0 picks a free port).
    pub async fn start_on(data: DiscoveryData, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{address}"),
            data: Mutex::new(data),
            settings: Mutex::new(Settings {
                last_page_next: LastPageNext::Null,
                token_lifetime_seconds: 3600,
                faults: Vec::new(),
            }),
            tokens: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/oauth2/access_token", post(issue_token))
            .route("/api/v1/{resource}/", get(listing))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "course-discovery stand-in stopped");
            }
        });
        Ok(Self {
            address,
            shared,
            server,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the value for `CATALOG_API_URL`.
    pub fn catalog_api_url(&self) -> String {
        format!("{}/api/v1/", self.shared.base_url)
    }

    /// Returns the value for `DISCOVERY_TOKEN_URL`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/access_token", self.shared.base_url)
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.settings).faults.push(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.settings).faults.clear();
    }

    pub fn set_last_page_next(&self, next: LastPageNext) {
        lock(&self.shared.settings).last_page_next = next;
    }

    /// Sets the `expires_in` of tokens issued from now on.
    pub fn set_token_lifetime(&self, seconds: u64) {
        lock(&self.shared.settings).token_lifetime_seconds = seconds;
    }

    /// Changes the served data.
    pub fn update(&self, change: impl FnOnce(&mut DiscoveryData)) {
        change(&mut lock(&self.shared.data));
    }

    pub fn data(&self) -> DiscoveryData {
        lock(&self.shared.data).clone()
    }

    /// Returns every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Counts the requests a listing received (`None`: the token endpoint).
    pub fn request_count(&self, resource: Option<Resource>) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|request| request.resource == resource)
            .count()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }
}

fn parse_resource(name: &str) -> Option<Resource> {
    Resource::ALL
        .into_iter()
        .find(|resource| resource.name() == name)
}

fn detail(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"detail": message}))).into_response()
}

/// Issues a token as the LMS's `/oauth2/access_token` does for the client-credentials grant.
async fn issue_token(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let form: BTreeMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    lock(&shared.requests).push(RecordedRequest {
        resource: None,
        query: form
            .iter()
            .filter(|(name, _)| name.as_str() != "client_secret")
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    });
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }

    let lifetime = lock(&shared.settings).token_lifetime_seconds;
    let token = format!("stand-in-{}", uuid::Uuid::new_v4().simple());
    lock(&shared.tokens).insert(
        token.clone(),
        Instant::now() + Duration::from_secs(lifetime),
    );
    let token_type = if field("token_type") == Some("jwt") {
        "JWT"
    } else {
        "Bearer"
    };
    axum::Json(json!({
        "access_token": token,
        "token_type": token_type,
        "expires_in": lifetime,
        "scope": "read write",
    }))
    .into_response()
}

/// Serves one page of a listing, as Django REST framework's `PageNumberPagination` does.
async fn listing(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(resource) = parse_resource(&name) else {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    };
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(raw_query.as_deref().unwrap_or_default()).unwrap_or_default();
    lock(&shared.requests).push(RecordedRequest {
        resource: Some(resource),
        query: query.iter().cloned().collect(),
    });

    let authorised = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("JWT "))
        .and_then(|token| lock(&shared.tokens).get(token).copied())
        .is_some_and(|expires| Instant::now() < expires);
    if !authorised {
        return detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        );
    }

    let param = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let Some(page) = param("page").map_or(Some(1), |p| p.parse::<u32>().ok().filter(|p| *p > 0))
    else {
        return detail(StatusCode::NOT_FOUND, "Invalid page.");
    };
    let page_size = param("page_size")
        .and_then(|size| size.parse::<usize>().ok())
        .filter(|size| *size > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE);

    let fault = take_fault(&shared, resource, page);
    match fault {
        Some(FaultKind::ServerError) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Server Error (500)").into_response();
        }
        Some(FaultKind::TooManyRequests {
            retry_after_seconds,
        }) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after_seconds.to_string())],
                axum::Json(json!({"detail": "Request was throttled."})),
            )
                .into_response();
        }
        Some(FaultKind::MalformedJson) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"count\": 3, \"next\": null, \"results\": [{\"uuid\": ",
            )
                .into_response();
        }
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::EmptyPageWithNext) | None => {}
    }

    let link = |to_page: u32| -> String {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(key, _)| key != "page")
            .cloned()
            .collect();
        pairs.push(("page".to_owned(), to_page.to_string()));
        pairs.sort();
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}/api/v1/{}/?{encoded}", shared.base_url, resource.name())
    };

    let (count, results, last_page) = {
        let data = lock(&shared.data);
        let items = data.items(resource);
        let last_page = items.len().div_ceil(page_size).max(1);
        let start = (page as usize - 1).saturating_mul(page_size);
        let results: Vec<Value> = items.iter().skip(start).take(page_size).cloned().collect();
        (items.len(), results, last_page)
    };
    if page as usize > last_page {
        return detail(StatusCode::NOT_FOUND, "Invalid page.");
    }

    let last_page_next = lock(&shared.settings).last_page_next;
    let (results, next) = if fault == Some(FaultKind::EmptyPageWithNext) {
        (Vec::new(), json!(link(page + 1)))
    } else if (page as usize) < last_page {
        (results, json!(link(page + 1)))
    } else {
        let end = match last_page_next {
            LastPageNext::Null => Value::Null,
            LastPageNext::EmptyString => json!(""),
        };
        (results, end)
    };
    let previous = if page > 1 {
        json!(link(page - 1))
    } else {
        Value::Null
    };
    axum::Json(json!({
        "count": count,
        "next": next,
        "previous": previous,
        "results": results,
    }))
    .into_response()
}

/// Finds the fault for this request, if any, and counts down its remaining uses.
fn take_fault(shared: &Shared, resource: Resource, page: u32) -> Option<FaultKind> {
    let mut settings = lock(&shared.settings);
    let position = settings
        .faults
        .iter()
        .position(|fault| fault.resource == resource && fault.page == page)?;
    let fault = &mut settings.faults[position];
    let kind = fault.kind.clone();
    match &mut fault.times {
        None => {}
        Some(1) => {
            settings.faults.remove(position);
        }
        Some(times) => *times -= 1,
    }
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalog_has_every_listing() {
        let demo = DiscoveryData::demo();
        assert_eq!(demo.organizations.len(), 2);
        assert_eq!(demo.courses.len(), 6);
        assert_eq!(demo.programs.len(), 3);
        assert_eq!(demo.pathways.len(), 3);
    }

    #[test]
    fn synthetic_catalog_has_requested_size() {
        let synthetic = DiscoveryData::synthetic(&DiscoveryData::demo(), 20, 5, 2);
        assert_eq!(synthetic.programs.len(), 20);
        assert_eq!(synthetic.courses.len(), 100);
        let runs: usize = synthetic
            .courses
            .iter()
            .map(|course| course["course_runs"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(runs, 200);
        assert_eq!(synthetic.organizations.len(), 2);
        assert_eq!(synthetic.pathways.len(), 2);
    }

    #[test]
    fn synthetic_catalog_is_deterministic() {
        let demo = DiscoveryData::demo();
        assert_eq!(
            DiscoveryData::synthetic(&demo, 3, 2, 2),
            DiscoveryData::synthetic(&demo, 3, 2, 2)
        );
    }

    #[test]
    fn retitle_every_hundredth_changes_one_percent() {
        let mut synthetic = DiscoveryData::synthetic(&DiscoveryData::demo(), 100, 2, 1);
        assert_eq!(synthetic.retitle_every(100, " (revised)"), 3);
    }
}
