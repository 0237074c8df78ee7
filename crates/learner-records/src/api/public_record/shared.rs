//! The record page (or a redirect to the MFE) and the CSV export behind a public link.
//!
//! Both routes resolve the link and read the snapshot together (one GetItem each, in one round
//! trip), then load the owner's partition with one Query, so a view costs two round trips.

use chrono::Utc;
use lambda_http::Body;
use lambda_http::http::{HeaderName, HeaderValue, StatusCode, header};

use crate::app::App;
use crate::auth::Identity;
use crate::config::CsvDownload;
use crate::domain::record::{ProgramRecord, Viewer, build_program_record};
use crate::domain::{PublicLink, SiteConfiguration, Uuid};
use crate::export::bucket::{self, Export};
use crate::export::{self, DownloadName};
use crate::http::{ApiError, Request, Response, header_value, html, json, redirect, requester};
use crate::page::messages::{Language, negotiate};
use crate::page::{self, Page};
use crate::store::cache::Snapshot;

/// A link that resolved, with what was read beside it.
struct Resolved {
    link: PublicLink,
    snapshot: Snapshot,
    site: SiteConfiguration,
}

/// `GET …/shared/{link}`: a redirect to the MFE's public record, or this service's page.
pub async fn page(app: &App, request: &Request, link: &Uuid) -> Result<Response, ApiError> {
    let language = negotiate(header_value(request, "accept-language"));
    let requester = requester(app, request)?;
    let Some(resolved) = resolve(app, requester.as_ref(), link).await? else {
        return Ok(not_found_page(language));
    };

    let mfe = &resolved.site.learner_record_mfe_url;
    if !mfe.is_empty() {
        let mut response = redirect(&format!("{mfe}/shared/{}", link.hex()));
        set_header(&mut response, header::CACHE_CONTROL, "no-store");
        return Ok(response);
    }

    let Some(record) = load_record(app, &resolved, requester.as_ref()).await? else {
        return Ok(not_found_page(language));
    };
    let csv_url = app
        .config
        .public_url(&format!("/records/programs/shared/{}/csv", link.hex()));
    let page = page::record_page(&record, language, &csv_url, Utc::now());
    Ok(page_response(StatusCode::OK, page))
}

/// `GET …/shared/{link}/csv`: the record as a CSV attachment, inline or through S3.
pub async fn csv(app: &App, request: &Request, link: &Uuid) -> Result<Response, ApiError> {
    let requester = requester(app, request)?;
    let Some(resolved) = resolve(app, requester.as_ref(), link).await? else {
        return Ok(not_found(request));
    };
    let Some(record) = load_record(app, &resolved, requester.as_ref()).await? else {
        return Ok(not_found(request));
    };

    let bytes = export::record_csv(&record).map_err(ApiError::internal)?;
    let content_disposition =
        DownloadName::new(&record.learner.username, &record.program.name).content_disposition();

    let inline = match app.config.csv_download {
        CsvDownload::Inline => true,
        CsvDownload::Redirect => false,
        CsvDownload::Auto => !resolved.site.learner_record_mfe_url.is_empty(),
    };
    if inline {
        return Ok(csv_response(bytes, &content_disposition));
    }

    if app.config.export_bucket.is_empty() {
        return Err(ApiError::internal(
            "EXPORT_BUCKET is not set, so the CSV export cannot be stored; set it or CSV_DOWNLOAD=inline",
        ));
    }
    let export = Export {
        key: export::object_key(&resolved.link.uuid, &bytes),
        bytes,
        content_disposition,
    };
    let url = bucket::publish(&app.s3, &app.config.export_bucket, export)
        .await
        .map_err(|error| ApiError::BadGateway {
            message: "Storing the CSV export failed; try again shortly.".to_owned(),
            source: Some(Box::new(error)),
        })?;
    let mut response = redirect(&url);
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    // The URL is a bearer credential for the file, so keep it and the link out of Referer
    // headers.
    set_header(&mut response, header::REFERRER_POLICY, "no-referrer");
    Ok(response)
}

/// Resolves a link and reads the snapshot in one round trip. `None` when the link is unknown,
/// revoked or expired, and for logged-in requesters while records are switched off.
async fn resolve(
    app: &App,
    requester: Option<&Identity>,
    link: &Uuid,
) -> Result<Option<Resolved>, ApiError> {
    let (link, snapshot) = tokio::join!(app.store.resolve_link(link, Utc::now()), app.snapshot());
    let (link, snapshot) = (link?, snapshot?);
    let site = app.site_configuration(&snapshot.settings);
    if requester.is_some() && !site.records_enabled {
        return Ok(None);
    }
    Ok(link.map(|link| Resolved {
        link,
        snapshot,
        site,
    }))
}

/// Builds the owner's record for the viewer. `None` when the program has left the catalog.
async fn load_record(
    app: &App,
    resolved: &Resolved,
    requester: Option<&Identity>,
) -> Result<Option<ProgramRecord>, ApiError> {
    let link = &resolved.link;
    let catalog = &resolved.snapshot.catalog;
    let Some(program) = catalog.program(&link.program_uuid) else {
        return Ok(None);
    };
    let learner = app.store.load_learner(&link.username).await?;
    let viewer = match requester {
        Some(identity) if identity.is_staff || identity.username == link.username => {
            Viewer::OwnerOrStaff
        }
        _ => Viewer::Public,
    };
    Ok(Some(build_program_record(
        catalog,
        &resolved.snapshot.settings,
        program,
        &link.username,
        &learner,
        viewer,
    )))
}

fn page_response(status: StatusCode, page: Page) -> Response {
    let mut response = html(status, page.html);
    set_header(
        &mut response,
        header::CONTENT_SECURITY_POLICY,
        page.content_security_policy,
    );
    set_header(&mut response, header::CONTENT_LANGUAGE, page.language);
    set_header(&mut response, header::REFERRER_POLICY, "no-referrer");
    set_private_headers(&mut response);
    response
}

fn not_found_page(language: &Language) -> Response {
    page_response(StatusCode::NOT_FOUND, page::not_found_page(language))
}

/// Builds the CSV route's 404: the HTML page for a browser navigating to the link, JSON
/// otherwise.
fn not_found(request: &Request) -> Response {
    let browser =
        header_value(request, "accept").is_some_and(|accept| accept.contains("text/html"));
    if browser {
        not_found_page(negotiate(header_value(request, "accept-language")))
    } else {
        json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"detail": "Not found."}),
        )
    }
}

fn csv_response(bytes: Vec<u8>, content_disposition: &str) -> Response {
    let mut response = lambda_http::Response::new(Body::Binary(bytes));
    set_header(&mut response, header::CONTENT_TYPE, export::CONTENT_TYPE);
    set_header(
        &mut response,
        header::CONTENT_DISPOSITION,
        content_disposition,
    );
    set_private_headers(&mut response);
    response
}

/// Sets the headers of a learner's record: never stored by caches (a revoked link must stop working at
/// once), never indexed, never sniffed as another type.
fn set_private_headers(response: &mut Response) {
    set_header(response, header::CACHE_CONTROL, "no-store");
    set_header(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_header(
        response,
        HeaderName::from_static("x-robots-tag"),
        "noindex, nofollow",
    );
}

fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
