//! Builds the next catalog from what Discovery returned and what readers see now. This is
//! where entities Discovery no longer returns are kept or removed, and where links between
//! entities are checked, so no program, course or pathway in the result points at an entity
//! that is not in it. Pure: no I/O, so every rule here is unit-tested.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::domain::{Course, CourseRun, Organization, Pathway, Program, Uuid};
use crate::store::catalog_copy::CatalogReferences;
use crate::store::keys::CatalogKind;

use super::history::{CatalogHistory, VisibleCatalog};
use super::parse::{COURSES, PATHWAYS, PROGRAMS, ParsedCatalog, PathwayListing};
use super::summary::{Deletions, EntitySets, Problem, ProblemCode};

/// The treatment of entities Discovery no longer returns.
#[derive(Debug, Clone)]
pub enum DeletionPolicy {
    /// Keep them all, as upstream's `copy_catalog` does without `--delete`.
    KeepMissing,
    /// Remove them, except what these references, the kept programs and the kept courses
    /// still need.
    RemoveUnreferenced(CatalogReferences),
}

/// The next catalog: every entity readers will see, and the entities to remove.
#[derive(Debug, Clone, Default)]
pub struct Assembly {
    pub organizations: Vec<Organization>,
    pub courses: Vec<Course>,
    pub programs: Vec<Program>,
    pub pathways: Vec<Pathway>,
    /// Entities to remove with a tombstone.
    pub removed: Vec<(CatalogKind, Uuid)>,
    /// Entities Discovery returned but that could not be read; their previous version stays.
    pub rejected: EntitySets,
    pub deletions: Deletions,
    pub problems: Vec<Problem>,
}

/// Entities of the visible catalog that Discovery did not return. Rejected items count as
/// returned.
pub fn missing(parsed: &ParsedCatalog, visible: &VisibleCatalog) -> EntitySets {
    let returned = |listed: Vec<Uuid>, rejected: &BTreeSet<Uuid>| -> HashSet<Uuid> {
        listed.into_iter().chain(rejected.iter().copied()).collect()
    };
    let organizations = returned(
        parsed.organizations.iter().map(|o| o.uuid).collect(),
        &parsed.rejected.organizations,
    );
    let courses = returned(
        parsed.courses.iter().map(|c| c.uuid).collect(),
        &parsed.rejected.courses,
    );
    let programs = returned(
        parsed.programs.iter().map(|p| p.uuid).collect(),
        &parsed.rejected.programs,
    );
    let pathways = returned(
        parsed.pathways.iter().map(|p| p.uuid).collect(),
        &parsed.rejected.pathways,
    );

    EntitySets {
        organizations: absent_from(&visible.organizations, &organizations),
        courses: absent_from(&visible.courses, &courses),
        course_runs: visible
            .runs()
            .map(|(_, run)| run.uuid)
            .filter(|uuid| !parsed.seen_runs.contains(uuid))
            .collect(),
        programs: absent_from(&visible.programs, &programs),
        pathways: absent_from(&visible.pathways, &pathways),
    }
}

fn absent_from<T>(visible: &BTreeMap<Uuid, T>, returned: &HashSet<Uuid>) -> BTreeSet<Uuid> {
    visible
        .keys()
        .filter(|uuid| !returned.contains(uuid))
        .copied()
        .collect()
}

/// Tells whether removing `missing` entities needs the learner data references. Only course
/// runs, programs and pathways can be referred to.
pub fn needs_references(missing: &EntitySets) -> bool {
    !missing.course_runs.is_empty() || !missing.programs.is_empty() || !missing.pathways.is_empty()
}

/// Gives each listed pathway its id: the one it had in any stored version, or the next of
/// the ids counting up from `first_fresh_id` for pathways never seen before (see
/// [`new_pathway_count`]).
fn identify_pathways(
    listings: Vec<PathwayListing>,
    visible: &VisibleCatalog,
    history: &CatalogHistory,
    first_fresh_id: u64,
) -> Vec<Pathway> {
    let mut next_id = first_fresh_id;
    listings
        .into_iter()
        .map(|listing| {
            let known = known_pathway_id(&listing.uuid, visible, history);
            let id = known.unwrap_or_else(|| {
                next_id += 1;
                next_id - 1
            });
            listing.with_id(id)
        })
        .collect()
}

