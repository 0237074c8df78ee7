//! Grades in the learner's partition, one per course run, with GSI1 keys so the grades API can
//! address a grade by its numeric id.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::{CourseRunKey, UserGrade, Username};

use super::keys;
use super::learner::KIND_GRADE;
use super::optimistic::{Expect, Stored};
use super::{Item, Store, StoreError, string_attribute};

/// The largest grade id plus one: 2^53, so every id survives a JSON client that reads numbers
/// as doubles.
const GRADE_ID_LIMIT: u64 = 1 << 53;

/// Returns a new random grade id in 1..2^53. Ids are not sequential; with 2^53 values a collision is
/// negligible for any realistic number of grades.
pub fn new_grade_id() -> u64 {
    rand::random_range(1..GRADE_ID_LIMIT)
}

impl Store {
    /// Builds the item of a grade, with its index keys.
    pub fn grade_item(grade: &UserGrade) -> Result<Item, StoreError> {
        let mut item = Self::item(
            &keys::grade(&grade.username, &grade.course_run),
            KIND_GRADE,
            grade,
        )?;
        let by_id = keys::grade_by_id(grade.id);
        item.insert(keys::GSI1_PK.to_owned(), AttributeValue::S(by_id.pk));
        item.insert(keys::GSI1_SK.to_owned(), AttributeValue::S(by_id.sk));
        Ok(item)
    }

    /// Reads a learner's grade in one course run (strongly consistent).
    pub async fn get_grade(
        &self,
        username: &Username,
        course_run: &CourseRunKey,
    ) -> Result<Option<Stored<UserGrade>>, StoreError> {
        self.get_stored(&keys::grade(username, course_run)).await
    }

    /// Finds a grade by id: GSI1 names its key, then a consistent read returns its current
    /// state for a change to merge into.
    pub async fn find_grade(&self, id: u64) -> Result<Option<Stored<UserGrade>>, StoreError> {
        let by_id = keys::grade_by_id(id);
        let (items, _) = self
            .query_index(keys::GSI1, keys::GSI1_PK, &by_id.pk, None, None)
            .await?;
        let Some(item) = items
            .iter()
            .find(|item| string_attribute(item, keys::GSI1_SK) == Some(by_id.sk.as_str()))
        else {
            return Ok(None);
        };
        let indexed: UserGrade = self.decode(item)?;
        self.get_grade(&indexed.username, &indexed.course_run).await
    }

    /// Writes a grade with one conditional PutItem: it must still be as read (`previous` is its
    /// `data`), or absent when `previous` is `None`.
    pub async fn write_grade(
        &self,
        grade: &UserGrade,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        self.put_expecting(Self::grade_item(grade)?, Expect::from_previous(previous))
            .await
    }
}
