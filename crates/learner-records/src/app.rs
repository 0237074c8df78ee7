//! Everything a function needs, built once at start-up and borrowed by every request: the
//! configuration, SDK clients, the store with its caches, and the token verifiers.

use aws_config::SdkConfig;

use crate::auth::{Authenticator, CsrfTokens};
use crate::config::{Config, ConfigError};
use crate::domain::{SiteConfiguration, SiteSettings};
use crate::events::EventPublisher;
use crate::mailer::Mailer;
use crate::store::cache::Snapshot;
use crate::store::{RequestCounter, SiteCache, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("JWT configuration is unusable: {0}")]
    Jwt(String),
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: Store,
    pub cache: SiteCache,
    pub auth: Authenticator,
    pub csrf: CsrfTokens,
    pub events: EventPublisher,
    pub mailer: Mailer,
    pub s3: aws_sdk_s3::Client,
    /// Requests sent by every SDK client of this app, by operation.
    pub counter: RequestCounter,
}

impl App {
    /// Builds the app from the environment: `Config::from_env` and the default AWS
    /// configuration chain (which honours `AWS_ENDPOINT_URL` for the local stack).
    pub async fn from_env() -> Result<Self, InitError> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(config, &sdk)
    }

    /// Builds the app from a configuration and an SDK configuration. Every client gets the
    /// request counter.
    pub fn new(config: Config, sdk: &SdkConfig) -> Result<Self, InitError> {
        let counter = RequestCounter::new();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let events = if config.event_bus_name.is_empty() {
            EventPublisher::Disabled
        } else {
            EventPublisher::EventBridge {
                client: aws_sdk_eventbridge::Client::from_conf(
                    aws_sdk_eventbridge::config::Builder::from(sdk)
                        .interceptor(counter.clone())
                        .build(),
                ),
                bus: config.event_bus_name.clone(),
            }
        };

        Ok(Self {
            auth: Authenticator::new(config.jwt.clone()).map_err(InitError::Jwt)?,
            csrf: CsrfTokens::new(&config.csrf_secret_key),
            store: Store::new(dynamodb, config.table_name.clone()),
            cache: SiteCache::new(),
            events,
            mailer: Mailer::Ses(ses),
            s3,
            counter,
            config,
        })
    }

    /// The current catalog and site settings (one GetItem when the caches are current).
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.cache.current(&self.store).await
    }

    /// The site configuration in force: the stored one, with the deployment's environment
    /// filling the URLs and addresses it leaves empty.
    pub fn site_configuration(&self, settings: &SiteSettings) -> SiteConfiguration {
        let mut site = settings.configuration.clone();
        if site.lms_url_root.is_empty() {
            site.lms_url_root.clone_from(&self.config.lms_url_root);
        }
        if site.learner_record_mfe_url.is_empty() {
            site.learner_record_mfe_url
                .clone_from(&self.config.learner_record_mfe_url);
        }
        if site.partner_from_address.is_empty() {
            site.partner_from_address
                .clone_from(&self.config.partner_from_address);
        }
        site.lms_url_root = site.lms_url_root.trim_end_matches('/').to_owned();
        site.learner_record_mfe_url = site.learner_record_mfe_url.trim_end_matches('/').to_owned();
        site
    }
}