/// Counts the `listings` that need a fresh pathway id.
pub fn new_pathway_count(
    listings: &[PathwayListing],
    visible: &VisibleCatalog,
    history: &CatalogHistory,
) -> u64 {
    listings
        .iter()
        .filter(|listing| known_pathway_id(&listing.uuid, visible, history).is_none())
        .count() as u64
}

fn known_pathway_id(
    uuid: &Uuid,
    visible: &VisibleCatalog,
    history: &CatalogHistory,
) -> Option<u64> {
    visible
        .pathways
        .get(uuid)
        .map(|pathway| pathway.id)
        .or_else(|| history.last_pathway_id(uuid))
}

/// Builds the next catalog. Pathways never stored before get ids counting up from
/// `first_fresh_id`, which the caller reserved for [`new_pathway_count`] pathways.
pub fn assemble(
    parsed: ParsedCatalog,
    visible: &VisibleCatalog,
    history: &CatalogHistory,
    first_fresh_id: u64,
    policy: &DeletionPolicy,
) -> Assembly {
    let missing = missing(&parsed, visible);
    let no_references = CatalogReferences::default();
    let (removing, references) = match policy {
        DeletionPolicy::KeepMissing => (false, &no_references),
        DeletionPolicy::RemoveUnreferenced(references) => (true, references),
    };
    let mut problems = parsed.problems;

    // Programs first: the runs they link are kept along with them.
    let mut programs = parsed.programs;
    programs.extend(previous_versions(
        &parsed.rejected.programs,
        &visible.programs,
    ));
    let kept_programs: BTreeSet<Uuid> = missing
        .programs
        .iter()
        .filter(|uuid| !removing || references.programs.contains(uuid))
        .copied()
        .collect();
    programs.extend(previous_versions(&kept_programs, &visible.programs));
    let linked_runs: HashSet<Uuid> = programs
        .iter()
        .flat_map(|program| program.course_runs.iter().copied())
        .collect();

    // Course runs: a missing run stays when removal is off, when learner data or a
    // certificate configuration refers to its key, or when a kept program links it.
    let kept_runs: HashSet<Uuid> = visible
        .runs()
        .filter(|(_, run)| missing.course_runs.contains(&run.uuid))
        .filter(|(_, run)| {
            !removing
                || references.course_runs.contains(&run.key)
                || linked_runs.contains(&run.uuid)
        })
        .map(|(_, run)| run.uuid)
        .collect();
    let courses = assemble_courses(
        parsed.courses,
        &parsed.rejected.course_runs,
        &kept_runs,
        &missing.courses,
        removing,
        visible,
    );

    // Organizations: a missing one stays while a kept course or program names it.
    let linked_organizations: HashSet<Uuid> = courses
        .iter()
        .flat_map(|course| course.owners.iter().copied())
        .chain(
            programs
                .iter()
                .flat_map(|program| program.authoring_organizations.iter().copied()),
        )
        .collect();
    let kept_organizations: BTreeSet<Uuid> = missing
        .organizations
        .iter()
        .filter(|uuid| !removing || linked_organizations.contains(uuid))
        .copied()
        .collect();
    let mut organizations = parsed.organizations;
    organizations.extend(previous_versions(
        &parsed.rejected.organizations,
        &visible.organizations,
    ));
    organizations.extend(previous_versions(
        &kept_organizations,
        &visible.organizations,
    ));

    // Pathways: a missing one stays while a learner's credit-pathway send refers to its id.
    let kept_pathways: BTreeSet<Uuid> = missing
        .pathways
        .iter()
        .filter(|uuid| {
            !removing
                || visible
                    .pathways
                    .get(uuid)
                    .is_some_and(|pathway| references.pathway_ids.contains(&pathway.id))
        })
        .copied()
        .collect();
    let mut pathways = identify_pathways(parsed.pathways, visible, history, first_fresh_id);
    pathways.extend(previous_versions(
        &parsed.rejected.pathways,
        &visible.pathways,
    ));
    pathways.extend(previous_versions(&kept_pathways, &visible.pathways));

    let mut assembly = Assembly {
        organizations,
        courses,
        programs,
        pathways,
        ..Assembly::default()
    };
    prune_links(&mut assembly, &mut problems);

    let present = assembly.entity_sets();
    let removed = missing.difference(&present);
    assembly.removed = tombstones(&removed);
    assembly.deletions = Deletions {
        enabled: removing,
        kept: missing.difference(&removed),
        missing,
        removed,
    };
    assembly.rejected = parsed.rejected;
    assembly.problems = problems;
    assembly
}

