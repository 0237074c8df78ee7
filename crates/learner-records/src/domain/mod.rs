//! The domain: catalog, learner data, site settings and the rules that turn them into records.
//! Nothing here knows about AWS, HTTP or storage.

pub mod catalog;
pub mod ids;
pub mod learner;
pub mod record;
pub mod site;

pub use catalog::{
    Catalog, Course, CourseRun, Organization, Pathway, PathwayStatus, PathwayType, Program,
    ProgramStatus, StatusError,
};
pub use ids::{CourseRunKey, IdError, Username, Uuid};
pub use learner::{
    CertificateType, CredentialAttribute, CredentialStatus, CredentialSubject, CreditPathwaySend,
    CreditPathwayStatus, LearnerData, LearnerProfile, Percent, PercentError, PublicLink,
    UserCredential, UserGrade,
};
pub use site::{CourseCertificate, ProgramCertificate, SiteConfiguration, SiteSettings};
