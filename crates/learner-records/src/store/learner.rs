//! Reading and writing the items of one learner's partition.

use crate::domain::{
    CreditPathwaySend, LearnerData, LearnerProfile, PublicLink, UserCredential, UserGrade, Username,
};

use super::keys::{self, CREDENTIAL_PREFIX, GRADE_PREFIX, LINK_PREFIX, SEND_PREFIX};
use super::{Item, Store, StoreError, string_attribute};

pub const KIND_PROFILE: &str = "profile";
pub const KIND_GRADE: &str = "grade";
pub const KIND_CREDENTIAL: &str = "credential";
pub const KIND_LINK: &str = "learner-link";
pub const KIND_SEND: &str = "credit-send";

impl Store {
    /// Loads everything stored for a learner with one Query (more only past 1 MB of items).
    pub async fn load_learner(&self, username: &Username) -> Result<LearnerData, StoreError> {
        let items = self
            .query_partition(&keys::learner_partition(username), None)
            .await?;
        self.decode_learner(&items)
    }

    /// Sorts a learner partition's items into their domain types.
    pub fn decode_learner(&self, items: &[Item]) -> Result<LearnerData, StoreError> {
        let mut data = LearnerData::default();
        for item in items {
            let sk = string_attribute(item, keys::SK).unwrap_or_default();
            if sk == "PROFILE" {
                data.profile = Some(self.decode::<LearnerProfile>(item)?);
            } else if sk.starts_with(GRADE_PREFIX) {
                data.grades.push(self.decode::<UserGrade>(item)?);
            } else if sk.starts_with(CREDENTIAL_PREFIX) {
                data.credentials.push(self.decode::<UserCredential>(item)?);
            } else if sk.starts_with(LINK_PREFIX) {
                data.links.push(self.decode::<PublicLink>(item)?);
            } else if sk.starts_with(SEND_PREFIX) {
                data.sends.push(self.decode::<CreditPathwaySend>(item)?);
            }
        }
        Ok(data)
    }

    /// Stores a learner's profile when it differs from the stored one; returns whether it wrote.
    pub async fn sync_profile(
        &self,
        username: &Username,
        stored: Option<&LearnerProfile>,
        fresh: &LearnerProfile,
    ) -> Result<bool, StoreError> {
        if stored == Some(fresh) {
            return Ok(false);
        }
        let item = Self::item(&keys::profile(username), KIND_PROFILE, fresh)?;
        self.put(item).await?;
        Ok(true)
    }
}
