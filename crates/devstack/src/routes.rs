//! The route table of the HTTP API, built from `template.yaml`, and request matching as API
//! Gateway HTTP APIs do it:
//!
//! 1. a route without a greedy variable that matches every segment wins over any greedy one.
//!    Among those, the route whose segments are literal furthest to the left wins, so
//!    `/records/programs/shared/{hex}` beats `/records/programs/{hex}/share`;
//! 2. otherwise the greedy route (`{name+}`, always last) with the longest prefix wins;
//! 3. a route for the request's own method wins over an `ANY` route of the same path;
//! 4. nothing matches: API Gateway returns 404 `{"message":"Not Found"}`.
//!
//! A trailing slash is part of the path: `/records` and `/records/` are different routes, and a
//! `{param}` never matches an empty segment.
//!
//! NOTE: API Gateway's documentation describes the order above only in outline (full match,
//! then greedy, then `$default`). The left-to-right literal preference is how its REST APIs
//! resolve overlaps; no route in template.yaml relies on it except the `shared`/`share` pair.

use std::collections::BTreeMap;

use learner_records::http::percent_decode;

use crate::template::{Template, TemplateError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable(String),
    /// `{name+}`: the rest of the path, slashes included; at least one character.
    Greedy(String),
}

/// One route: a method (or `ANY`) and a path pattern, leading to one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The function's binary, which is also its name under `cargo lambda watch`.
    pub binary: String,
    /// The function's logical id in the template.
    pub function: String,
    pub method: String,
    pub path: String,
    segments: Vec<Segment>,
}

impl Route {
    /// API Gateway's route key, such as `ANY /records/programs/{hex}/share`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn is_greedy(&self) -> bool {
        matches!(self.segments.last(), Some(Segment::Greedy(_)))
    }

    /// Returns the path parameters when `path` matches this route.
    fn capture(&self, path: &[&str]) -> Option<BTreeMap<String, String>> {
        let mut parameters = BTreeMap::new();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Greedy(name) => {
                    let rest = path.get(index..)?.join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    parameters.insert(name.clone(), percent_decode(&rest));
                    return Some(parameters);
                }
                Segment::Literal(literal) => {
                    if path.get(index) != Some(&literal.as_str()) {
                        return None;
                    }
                }
                Segment::Variable(name) => {
                    let value = path.get(index).filter(|value| !value.is_empty())?;
                    parameters.insert(name.clone(), percent_decode(value));
                }
            }
        }
        (path.len() == self.segments.len()).then_some(parameters)
    }

    /// Orders matching routes: lower is more specific.
    fn specificity(&self) -> (bool, std::cmp::Reverse<usize>, Vec<u8>, bool) {
        let kinds = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(_) => 0,
                Segment::Variable(_) => 1,
                Segment::Greedy(_) => 2,
            })
            .collect();
        (
            self.is_greedy(),
            std::cmp::Reverse(self.segments.len()),
            kinds,
            self.method == "ANY",
        )
    }
}

/// A request matched to its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    /// Decoded values of the route's path variables.
    pub path_parameters: BTreeMap<String, String>,
}

/// The routes of every function in the template.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
}

fn parse_segments(path: &str) -> Result<Vec<Segment>, String> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("route path {path:?} does not start with /"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (index, part) in parts.iter().enumerate() {
        let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => match name.strip_suffix('+') {
                Some(name) if index + 1 == parts.len() => Segment::Greedy(name.to_owned()),
                Some(_) => {
                    return Err(format!(
                        "route path {path:?} has a greedy variable that is not last"
                    ));
                }
                None => Segment::Variable(name.to_owned()),
            },
            None => Segment::Literal((*part).to_owned()),
        };
        if let Segment::Variable(name) | Segment::Greedy(name) = &segment
            && name.is_empty()
        {
            return Err(format!("route path {path:?} has an unnamed variable"));
        }
        segments.push(segment);
    }
    Ok(segments)
}

impl RouteTable {
    /// Builds the routes of the template this crate was compiled with.
    pub fn builtin() -> Result<Self, TemplateError> {
        Self::from_template(&Template::builtin()?)
    }

