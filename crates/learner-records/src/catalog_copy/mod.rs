//! The catalog copy from course-discovery: fetches organizations, courses with their runs,
//! programs and pathways, and makes them visible to readers in one step. See
//! `docs/data-model.md` for the versioned-items design, the request counts and how deletions
//! are handled.
//!
//! [`client`] talks HTTP to Discovery, [`parse`] reads its JSON, [`assemble`] builds the next
//! catalog against the visible one, [`history`] works out which stored item versions are
//! visible, left over or superseded, and [`run`] ties them to the store.

pub mod assemble;
pub mod client;
pub mod config;
pub mod error;
pub mod history;
pub mod parse;
pub mod run;
pub mod summary;

pub use client::{DiscoveryClient, Resource};
pub use config::{CatalogCopyConfig, RetryPolicy};
pub use error::CopyError;
pub use run::CatalogCopy;
pub use summary::{CopySummary, Problem, ProblemCode};
