//! The settings commands: show and change the site configuration, and set a program's
//! certificate configuration. Each change writes its item and bumps the settings version in one
//! transaction, so warm functions never see a version whose settings are not written yet.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use learner_records::domain::{ProgramCertificate, SiteConfiguration};
use learner_records::store::cache::KIND_SITE;
use learner_records::store::{Item, Store, keys};
use serde_json::{Value, json};

use super::{AdminError, ProgramCertificateArgs, SiteSetArgs};

/// The stored site configuration, or the defaults when none is stored.
async fn stored_site(store: &Store) -> Result<SiteConfiguration, AdminError> {
    match store.get(&keys::site_configuration()).await? {
        Some(item) => Ok(store.decode(&item)?),
        None => Ok(SiteConfiguration::default()),
    }
}

/// Writes an item of the settings partition and bumps the settings version atomically.
async fn put_setting(store: &Store, item: Item) -> Result<u64, AdminError> {
    let put = Put::builder()
        .table_name(store.table())
        .set_item(Some(item))
        .build()
        .map_err(|e| AdminError::Failed(format!("building the settings write failed: {e}")))?;
    store
        .transact(vec![
            TransactWriteItem::builder().put(put).build(),
            store.settings_version_bump(),
        ])
        .await?;
    Ok(store.versions().await?.settings)
}

/// Prints the stored site configuration with the settings version.
pub async fn show(store: &Store) -> Result<Value, AdminError> {
    let site = stored_site(store).await?;
    let version = store.versions().await?.settings;
    Ok(json!({ "settings_version": version, "site_configuration": site }))
}

/// Applies the given fields to the stored site configuration.
pub fn apply(site: &mut SiteConfiguration, args: &SiteSetArgs) {
    if let Some(name) = &args.platform_name {
        site.platform_name.clone_from(name);
    }
    if let Some(enabled) = args.records_enabled {
        site.records_enabled = enabled;
    }
    if let Some(address) = &args.partner_from_address {
        site.partner_from_address.clone_from(address);
    }
    if let Some(url) = &args.mfe_url {
        site.learner_record_mfe_url.clone_from(url);
    }
    if let Some(url) = &args.help_url {
        site.records_help_url.clone_from(url);
    }
    if let Some(show) = args.show_email_publicly {
        site.show_email_publicly = show;
    }
    if let Some(expiry) = args.link_expiry_days {
        site.public_link_expiry_days = expiry.0;
    }
}

/// Changes the given fields of the site configuration and returns the stored result.
pub async fn set_site(store: &Store, args: &SiteSetArgs) -> Result<Value, AdminError> {
    let mut site = stored_site(store).await?;
    apply(&mut site, args);
    let item = Store::item(&keys::site_configuration(), KIND_SITE, &site)?;
    let version = put_setting(store, item).await?;
    Ok(json!({ "settings_version": version, "site_configuration": site }))
}

/// Creates or replaces a program's certificate configuration.
pub async fn set_program_certificate(
    store: &Store,
    args: &ProgramCertificateArgs,
) -> Result<Value, AdminError> {
    let certificate = ProgramCertificate {
        program_uuid: args.program,
        is_active: !args.inactive,
        language: args.language.clone(),
        title: args.title.clone(),
    };
    store.put_program_certificate(&certificate).await?;
    let version = store.versions().await?.settings;
    Ok(json!({ "settings_version": version, "program_certificate": certificate }))
}