/// Builds the courses of the next catalog, each with its runs.
fn assemble_courses(
    listed: Vec<Course>,
    rejected_runs: &BTreeSet<Uuid>,
    kept_runs: &HashSet<Uuid>,
    missing_courses: &BTreeSet<Uuid>,
    removing: bool,
    visible: &VisibleCatalog,
) -> Vec<Course> {
    let placed: HashSet<Uuid> = listed
        .iter()
        .flat_map(|course| course.course_runs.iter().map(|run| run.uuid))
        .collect();
    // A stored run that Discovery did not place in any course stays in its old course when
    // it was rejected (its previous version stays) or is kept.
    let retained = |course: &Course| -> Vec<CourseRun> {
        course
            .course_runs
            .iter()
            .filter(|run| !placed.contains(&run.uuid))
            .filter(|run| rejected_runs.contains(&run.uuid) || kept_runs.contains(&run.uuid))
            .cloned()
            .collect()
    };

    let mut courses = Vec::with_capacity(listed.len() + missing_courses.len());
    for mut course in listed {
        if let Some(previous) = visible.courses.get(&course.uuid) {
            course.course_runs.extend(retained(previous));
        }
        courses.push(course);
    }
    for uuid in missing_courses {
        let Some(previous) = visible.courses.get(uuid) else {
            continue;
        };
        let runs = retained(previous);
        // A removed course takes its runs with it, so a course stays while any run does.
        if !removing || !runs.is_empty() {
            courses.push(Course {
                course_runs: runs,
                ..previous.clone()
            });
        }
    }
    courses
}

/// Drops every link to an entity that is not in the assembly, reporting each one.
fn prune_links(assembly: &mut Assembly, problems: &mut Vec<Problem>) {
    let organizations: HashSet<Uuid> = assembly.organizations.iter().map(|o| o.uuid).collect();
    let runs: HashSet<Uuid> = assembly
        .courses
        .iter()
        .flat_map(|course| course.course_runs.iter().map(|run| run.uuid))
        .collect();
    let programs: HashSet<Uuid> = assembly.programs.iter().map(|p| p.uuid).collect();

    for course in &mut assembly.courses {
        let link = Link {
            resource: COURSES,
            owner: course.uuid,
        };
        link.drop_unknown(
            &mut course.owners,
            &organizations,
            ProblemCode::UnknownOrganization,
            "owner organization",
            problems,
        );
    }
    for program in &mut assembly.programs {
        let link = Link {
            resource: PROGRAMS,
            owner: program.uuid,
        };
        link.drop_unknown(
            &mut program.course_runs,
            &runs,
            ProblemCode::UnknownCourseRun,
            "course run",
            problems,
        );
        link.drop_unknown(
            &mut program.authoring_organizations,
            &organizations,
            ProblemCode::UnknownOrganization,
            "authoring organization",
            problems,
        );
    }
    for pathway in &mut assembly.pathways {
        let link = Link {
            resource: PATHWAYS,
            owner: pathway.uuid,
        };
        link.drop_unknown(
            &mut pathway.programs,
            &programs,
            ProblemCode::UnknownProgram,
            "program",
            problems,
        );
    }
}

/// The entity whose list of links to other entities is being checked.
struct Link {
    resource: &'static str,
    owner: Uuid,
}

impl Link {
    /// Removes the ids that are not in `known` from `linked`, keeping the order of the rest,
    /// and reports each removed one.
    fn drop_unknown(
        &self,
        linked: &mut Vec<Uuid>,
        known: &HashSet<Uuid>,
        code: ProblemCode,
        what: &str,
        problems: &mut Vec<Problem>,
    ) {
        linked.retain(|id| {
            let is_known = known.contains(id);
            if !is_known {
                problems.push(unknown_link(self.resource, self.owner, code, what, id));
            }
            is_known
        });
    }
}

fn unknown_link(
    resource: &'static str,
    uuid: Uuid,
    code: ProblemCode,
    what: &str,
    linked: &Uuid,
) -> Problem {
    Problem::new(
        resource,
        Some(uuid),
        code,
        format!("{what} {linked} is not in the catalog; the link was dropped"),
    )
}

