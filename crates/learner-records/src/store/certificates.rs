//! Course and program certificate configurations in the settings partition. Every change bumps
//! the settings version in the same transaction, so warm functions reload the settings on their
//! next request and never serve a configuration older than the write they just saw succeed.

use crate::domain::{CertificateType, CourseCertificate, CourseRunKey, ProgramCertificate};

use super::cache::{KIND_COURSE_CERTIFICATE, KIND_PROGRAM_CERTIFICATE};
use super::keys;
use super::optimistic::{Expect, Stored};
use super::{Item, Store, StoreError};

impl Store {
    pub fn course_certificate_item(certificate: &CourseCertificate) -> Result<Item, StoreError> {
        Self::item(
            &keys::course_certificate(&certificate.course_id, certificate.certificate_type),
            KIND_COURSE_CERTIFICATE,
            certificate,
        )
    }

    /// Reads one course certificate configuration (strongly consistent), for a change that
    /// merges into it.
    pub async fn get_course_certificate(
        &self,
        course_id: &CourseRunKey,
        certificate_type: CertificateType,
    ) -> Result<Option<Stored<CourseCertificate>>, StoreError> {
        self.get_stored(&keys::course_certificate(course_id, certificate_type))
            .await
    }

    /// Writes a course certificate configuration if it is still as read (`previous` is its
    /// `data`, `None` for a new one), bumping the settings version in the same transaction.
    pub async fn write_course_certificate(
        &self,
        certificate: &CourseCertificate,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        let put = self.conditional_put(
            Self::course_certificate_item(certificate)?,
            Expect::from_previous(previous),
        );
        self.transact(vec![put, self.settings_version_bump()]).await
    }

    /// Creates or replaces a program certificate configuration, bumping the settings version in
    /// the same transaction. Operators configure programs with it; the LMS never does.
    pub async fn put_program_certificate(
        &self,
        certificate: &ProgramCertificate,
    ) -> Result<(), StoreError> {
        let item = Self::item(
            &keys::program_certificate(&certificate.program_uuid),
            KIND_PROGRAM_CERTIFICATE,
            certificate,
        )?;
        let put = self.conditional_put(item, Expect::Anything);
        self.transact(vec![put, self.settings_version_bump()]).await
    }
}
