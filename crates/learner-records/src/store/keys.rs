//! Every key shape of the single table, in one place. Nothing outside this module formats a
//! partition or sort key. The golden tests below pin each shape, because changing one orphans
//! the items already stored under it.
//!
//! Usernames and course run keys cannot contain `#` (their parsers reject it), so `#` is a safe
//! separator.

use crate::domain::{CertificateType, CourseRunKey, Username, Uuid};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2_PK: &str = "GSI2PK";
pub const GSI2_SK: &str = "GSI2SK";
/// The TTL attribute, in epoch seconds.
pub const EXPIRES_AT: &str = "expires_at";

/// A partition and sort key pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

// Learner partition: everything one learner owns, so one Query loads it.

/// The prefix of every learner partition key.
pub const LEARNER_PREFIX: &str = "LEARNER#";

pub fn learner_partition(username: &Username) -> String {
    format!("{LEARNER_PREFIX}{username}")
}

pub fn profile(username: &Username) -> Key {
    Key::new(learner_partition(username), "PROFILE")
}

pub const GRADE_PREFIX: &str = "GRADE#";

pub fn grade(username: &Username, run: &CourseRunKey) -> Key {
    Key::new(learner_partition(username), format!("{GRADE_PREFIX}{run}"))
}

/// GSI1 key of a grade, for the grades API's `/grades/{id}/` routes.
pub fn grade_by_id(id: u64) -> Key {
    Key::new(format!("GRADE#{id}"), "GRADE")
}

pub const CREDENTIAL_PREFIX: &str = "CREDENTIAL#";

pub fn course_credential(username: &Username, run: &CourseRunKey, mode: CertificateType) -> Key {
    Key::new(
        learner_partition(username),
        format!("{CREDENTIAL_PREFIX}COURSE#{run}#{}", mode.as_str()),
    )
}

pub fn program_credential(username: &Username, program: &Uuid) -> Key {
    Key::new(
        learner_partition(username),
        format!("{CREDENTIAL_PREFIX}PROGRAM#{}", program.hex()),
    )
}

/// GSI1 key of a credential, for `/credentials/{uuid}/`.
pub fn credential_by_uuid(uuid: &Uuid) -> Key {
    Key::new(format!("CREDENTIAL#{}", uuid.hex()), "CREDENTIAL")
}

/// GSI2 partition holding every credential, for the unfiltered staff listing.
pub const ALL_CREDENTIALS: &str = "CREDENTIALS";

/// GSI2 sort key of a credential: creation time first, so the listing pages in creation order.
pub fn credential_listing_sort(created_epoch_micros: i64, uuid: &Uuid) -> String {
    format!("{created_epoch_micros:020}#{}", uuid.hex())
}

pub const LINK_PREFIX: &str = "LINK#";

/// Returns the key of the learner's pointer to their public link for a program. There is at
/// most one per program, because its conditional creation is what makes sharing race-safe.
pub fn learner_link(username: &Username, program: &Uuid) -> Key {
    Key::new(
        learner_partition(username),
        format!("{LINK_PREFIX}{}", program.hex()),
    )
}

/// Returns the key of a public link, which one GetItem resolves by the link's own uuid.
pub fn public_link(link: &Uuid) -> Key {
    Key::new(format!("LINK#{}", link.hex()), "LINK")
}

pub const SEND_PREFIX: &str = "SEND#";

/// Returns the key of a credit-pathway send. `program` is `None` for rows from before sends
/// were tracked per program.
pub fn credit_send(username: &Username, pathway_id: u64, program: Option<&Uuid>) -> Key {
    let program = program.map_or_else(|| "NONE".to_owned(), Uuid::hex);
    Key::new(
        learner_partition(username),
        format!("{SEND_PREFIX}{pathway_id:010}#{program}"),
    )
}

// Catalog partition: versioned items, so a copy becomes visible in one step (see
// docs/data-model.md).

pub const CATALOG_PARTITION: &str = "CATALOG";

/// The kinds of catalog item, as they appear in sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CatalogKind {
    Organization,
    Course,
    Program,
    Pathway,
}

impl CatalogKind {
    pub fn tag(self) -> &'static str {
        match self {
            Self::Organization => "ORG",
            Self::Course => "COURSE",
            Self::Program => "PROGRAM",
            Self::Pathway => "PATHWAY",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "ORG" => Some(Self::Organization),
            "COURSE" => Some(Self::Course),
            "PROGRAM" => Some(Self::Program),
            "PATHWAY" => Some(Self::Pathway),
            _ => None,
        }
    }
}

/// One version of one catalog entity. The version is zero-padded so sort keys order by it.
pub fn catalog_item(kind: CatalogKind, uuid: &Uuid, version: u64) -> Key {
    Key::new(
        CATALOG_PARTITION,
        format!("{}#{}#{version:020}", kind.tag(), uuid.hex()),
    )
}

/// Splits a catalog sort key into its kind, entity uuid and version.
pub fn parse_catalog_sort_key(sk: &str) -> Option<(CatalogKind, Uuid, u64)> {
    let mut parts = sk.split('#');
    let kind = CatalogKind::from_tag(parts.next()?)?;
    let uuid = Uuid::parse(parts.next()?).ok()?;
    let version = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((kind, uuid, version))
}

// Site settings partition: the site configuration and certificate configurations.

