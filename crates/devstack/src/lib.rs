//! placeholder

pub mod discovery;
