//! Assembly of a program record and of the program list from data already in memory: the CPU
//! part of a records request, without storage or HTTP. Programs of 5, 30 and 100 courses of five
//! runs each, the learner holding two graded, certified runs per course.
//!
//! Run with `cargo bench -p learner-records --bench record_build`; `make bench` runs it and
//! copies criterion's medians into docs/benchmarks.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use learner_records::domain::Catalog;
use learner_records::domain::record::{Viewer, build_program_list, build_program_record};
use learner_records::sample_program::SampleProgram;

const COURSE_COUNTS: [usize; 3] = [5, 30, 100];

fn catalog_of(sample: &SampleProgram) -> Catalog {
    Catalog::new(
        1,
        vec![sample.organization.clone()],
        sample.courses.clone(),
        vec![sample.program.clone()],
        vec![sample.pathway.clone()],
    )
}

fn record_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("record_build");
    for courses in COURSE_COUNTS {
        let sample = SampleProgram::new(courses);
        let catalog = catalog_of(&sample);

        group.bench_with_input(BenchmarkId::new("record", courses), &sample, |b, sample| {
            b.iter(|| {
                build_program_record(
                    black_box(&catalog),
                    &sample.settings,
                    &sample.program,
                    &sample.username,
                    black_box(&sample.learner),
                    Viewer::OwnerOrStaff,
                )
            });
        });

        // The record as the function sends it: built, then serialised to JSON.
        group.bench_with_input(
            BenchmarkId::new("record_json", courses),
            &sample,
            |b, sample| {
                b.iter(|| {
                    let record = build_program_record(
                        black_box(&catalog),
                        &sample.settings,
                        &sample.program,
                        &sample.username,
                        black_box(&sample.learner),
                        Viewer::OwnerOrStaff,
                    );
                    serde_json::to_vec(&record).unwrap_or_default()
                });
            },
        );

        group.bench_with_input(BenchmarkId::new("list", courses), &sample, |b, sample| {
            b.iter(|| {
                build_program_list(
                    black_box(&catalog),
                    &sample.settings,
                    black_box(&sample.learner),
                )
            });
        });
    }
    group.finish();
}

// Short windows keep `make bench` to about half a minute here. The spread criterion reports
// says whether that was enough.
criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    targets = record_build
}
criterion_main!(benches);
