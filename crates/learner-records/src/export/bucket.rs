//! Exports in the S3 export bucket: written once per content, then handed to the browser
//! through a short-lived presigned GET URL. The URL sets the response's `Content-Type` and
//! `Content-Disposition` too, so the download is an attachment even for an object written
//! before a header rule changed.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::CONTENT_TYPE;
use crate::store::error::BoxedCause;

/// How long a download URL works. Long enough for a browser to follow the redirect, short
/// enough that a URL copied out of the address bar soon stops working.
pub const DOWNLOAD_URL_LIFETIME: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("S3 HeadObject of s3://{bucket}/{key} failed")]
    Head {
        bucket: String,
        key: String,
        #[source]
        source: BoxedCause,
    },
    #[error("S3 PutObject of s3://{bucket}/{key} failed")]
    Put {
        bucket: String,
        key: String,
        #[source]
        source: BoxedCause,
    },
    #[error("presigning a GET of s3://{bucket}/{key} failed")]
    Presign {
        bucket: String,
        key: String,
        #[source]
        source: BoxedCause,
    },
}

/// One export to store: its key, bytes and `Content-Disposition`.
#[derive(Debug, Clone)]
pub struct Export {
    pub key: String,
    pub bytes: Vec<u8>,
    pub content_disposition: String,
}

/// Stores an export unless its object already exists, and returns a presigned download URL.
/// Costs one HeadObject, plus one PutObject the first time; presigning sends no request.
///
/// HeadObject returns 404 for a missing object only when the caller may list the bucket.
/// Without `s3:ListBucket` S3 returns 403, which this function reports as a failure.
pub async fn publish(s3: &Client, bucket: &str, export: Export) -> Result<String, BucketError> {
    let Export {
        key,
        bytes,
        content_disposition,
    } = export;

    let head = s3.head_object().bucket(bucket).key(&key).send().await;
    let exists = match head {
        Ok(_) => true,
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => false,
        Err(error) => {
            return Err(BucketError::Head {
                bucket: bucket.to_owned(),
                key,
                source: Box::new(error),
            });
        }
    };

    if !exists {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .content_type(CONTENT_TYPE)
            .content_disposition(&content_disposition)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|error| BucketError::Put {
                bucket: bucket.to_owned(),
                key: key.clone(),
                source: Box::new(error),
            })?;
    }

    let presign_error = |source: BoxedCause| BucketError::Presign {
        bucket: bucket.to_owned(),
        key: key.clone(),
        source,
    };
    let config = PresigningConfig::expires_in(DOWNLOAD_URL_LIFETIME)
        .map_err(|error| presign_error(Box::new(error)))?;
    let request = s3
        .get_object()
        .bucket(bucket)
        .key(&key)
        .response_content_type(CONTENT_TYPE)
        .response_content_disposition(&content_disposition)
        .presigned(config)
        .await
        .map_err(|error| presign_error(Box::new(error)))?;
    Ok(request.uri().to_owned())
}
