//! Writes a rendered public record page to the path given as the only argument, for
//! `infra/page-check.sh` to open in a browser. The record contains a `<script>` title, quotes,
//! ampersands and non-ASCII names, so the check can see that they all arrive as text.

use std::error::Error;

use chrono::{TimeZone, Utc};
use learner_records::domain::Percent;
use learner_records::domain::record::{GradeRow, LearnerBlock, ProgramBlock, ProgramRecord};
use learner_records::page::{self, messages};

fn main() -> Result<(), Box<dyn Error>> {
    let output = std::env::args()
        .nth(1)
        .ok_or("usage: page_check OUTPUT.html")?;
    let date = |day| Utc.with_ymd_and_hms(2021, 3, day, 2, 0, 0).single();

    let grade = |name: &str, school: &str, run: &str, percent: &str, letter: &str, day| {
        Ok::<_, Box<dyn Error>>(GradeRow {
            name: name.to_owned(),
            school: school.to_owned(),
            attempts: Some(2),
            course_id: run.to_owned(),
            issue_date: date(day),
            percent_grade: Some(Percent::parse(percent)?),
            letter_grade: letter.to_owned(),
        })
    };
    let record = ProgramRecord {
        learner: LearnerBlock {
            full_name: "Zoë Ñandú-Test".to_owned(),
            username: "lrn_zoe".to_owned(),
            email: None,
        },
        program: ProgramBlock {
            name: "<script>alert(\"page-check\")</script> Électronique & Systèmes".to_owned(),
            type_slug: "professional-certificate".to_owned(),
            type_name: "Professional Certificate".to_owned(),
            completed: false,
            empty: false,
            last_updated: date(2).ok_or("invalid date")?,
            school: "Universidad Politécnica, Øresund Institute".to_owned(),
        },
        platform_name: "Plateforme Ouverte".to_owned(),
        grades: vec![
            grade(
                "Circuits, \"Part 1\"",
                "Universidad Politécnica",
                "course-v1:UPx+CIRC1+2T2019",
                "0.855",
                "A",
                2,
            )?,
            grade(
                "Signaux et systèmes: une introduction très détaillée au traitement du signal",
                "Øresund Institute",
                "course-v1:OIx+SIG101+1T2020",
                "1",
                "N/A",
                3,
            )?,
            GradeRow {
                name: "数字电路 (Digital Circuits)".to_owned(),
                school: "Universidad Politécnica".to_owned(),
                attempts: None,
                course_id: String::new(),
                issue_date: None,
                percent_grade: None,
                letter_grade: String::new(),
            },
        ],
        pathways: Vec::new(),
        shared_program_record_uuid: None,
    };

    let csv_url =
        "http://127.0.0.1:3000/records/programs/shared/a3f1b2c45d6e4f708192a3b4c5d6e7f8/csv";
    let page = page::record_page(&record, &messages::ENGLISH, csv_url, Utc::now());
    std::fs::write(&output, page.html)?;
    println!("wrote {output}");
    Ok(())
}
