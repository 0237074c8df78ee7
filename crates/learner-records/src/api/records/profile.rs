//! Keeps the requester's stored profile in step with their token. Public views and partner
//! emails read the stored profile, so it must contain what the LMS last sent about the learner.

use crate::app::App;
use crate::auth::Identity;
use crate::domain::LearnerProfile;
use crate::http::error::cause_chain;
use crate::store::StoreError;

/// Builds the requester's profile as their token describes it, on top of the stored one. A
/// claim the token leaves empty keeps the stored value, because edx-drf-extensions copies only
/// the claims a token contains, and an [`Identity`] cannot tell an absent claim from an empty one.
pub fn claimed_profile(identity: &Identity, stored: Option<&LearnerProfile>) -> LearnerProfile {
    let mut profile = stored.cloned().unwrap_or_default();
    profile.username = Some(identity.username.clone());
    if !identity.full_name.is_empty() {
        profile.full_name.clone_from(&identity.full_name);
    }
    if !identity.email.is_empty() {
        profile.email.clone_from(&identity.email);
    }
    if identity.lms_user_id.is_some() {
        profile.lms_user_id = identity.lms_user_id;
    }
    profile
}

/// Writes the requester's profile when their token differs from `stored` (one PutItem, none when
/// nothing changed), and returns the profile as the token describes it. `stored` is the result
/// of reading the stored profile. When that read failed, nothing is written and `None` comes
/// back.
///
/// A failed write is logged and swallowed: the request only reads, and a profile that is one
/// visit behind is better than refusing the learner their record.
pub async fn sync(
    app: &App,
    identity: &Identity,
    stored: Result<Option<&LearnerProfile>, &StoreError>,
) -> Option<LearnerProfile> {
    let stored = match stored {
        Ok(stored) => stored,
        Err(error) => {
            tracing::error!(username = %identity.username, error = %cause_chain(error), "profile sync skipped: reading the stored profile failed");
            return None;
        }
    };
    let fresh = claimed_profile(identity, stored);
    match app
        .store
        .sync_profile(&identity.username, stored, &fresh)
        .await
    {
        Ok(true) => {
            tracing::info!(username = %identity.username, "profile updated from token claims")
        }
        Ok(false) => {}
        Err(error) => {
            tracing::error!(username = %identity.username, error = %cause_chain(&error), "profile sync failed");
        }
    }
    Some(fresh)
}
