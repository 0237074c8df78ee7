//! Course and program credentials. Each lives in its learner's partition (so one query loads a
//! learner), carries GSI1 keys to resolve `/api/v2/credentials/{uuid}/`, and GSI2 keys that put
//! every credential into one listing ordered by creation, for the staff listing without a
//! username filter.
//!
//! A credential change is one request: a conditional PutItem, or one TransactWriteItems when a
//! course certificate configuration or the learner's profile is written with it.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::{
    CourseCertificate, CredentialSubject, LearnerProfile, UserCredential, Username, Uuid,
};

use super::keys::{self, Key};
use super::learner::{KIND_CREDENTIAL, KIND_PROFILE};
use super::optimistic::{Expect, Stored};
use super::{Item, Store, StoreError, string_attribute};

/// Returns the learner-partition key of a credential: one per learner and course run and mode, or per
/// learner and program.
pub fn credential_key(credential: &UserCredential) -> Key {
    subject_key(&credential.username, &credential.subject)
}

/// Returns the key of a learner's credential for a subject.
pub fn subject_key(username: &Username, subject: &CredentialSubject) -> Key {
    match subject {
        CredentialSubject::CourseRun {
            course_run_key,
            mode,
        } => keys::course_credential(username, course_run_key, *mode),
        CredentialSubject::Program { program_uuid } => {
            keys::program_credential(username, program_uuid)
        }
    }
}

/// A credential change and what is written with it in the same request.
#[derive(Debug, Clone, Copy)]
pub struct CredentialWrite<'a> {
    pub credential: &'a UserCredential,
    /// The `data` of the credential as read before the change; `None` when it is new.
    pub previous: Option<&'a str>,
    /// A course certificate configuration to create along with the credential.
    pub new_course_certificate: Option<&'a CourseCertificate>,
    pub profile: Option<ProfileWrite<'a>>,
}

/// A learner profile to store, and the `data` of the profile it replaces (`None` when new).
#[derive(Debug, Clone, Copy)]
pub struct ProfileWrite<'a> {
    pub profile: &'a LearnerProfile,
    pub previous: Option<&'a str>,
}

impl Store {
    /// Builds the item of a credential, with its index keys.
    pub fn credential_item(credential: &UserCredential) -> Result<Item, StoreError> {
        let mut item = Self::item(&credential_key(credential), KIND_CREDENTIAL, credential)?;
        let by_uuid = keys::credential_by_uuid(&credential.uuid);
        let listing_sort =
            keys::credential_listing_sort(credential.created.timestamp_micros(), &credential.uuid);
        item.insert(keys::GSI1_PK.to_owned(), AttributeValue::S(by_uuid.pk));
        item.insert(keys::GSI1_SK.to_owned(), AttributeValue::S(by_uuid.sk));
        item.insert(
            keys::GSI2_PK.to_owned(),
            AttributeValue::S(keys::ALL_CREDENTIALS.to_owned()),
        );
        item.insert(keys::GSI2_SK.to_owned(), AttributeValue::S(listing_sort));
        Ok(item)
    }

    /// Reads one credential by its learner-partition key (strongly consistent).
    pub async fn get_credential(
        &self,
        key: &Key,
    ) -> Result<Option<Stored<UserCredential>>, StoreError> {
        self.get_stored(key).await
    }

    /// Finds a credential by its uuid through GSI1 (eventually consistent: a credential created
    /// a moment ago may not be found yet).
    pub async fn find_credential(
        &self,
        uuid: &Uuid,
    ) -> Result<Option<Stored<UserCredential>>, StoreError> {
        let by_uuid = keys::credential_by_uuid(uuid);
        let (items, _) = self
            .query_index(keys::GSI1, keys::GSI1_PK, &by_uuid.pk, None, None)
            .await?;
        items
            .iter()
            .find(|item| string_attribute(item, keys::GSI1_SK) == Some(by_uuid.sk.as_str()))
            .map(|item| self.decode_stored(item))
            .transpose()
    }

    /// Reads every credential of every learner through GSI2, oldest first, following pages to
    /// the end.
    // NOTE: the cost grows with the number of credentials stored. Only the staff listing without
    // a username filter uses it; the LMS always filters by username.
    pub async fn list_all_credentials(&self) -> Result<Vec<UserCredential>, StoreError> {
        let mut credentials = Vec::new();
        let mut start = None;
        loop {
            let (items, next) = self
                .query_index(
                    keys::GSI2,
                    keys::GSI2_PK,
                    keys::ALL_CREDENTIALS,
                    None,
                    start.take(),
                )
                .await?;
            for item in &items {
                credentials.push(self.decode::<UserCredential>(item)?);
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(credentials),
            }
        }
    }

    /// Writes a credential if it is still as read, with whatever goes with it, in one request.
    /// Any item found in another state than expected cancels the whole write with
    /// [`StoreError::ConditionFailed`].
    pub async fn write_credential(&self, write: CredentialWrite<'_>) -> Result<(), StoreError> {
        let item = Self::credential_item(write.credential)?;
        let expect = Expect::from_previous(write.previous);
        if write.new_course_certificate.is_none() && write.profile.is_none() {
            return self.put_expecting(item, expect).await;
        }

        let mut actions = vec![self.conditional_put(item, expect)];
        if let Some(certificate) = write.new_course_certificate {
            actions.push(
                self.conditional_put(Self::course_certificate_item(certificate)?, Expect::Absent),
            );
            actions.push(self.settings_version_bump());
        }
        if let Some(profile) = write.profile {
            let item = Self::item(
                &keys::profile(&write.credential.username),
                KIND_PROFILE,
                profile.profile,
            )?;
            actions.push(self.conditional_put(item, Expect::from_previous(profile.previous)));
        }
        self.transact(actions).await
    }
}
