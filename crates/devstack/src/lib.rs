//! Local stand-ins and operator tools for learner-records: the route table read from
//! `template.yaml`, the local API gateway that serves it on 127.0.0.1, the admin CLI and the
//! demo data that `make dev` posts.

pub mod admin;
pub mod demo;
pub mod dev_token;
pub mod discovery;
pub mod gateway;
pub mod routes;
pub mod template;