pub const SETTINGS_PARTITION: &str = "SETTINGS";

pub fn site_configuration() -> Key {
    Key::new(SETTINGS_PARTITION, "SITE")
}

pub fn course_certificate(course_id: &CourseRunKey, certificate_type: CertificateType) -> Key {
    Key::new(
        SETTINGS_PARTITION,
        format!("COURSECERT#{course_id}#{}", certificate_type.as_str()),
    )
}

pub fn program_certificate(program: &Uuid) -> Key {
    Key::new(SETTINGS_PARTITION, format!("PROGRAMCERT#{}", program.hex()))
}

// Bookkeeping items.

/// Returns the key of the item readers validate their caches against. Its `catalog_version`
/// and `settings_version` attributes are read with one GetItem.
pub fn versions() -> Key {
    Key::new("META", "VERSIONS")
}

/// Returns the key of the lease that keeps two catalog copies from running at once.
pub fn catalog_copy_lease() -> Key {
    Key::new("META", "CATALOG_COPY_LEASE")
}

/// Returns the key of the counter that hands out stable numeric pathway ids.
pub fn pathway_id_counter() -> Key {
    Key::new("META", "PATHWAY_IDS")
}

/// Returns the key of a per-user request counter for one rate-limit window.
pub fn throttle(scope: &str, username: &Username, window_start_epoch_seconds: i64) -> Key {
    Key::new(
        format!("THROTTLE#{scope}#{username}"),
        format!("{window_start_epoch_seconds:012}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Username {
        Username::parse("lrn_ada").unwrap()
    }

    fn program() -> Uuid {
        Uuid::parse("a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8").unwrap()
    }

    fn run() -> CourseRunKey {
        CourseRunKey::parse("course-v1:MITx+6.002.1x+2T2019").unwrap()
    }

    #[test]
    fn learner_key_shapes_are_stable() {
        assert_eq!(profile(&ada()), Key::new("LEARNER#lrn_ada", "PROFILE"));
        assert!(learner_partition(&ada()).starts_with(LEARNER_PREFIX));
        assert_eq!(
            grade(&ada(), &run()).sk,
            "GRADE#course-v1:MITx+6.002.1x+2T2019"
        );
        assert_eq!(
            course_credential(&ada(), &run(), CertificateType::Verified).sk,
            "CREDENTIAL#COURSE#course-v1:MITx+6.002.1x+2T2019#verified"
        );
        assert_eq!(
            program_credential(&ada(), &program()).sk,
            "CREDENTIAL#PROGRAM#a3f1b2c45d6e4f708192a3b4c5d6e7f8"
        );
        assert_eq!(
            learner_link(&ada(), &program()).sk,
            "LINK#a3f1b2c45d6e4f708192a3b4c5d6e7f8"
        );
        assert_eq!(
            credit_send(&ada(), 7, Some(&program())).sk,
            "SEND#0000000007#a3f1b2c45d6e4f708192a3b4c5d6e7f8"
        );
        assert_eq!(credit_send(&ada(), 7, None).sk, "SEND#0000000007#NONE");
    }

    #[test]
    fn index_key_shapes_are_stable() {
        assert_eq!(grade_by_id(42), Key::new("GRADE#42", "GRADE"));
        assert_eq!(
            credential_by_uuid(&program()),
            Key::new("CREDENTIAL#a3f1b2c45d6e4f708192a3b4c5d6e7f8", "CREDENTIAL")
        );
        assert_eq!(
            credential_listing_sort(1_700_000_000_000_000, &program()),
            "00001700000000000000#a3f1b2c45d6e4f708192a3b4c5d6e7f8"
        );
        assert_eq!(
            public_link(&program()),
            Key::new("LINK#a3f1b2c45d6e4f708192a3b4c5d6e7f8", "LINK")
        );
    }

    #[test]
    fn catalog_key_shapes_are_stable() {
        let key = catalog_item(CatalogKind::Program, &program(), 3);
        assert_eq!(
            key,
            Key::new(
                "CATALOG",
                "PROGRAM#a3f1b2c45d6e4f708192a3b4c5d6e7f8#00000000000000000003"
            )
        );
        assert_eq!(
            parse_catalog_sort_key(&key.sk),
            Some((CatalogKind::Program, program(), 3))
        );
        assert_eq!(parse_catalog_sort_key("PROGRAM#nothex#1"), None);
    }

    #[test]
    fn settings_and_bookkeeping_shapes_are_stable() {
        assert_eq!(site_configuration(), Key::new("SETTINGS", "SITE"));
        assert_eq!(
            course_certificate(&run(), CertificateType::NoIdProfessional).sk,
            "COURSECERT#course-v1:MITx+6.002.1x+2T2019#no-id-professional"
        );
        assert_eq!(
            program_certificate(&program()).sk,
            "PROGRAMCERT#a3f1b2c45d6e4f708192a3b4c5d6e7f8"
        );
        assert_eq!(versions(), Key::new("META", "VERSIONS"));
        assert_eq!(catalog_copy_lease(), Key::new("META", "CATALOG_COPY_LEASE"));
        assert_eq!(pathway_id_counter(), Key::new("META", "PATHWAY_IDS"));
        assert_eq!(
            throttle("share", &ada(), 1_700_000_040),
            Key::new("THROTTLE#share#lrn_ada", "001700000040")
        );
    }
}
