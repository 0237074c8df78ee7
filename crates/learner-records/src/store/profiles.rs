//! A learner's profile read on its own, for requests that need the requester's stored profile
//! but not the rest of the requester's partition.

use crate::domain::{LearnerProfile, Username};

use super::keys;
use super::{Store, StoreError};

impl Store {
    /// Loads a learner's stored profile with one GetItem; `None` when none is stored.
    pub async fn load_profile(
        &self,
        username: &Username,
    ) -> Result<Option<LearnerProfile>, StoreError> {
        match self.get(&keys::profile(username)).await? {
            Some(item) => Ok(Some(self.decode(&item)?)),
            None => Ok(None),
        }
    }
}