    pub fn from_template(template: &Template) -> Result<Self, TemplateError> {
        let mut routes: Vec<Route> = Vec::new();
        for function in &template.functions {
            for route in &function.http_routes {
                let segments = parse_segments(&route.path).map_err(TemplateError::Invalid)?;
                if let Some(existing) = routes
                    .iter()
                    .find(|r| r.method == route.method && r.path == route.path)
                {
                    return Err(TemplateError::Invalid(format!(
                        "route {} {} is declared by both {} and {}",
                        route.method, route.path, existing.function, function.logical_id
                    )));
                }
                routes.push(Route {
                    binary: function.binary.clone(),
                    function: function.logical_id.clone(),
                    method: route.method.clone(),
                    path: route.path.clone(),
                    segments,
                });
            }
        }
        Ok(Self { routes })
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Finds the route for a request. `raw_path` is the path as the client sent it (still
    /// percent-encoded, without the query string).
    pub fn find(&self, method: &str, raw_path: &str) -> Option<RouteMatch<'_>> {
        let path: Vec<&str> = raw_path.strip_prefix('/')?.split('/').collect();
        self.routes
            .iter()
            .filter(|route| route.method == "ANY" || route.method.eq_ignore_ascii_case(method))
            .filter_map(|route| {
                route.capture(&path).map(|path_parameters| RouteMatch {
                    route,
                    path_parameters,
                })
            })
            .min_by_key(|found| found.route.specificity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: &str = "927093e346ba4f44a8610f8c7aec4f74";
    const LINK: &str = "0f5c2b4a8d9e4c1fa6b7c8d9e0f1a2b3";

    static ROUTES: std::sync::LazyLock<RouteTable> =
        std::sync::LazyLock::new(|| RouteTable::builtin().unwrap());

    fn table() -> &'static RouteTable {
        &ROUTES
    }

    fn binary_for(method: &str, path: &str) -> Option<String> {
        table()
            .find(method, path)
            .map(|found| found.route.binary.clone())
    }

    fn parameters_for(path: &str) -> BTreeMap<String, String> {
        table().find("GET", path).unwrap().path_parameters
    }

    #[test]
    fn table_routes_every_http_function() {
        let table = table();
        let mut binaries: Vec<&str> = table
            .routes()
            .iter()
            .map(|route| route.binary.as_str())
            .collect();
        binaries.dedup();
        assert_eq!(
            binaries,
            ["records", "public-record", "share-credit", "ingest"]
        );
    }

    #[test]
    fn table_has_every_template_route() {
        let keys: Vec<String> = table().routes().iter().map(Route::route_key).collect();
        assert_eq!(
            keys,
            [
                "ANY /records",
                "ANY /records/",
                "ANY /records/api/v1/program_records/",
                "ANY /records/api/v1/program_records",
                "ANY /records/api/v1/program_records/{id}/",
                "ANY /records/api/v1/program_records/{id}",
                "ANY /records/programs/{hex}",
                "ANY /records/programs/{hex}/",
                "ANY /csrf/api/v1/token",
                "ANY /records/programs/{hex}/share",
                "ANY /records/programs/shared/{hex}",
                "ANY /records/programs/shared/{hex}/",
                "ANY /records/programs/shared/{hex}/csv",
                "ANY /records/programs/{hex}/send",
                "ANY /api/v2/credentials/",
                "ANY /api/v2/credentials/{uuid}/",
                "ANY /api/v2/grades/",
                "ANY /api/v2/grades/{id}/",
                "ANY /api/v2/course_certificates/",
                "ANY /api/v2/course_certificates/{course_id+}",
                "ANY /api/v2/replace_usernames/",
            ]
        );
    }

    /// The paths the MFE and the LMS call, and the upstream URL map, with the function that
    /// must handle each.
    #[test]
    fn client_paths_reach_their_functions() {
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            // The MFE.
            (
                "GET",
                "/records/api/v1/program_records/".into(),
                Some("records"),
            ),
            (
                "GET",
                format!("/records/api/v1/program_records/{PROGRAM}/"),
                Some("records"),
            ),
            (
                "OPTIONS",
                format!("/records/api/v1/program_records/{PROGRAM}/"),
                Some("records"),
            ),
            ("GET", "/csrf/api/v1/token".into(), Some("records")),
            (
                "POST",
                format!("/records/programs/{PROGRAM}/share"),
                Some("public-record"),
            ),
            (
                "POST",
                format!("/records/programs/{PROGRAM}/send"),
                Some("share-credit"),
            ),
            (
                "GET",
                format!("/records/programs/shared/{LINK}/csv"),
                Some("public-record"),
            ),
            // Links from the LMS, partner emails and the share response.
            ("GET", "/records".into(), Some("records")),
            ("GET", "/records/".into(), Some("records")),
            (
                "GET",
                format!("/records/programs/{PROGRAM}"),
                Some("records"),
            ),
            (
                "GET",
                format!("/records/programs/{PROGRAM}/"),
                Some("records"),
            ),
            (
                "GET",
                format!("/records/programs/shared/{LINK}"),
                Some("public-record"),
            ),
            (
                "GET",
                format!("/records/programs/shared/{LINK}/"),
                Some("public-record"),
            ),
            // The LMS.
            ("POST", "/api/v2/credentials/".into(), Some("ingest")),
            ("GET", "/api/v2/credentials/".into(), Some("ingest")),
            (
                "PATCH",
                "/api/v2/credentials/5f3a9b1c-2d4e-4f60-8a7b-9c0d1e2f3a4b/".into(),
                Some("ingest"),
            ),
            ("POST", "/api/v2/grades/".into(), Some("ingest")),
            ("PUT", "/api/v2/grades/42/".into(), Some("ingest")),
            (
                "POST",
                "/api/v2/course_certificates/".into(),
                Some("ingest"),
            ),
            (
                "GET",
                "/api/v2/course_certificates/course-v1:A+B+C/".into(),
                Some("ingest"),
            ),
            (
                "GET",
                "/api/v2/course_certificates/edX/DemoX/2014/".into(),
                Some("ingest"),
            ),
            ("POST", "/api/v2/replace_usernames/".into(), Some("ingest")),
            // Paths no route declares.
            ("GET", "/".into(), None),
            ("GET", "/records/api/v1/".into(), None),
            // The list and the record are also served without the final slash.
            (
                "GET",
                "/records/api/v1/program_records".into(),
                Some("records"),
            ),
            ("GET", "/records/programs/".into(), None),
            ("GET", "/records/programs//share".into(), None),
            ("GET", format!("/records/programs/shared/{LINK}/csv/"), None),
            ("POST", "/api/v2/grades".into(), None),
            ("GET", "/api/v2/credentials/x/y/".into(), None),
        ];
        for (method, path, expected) in cases {
            assert_eq!(
                binary_for(method, &path).as_deref(),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn share_route_takes_the_program_hex() {
        let found = table()
            .find("POST", &format!("/records/programs/{PROGRAM}/share"))
            .unwrap();
        assert_eq!(found.route.path, "/records/programs/{hex}/share");
        assert_eq!(found.path_parameters["hex"], PROGRAM);
    }

    #[test]
    fn shared_record_route_takes_the_link_hex() {
        let found = table()
            .find("GET", &format!("/records/programs/shared/{LINK}/"))
            .unwrap();
        assert_eq!(found.route.path, "/records/programs/shared/{hex}/");
        assert_eq!(found.path_parameters["hex"], LINK);
    }

    #[test]
    fn literal_segment_beats_variable_on_overlap() {
        // `/records/programs/shared/share` fits both `{hex}/share` and `shared/{hex}`; the
        // literal `shared` on the left decides.
        let found = table()
            .find("POST", "/records/programs/shared/share")
            .unwrap();
        assert_eq!(found.route.path, "/records/programs/shared/{hex}");
    }

    #[test]
    fn greedy_variable_keeps_the_trailing_slash() {
        assert_eq!(
            parameters_for("/api/v2/course_certificates/course-v1:A+B+C/")["course_id"],
            "course-v1:A+B+C/"
        );
    }

    #[test]
    fn greedy_variable_spans_slashes() {
        assert_eq!(
            parameters_for("/api/v2/course_certificates/edX/DemoX/2014")["course_id"],
            "edX/DemoX/2014"
        );
    }

    #[test]
    fn greedy_variable_needs_a_value() {
        let found = table().find("GET", "/api/v2/course_certificates/").unwrap();
        assert_eq!(found.route.path, "/api/v2/course_certificates/");
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        assert_eq!(
            parameters_for("/api/v2/course_certificates/course-v1%3AA%2BB%2BC/")["course_id"],
            "course-v1:A+B+C/"
        );
    }

    #[test]
    fn specific_method_beats_any() {
        let template = Template {
            functions: vec![
                crate::template::TemplateFunction {
                    logical_id: "Reader".to_owned(),
                    binary: "reader".to_owned(),
                    http_routes: vec![crate::template::TemplateRoute {
                        event: "Any".to_owned(),
                        method: "ANY".to_owned(),
                        path: "/items/{id}".to_owned(),
                    }],
                },
                crate::template::TemplateFunction {
                    logical_id: "Writer".to_owned(),
                    binary: "writer".to_owned(),
                    http_routes: vec![crate::template::TemplateRoute {
                        event: "Post".to_owned(),
                        method: "POST".to_owned(),
                        path: "/items/{id}".to_owned(),
                    }],
                },
            ],
            table: Template::builtin().unwrap().table,
        };
        let table = RouteTable::from_template(&template).unwrap();
        assert_eq!(
            table.find("POST", "/items/1").unwrap().route.binary,
            "writer"
        );
        assert_eq!(
            table.find("GET", "/items/1").unwrap().route.binary,
            "reader"
        );
    }

    #[test]
    fn greedy_variable_must_be_last() {
        assert!(parse_segments("/a/{rest+}/b").is_err());
    }

    #[test]
    fn route_path_must_start_with_slash() {
        assert!(parse_segments("records").is_err());
    }
}
