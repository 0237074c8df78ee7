//! Learner records for Open edX: the domain rules, the single-table store, the HTTP edge and the
//! handlers behind each Lambda function. The function binaries only build an [`app::App`] and
//! hand requests to the handler modules in [`api`].

pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod catalog_copy;
pub mod config;
pub mod domain;
pub mod email;
pub mod events;
pub mod export;
pub mod http;
pub mod mailer;
pub mod page;
pub mod sample_program;
pub mod store;
pub mod telemetry;
pub mod testkit;
pub mod throttle;

pub use app::App;
