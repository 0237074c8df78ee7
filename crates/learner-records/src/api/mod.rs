//! One handler module per Lambda function. Each exposes `handle(app, request)`, routing on the
//! raw path so it behaves the same behind API Gateway, the local gateway and `cargo lambda watch`.

pub mod ingest;
pub mod public_record;
pub mod records;
pub mod routing;
pub mod share_credit;