fn previous_versions<'a, T: Clone + 'a>(
    uuids: &'a BTreeSet<Uuid>,
    visible: &'a BTreeMap<Uuid, T>,
) -> impl Iterator<Item = T> + 'a {
    uuids.iter().filter_map(|uuid| visible.get(uuid).cloned())
}

fn tombstones(removed: &EntitySets) -> Vec<(CatalogKind, Uuid)> {
    // Removed runs need no tombstone: they disappear with the new version of their course.
    removed
        .organizations
        .iter()
        .map(|uuid| (CatalogKind::Organization, *uuid))
        .chain(
            removed
                .courses
                .iter()
                .map(|uuid| (CatalogKind::Course, *uuid)),
        )
        .chain(
            removed
                .programs
                .iter()
                .map(|uuid| (CatalogKind::Program, *uuid)),
        )
        .chain(
            removed
                .pathways
                .iter()
                .map(|uuid| (CatalogKind::Pathway, *uuid)),
        )
        .collect()
}

impl Assembly {
    /// Uuids of every entity in the assembly.
    pub fn entity_sets(&self) -> EntitySets {
        EntitySets {
            organizations: self.organizations.iter().map(|o| o.uuid).collect(),
            courses: self.courses.iter().map(|c| c.uuid).collect(),
            course_runs: self
                .courses
                .iter()
                .flat_map(|course| course.course_runs.iter().map(|run| run.uuid))
                .collect(),
            programs: self.programs.iter().map(|p| p.uuid).collect(),
            pathways: self.pathways.iter().map(|p| p.uuid).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{CourseRunKey, PathwayStatus, PathwayType, ProgramStatus};

    use super::*;

    fn uuid(n: u8) -> Uuid {
        Uuid::parse(&format!("{n:02x}{}", "0".repeat(30))).unwrap()
    }

    fn run(n: u8) -> CourseRun {
        CourseRun {
            uuid: uuid(n),
            key: CourseRunKey::parse(&format!("course-v1:TestX+C+R{n}")).unwrap(),
            title_override: None,
            start_date: None,
            end_date: None,
        }
    }

    fn organization(n: u8) -> Organization {
        Organization {
            uuid: uuid(n),
            key: format!("Org{n}"),
            name: format!("Organization {n}"),
            certificate_logo_image_url: None,
        }
    }

    fn course(n: u8, runs: &[u8]) -> Course {
        Course {
            uuid: uuid(n),
            key: format!("TestX+C{n}"),
            title: Some(format!("Course {n}")),
            owners: vec![uuid(1)],
            course_runs: runs.iter().map(|r| run(*r)).collect(),
        }
    }

    fn program(n: u8, runs: &[u8]) -> Program {
        Program {
            uuid: uuid(n),
            title: format!("Program {n}"),
            program_type: "XSeries".into(),
            type_slug: "xseries".into(),
            status: ProgramStatus::Active,
            total_hours_of_effort: None,
            authoring_organizations: vec![uuid(1)],
            course_runs: runs.iter().map(|r| uuid(*r)).collect(),
        }
    }

    fn pathway(n: u8, id: u64, programs: &[u8]) -> Pathway {
        Pathway {
            id,
            uuid: uuid(n),
            name: format!("Pathway {n}"),
            org_name: String::new(),
            email: String::new(),
            pathway_type: PathwayType::Credit,
            status: PathwayStatus::Published,
            programs: programs.iter().map(|p| uuid(*p)).collect(),
        }
    }

    /// Builds the visible catalog. It has organization 1, course 10 with runs 100 and 101,
    /// course 11 with run 110, program 20 with runs 100 and 110, and pathway 30 (id 7) on
    /// program 20.
    fn visible() -> VisibleCatalog {
        let mut visible = VisibleCatalog::default();
        visible.organizations.insert(uuid(1), organization(1));
        visible.courses.insert(uuid(10), course(10, &[100, 101]));
        visible.courses.insert(uuid(11), course(11, &[110]));
        visible.programs.insert(uuid(20), program(20, &[100, 110]));
        visible.pathways.insert(uuid(30), pathway(30, 7, &[20]));
        visible
    }

    fn listed_all() -> ParsedCatalog {
        ParsedCatalog {
            organizations: vec![organization(1)],
            courses: vec![course(10, &[100, 101]), course(11, &[110])],
            programs: vec![program(20, &[100, 110])],
            pathways: vec![listing(30, &[20])],
            seen_runs: [100, 101, 110].iter().map(|r| uuid(*r)).collect(),
            ..ParsedCatalog::default()
        }
    }

    fn listing(n: u8, programs: &[u8]) -> PathwayListing {
        PathwayListing {
            uuid: uuid(n),
            name: format!("Pathway {n}"),
            org_name: String::new(),
            email: String::new(),
            pathway_type: PathwayType::Credit,
            status: PathwayStatus::Published,
            programs: programs.iter().map(|p| uuid(*p)).collect(),
        }
    }

    fn assemble_with(parsed: ParsedCatalog, policy: &DeletionPolicy) -> Assembly {
        assemble(parsed, &visible(), &CatalogHistory::default(), 100, policy)
    }

    fn remove_with(references: CatalogReferences) -> DeletionPolicy {
        DeletionPolicy::RemoveUnreferenced(references)
    }

    #[test]
    fn unchanged_listing_misses_nothing() {
        let assembly = assemble_with(listed_all(), &DeletionPolicy::KeepMissing);
        assert!(assembly.deletions.missing.is_empty());
        assert!(assembly.removed.is_empty());
        assert!(assembly.problems.is_empty(), "{:?}", assembly.problems);
    }

    #[test]
    fn missing_entities_are_kept_by_default() {
        let parsed = ParsedCatalog {
            organizations: vec![organization(1)],
            courses: vec![course(10, &[100])],
            seen_runs: [uuid(100)].into(),
            ..ParsedCatalog::default()
        };
        let assembly = assemble_with(parsed, &DeletionPolicy::KeepMissing);
        let missing = &assembly.deletions.missing;
        assert_eq!(missing.courses, [uuid(11)].into());
        assert_eq!(missing.course_runs, [uuid(101), uuid(110)].into());
        assert_eq!(missing.programs, [uuid(20)].into());
        assert_eq!(missing.pathways, [uuid(30)].into());
        assert_eq!(assembly.deletions.kept, *missing);
        assert!(assembly.removed.is_empty());
        let course_10 = assembly
            .courses
            .iter()
            .find(|c| c.uuid == uuid(10))
            .unwrap();
        assert_eq!(
            course_10.course_runs.len(),
            2,
            "run 101 stays in its course"
        );
    }

    #[test]
    fn unreferenced_missing_entities_are_removed() {
        let parsed = ParsedCatalog {
            organizations: vec![organization(1)],
            courses: vec![course(10, &[100])],
            seen_runs: [uuid(100)].into(),
            ..ParsedCatalog::default()
        };
        let assembly = assemble_with(parsed, &remove_with(CatalogReferences::default()));
        let removed = &assembly.deletions.removed;
        assert_eq!(removed.courses, [uuid(11)].into());
        assert_eq!(removed.course_runs, [uuid(101), uuid(110)].into());
        assert_eq!(removed.programs, [uuid(20)].into());
        assert_eq!(removed.pathways, [uuid(30)].into());
        assert!(assembly.deletions.kept.is_empty());
        assert_eq!(
            assembly.removed,
            vec![
                (CatalogKind::Course, uuid(11)),
                (CatalogKind::Program, uuid(20)),
                (CatalogKind::Pathway, uuid(30)),
            ]
        );
        let course_10 = assembly
            .courses
            .iter()
            .find(|c| c.uuid == uuid(10))
            .unwrap();
        assert_eq!(course_10.course_runs, vec![run(100)]);
    }

    #[test]
    fn referenced_program_keeps_its_runs_and_courses() {
        let parsed = ParsedCatalog {
            organizations: vec![organization(1)],
            ..ParsedCatalog::default()
        };
        let references = CatalogReferences {
            programs: [uuid(20)].into(),
            ..CatalogReferences::default()
        };
        let assembly = assemble_with(parsed, &remove_with(references));
        let kept = &assembly.deletions.kept;
        assert_eq!(kept.programs, [uuid(20)].into());
        assert_eq!(kept.course_runs, [uuid(100), uuid(110)].into());
        assert_eq!(kept.courses, [uuid(10), uuid(11)].into());
        assert_eq!(assembly.deletions.removed.course_runs, [uuid(101)].into());
        let program_20 = assembly
            .programs
            .iter()
            .find(|p| p.uuid == uuid(20))
            .unwrap();
        assert_eq!(program_20.course_runs, vec![uuid(100), uuid(110)]);
    }

    #[test]
    fn graded_run_keeps_its_course() {
        let parsed = ParsedCatalog {
            organizations: vec![organization(1)],
            ..ParsedCatalog::default()
        };
        let references = CatalogReferences {
            course_runs: [run(101).key].into(),
            ..CatalogReferences::default()
        };
        let assembly = assemble_with(parsed, &remove_with(references));
        let course_10 = assembly
            .courses
            .iter()
            .find(|c| c.uuid == uuid(10))
            .unwrap();
        assert_eq!(course_10.course_runs, vec![run(101)]);
        assert_eq!(assembly.deletions.removed.courses, [uuid(11)].into());
    }

    #[test]
    fn pathway_with_send_is_kept() {
        let references = CatalogReferences {
            pathway_ids: [7].into(),
            ..CatalogReferences::default()
        };
        let mut parsed = listed_all();
        parsed.pathways.clear();
        let assembly = assemble_with(parsed, &remove_with(references));
        assert_eq!(assembly.deletions.kept.pathways, [uuid(30)].into());
        assert!(assembly.removed.is_empty());
    }

    #[test]
    fn linked_organization_is_kept_when_removing() {
        let mut parsed = listed_all();
        parsed.organizations.clear();
        let assembly = assemble_with(parsed, &remove_with(CatalogReferences::default()));
        assert_eq!(assembly.deletions.kept.organizations, [uuid(1)].into());
    }

    #[test]
    fn program_drops_unknown_run() {
        let mut parsed = listed_all();
        parsed.programs = vec![program(20, &[100, 199, 110])];
        let assembly = assemble_with(parsed, &DeletionPolicy::KeepMissing);
        let program_20 = assembly
            .programs
            .iter()
            .find(|p| p.uuid == uuid(20))
            .unwrap();
        assert_eq!(program_20.course_runs, vec![uuid(100), uuid(110)]);
        assert_eq!(assembly.problems[0].code, ProblemCode::UnknownCourseRun);
        assert!(assembly.problems[0].detail.contains(&uuid(199).to_string()));
    }

    #[test]
    fn owner_not_in_organizations_is_dropped_and_reported() {
        let mut parsed = listed_all();
        parsed.courses[0].owners = vec![uuid(1), uuid(2)];
        let assembly = assemble_with(parsed, &DeletionPolicy::KeepMissing);
        assert_eq!(assembly.courses[0].owners, vec![uuid(1)]);
        assert_eq!(assembly.problems[0].code, ProblemCode::UnknownOrganization);
    }

    #[test]
    fn pathway_link_to_unknown_program_is_dropped() {
        let assembly = {
            let mut parsed = listed_all();
            parsed.pathways.push(listing(31, &[20, 29]));
            assemble_with(parsed, &DeletionPolicy::KeepMissing)
        };
        let pathway_31 = assembly
            .pathways
            .iter()
            .find(|p| p.uuid == uuid(31))
            .unwrap();
        assert_eq!(pathway_31.programs, vec![uuid(20)]);
        assert_eq!(assembly.problems[0].code, ProblemCode::UnknownProgram);
    }

    #[test]
    fn rejected_program_keeps_previous_version() {
        let mut parsed = listed_all();
        parsed.programs.clear();
        parsed.rejected.programs.insert(uuid(20));
        let assembly = assemble_with(parsed, &remove_with(CatalogReferences::default()));
        assert!(assembly.deletions.missing.programs.is_empty());
        assert_eq!(assembly.programs, vec![program(20, &[100, 110])]);
    }

    #[test]
    fn rejected_run_keeps_previous_version_in_course() {
        let mut parsed = listed_all();
        parsed.courses[0] = course(10, &[100]);
        parsed.rejected.course_runs.insert(uuid(101));
        let assembly = assemble_with(parsed, &remove_with(CatalogReferences::default()));
        assert_eq!(assembly.courses[0].course_runs, vec![run(100), run(101)]);
        assert!(assembly.deletions.missing.course_runs.is_empty());
    }

    #[test]
    fn pathway_ids_fresh_and_known() {
        let visible = visible();
        let history = CatalogHistory::default();
        let listings = vec![listing(31, &[]), listing(30, &[]), listing(32, &[])];
        assert_eq!(new_pathway_count(&listings, &visible, &history), 2);
        let ids: Vec<u64> = identify_pathways(listings, &visible, &history, 12)
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, vec![12, 7, 13]);
    }
}
