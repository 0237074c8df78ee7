"""Writes docs/benchmarks.md from the raw results infra/bench.sh leaves in a folder.

Usage: benchmark_page.py RESULTS_DIR OUTPUT_FILE

Every figure on the page comes from a file in RESULTS_DIR. A missing file becomes a line
saying the figure was not measured, never a number.
"""

import json
import sys
from pathlib import Path

# The Python Credentials service, measured in process with Django's test client and in-memory
# sqlite on a 2-core machine, for 30 courses x 5 runs and 2 graded, certified runs per course.
BASELINE = {
    "program list": {"queries": 284, "median": 110, "p95": 124},
    "private record": {"queries": 618, "median": 208, "p95": 279},
    "public record": {"queries": 619, "median": 207, "p95": 270},
    "CSV": {"queries": 619, "median": 215, "p95": 365},
}
BASELINE_RSS_MB = 130
ROUTE_ORDER = [
    "private record, cold caches",
    "program list",
    "private record",
    "public record",
    "CSV",
    "share (creates the link)",
    "send to partner",
]
FUNCTIONS = ["records", "public-record", "share-credit", "copy-catalog", "ingest"]

# The reason each function without a harness request has no peak memory after 1,000 requests.
NO_REPEATABLE_REQUEST = {
    "share-credit": "its one HTTP route emails a partner and is limited to 15 requests a minute "
    "per user, so 1,000 repeats would measure the rate limit",
    "copy-catalog": "a run reads the course-discovery API, which the harness does not stand in "
    "for; its memory belongs with the catalog copy benchmark",
}
TARGET_INIT_MS = 20
TARGET_RSS_MB = 40
TARGET_ZIP_MB = 8
TARGET_PATH_MEDIAN_MS = 10
TARGET_RECORD_MS = 1


def load_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_env(path):
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            values[name] = value
    return values


def verdict(value, target, unit):
    """Return 'met' or how far over the target the value is."""
    if value <= target:
        return "met"
    return f"missed by {value - target:.1f} {unit} ({value / target:.1f}x the target)"


def spread(summary):
    return f"{summary['min_ms']:.1f}–{summary['max_ms']:.1f}"


def criterion_section(results, lines):
    lines.append("## Record assembly (CPU only)")
    lines.append("")
    lines.append(
        "`RUSTFLAGS='-C target-cpu=haswell' cargo bench --target x86_64-unknown-linux-gnu "
        "--profile release -p learner-records --bench record_build` (the flags and profile of "
        "the Lambda build): builds one program record "
        "(`build_program_record`), the same record serialised to JSON, and the program list "
        "(`build_program_list`) from a catalog and learner data already in memory. Programs of "
        "5, 30 and 100 courses of 5 runs each; the learner has 2 graded, awarded, verified "
        "runs per course (`learner_records::sample_program`). Criterion's median with its 95 % "
        "confidence interval over 50 samples."
    )
    lines.append("")
    folder = results / "criterion"
    if not folder.is_dir():
        lines.append("Not measured: criterion left no estimates (see criterion.log).")
        lines.append("")
        return
    lines.append("| courses | record | record + JSON | program list |")
    lines.append("|---|---|---|---|")
    at_30 = None
    for courses in (5, 30, 100):
        cells = []
        for bench in ("record", "record_json", "list"):
            estimates = load_json(folder / bench / str(courses) / "new" / "estimates.json")
            if estimates is None:
                cells.append("not measured")
                continue
            median = estimates["median"]
            low = median["confidence_interval"]["lower_bound"] / 1000
            high = median["confidence_interval"]["upper_bound"] / 1000
            value = median["point_estimate"] / 1000
            cells.append(f"{value:.1f} µs ({low:.1f}–{high:.1f})")
            if courses == 30 and bench == "record":
                at_30 = value
        lines.append(f"| {courses} | " + " | ".join(cells) + " |")
    lines.append("")
    growth = record_growth(folder)
    if growth:
        lines.append(growth)
        lines.append("")
    if at_30 is not None:
        lines.append(
            f"Target: well under {TARGET_RECORD_MS} ms at 30 courses: "
            f"{verdict(at_30 / 1000, TARGET_RECORD_MS, 'ms')} ({at_30:.1f} µs)."
        )
        lines.append("")


def record_growth(folder):
    """Return a sentence on how record assembly grows from 30 to 100 courses, or None."""
    times = {}
    for courses in (30, 100):
        estimates = load_json(folder / "record" / str(courses) / "new" / "estimates.json")
        if estimates is None:
            return None
        times[courses] = estimates["median"]["point_estimate"]
    ratio = times[100] / times[30]
    if ratio < 100 / 30 * 1.5:
        return None
    return (
        f"From 30 to 100 courses the record takes {ratio:.1f}x as long for 3.3x the courses: "
        "assembly grows about quadratically. From reading `domain::record` (not profiled): "
        "each run of the program scans all of the learner's credentials and grades, and each "
        "credential looks up its certificate configuration by a linear search of the site's "
        "course certificates. Indexing both by run key would make it linear."
    )


def size_section(results, lines):
    lines.append("## Package size")
    lines.append("")
    build_seconds = (results / "lambda-build.seconds")
    seconds = build_seconds.read_text().strip() if build_seconds.is_file() else "?"
    lines.append(
        "`cargo lambda build --release --compiler cargo --bin <function>` (x86_64, the "
        "workspace's release profile: fat LTO, one codegen unit, stripped), then the "
        "`bootstrap` zipped at deflate level 9 with Python's zipfile, as a Lambda upload. "
        f"This run's build step took {seconds} s; it is short when the target folder already "
        "holds the build."
    )
    lines.append("")
    lines.append(f"| function | bootstrap | zipped | target ≤ {TARGET_ZIP_MB} MB |")
    lines.append("|---|---|---|---|")
    for function in FUNCTIONS:
        size = load_json(results / f"size-{function}.json")
        if size is None:
            lines.append(f"| {function} | not built | | |")
            continue
        raw = size["bootstrap_bytes"] / 1e6
        zipped = size["zip_bytes"] / 1e6
        lines.append(
            f"| {function} | {raw:.2f} MB | {zipped:.2f} MB | {verdict(zipped, TARGET_ZIP_MB, 'MB')} |"
        )
    lines.append("")


def cold_start_section(results, lines, repetitions):
    lines.append("## Cold start")
    lines.append("")
    lines.append(
        "`lambda-harness cold-start --function <f> --bootstrap target/lambda/<f>/bootstrap "
        f"--repetitions {repetitions}`. The harness serves the Lambda Runtime API on 127.0.0.1, "
        "starts the release `bootstrap` with the template's environment pointed at moto, and "
        "times from just before the spawn to (a) the function's first "
        "`GET /runtime/invocation/next` (init: runtime, logging, SDK clients, configuration) "
        "and (b) the posted response of its first request, which includes the first "
        "DynamoDB requests (the versions item, the catalog and settings partitions, the "
        "learner's partition). The records request is the learner's private record of the "
        "30-course program; the public-record request opens the public page of that record; "
        "the ingest request lists the learner's 60 credentials as the LMS service user. "
        "Functions without a harness request have their init measured only. Median, with "
        "min–max over the runs. RSS after init is VmHWM read right after the first `next`."
    )
    lines.append("")
    lines.append(
        f"| function | init median | init min–max | first response median | first response min–max | RSS after init | init target ≤ {TARGET_INIT_MS} ms |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for function in FUNCTIONS:
        cold = load_json(results / f"cold-{function}.json")
        if cold is None:
            error = results / f"cold-{function}.error"
            reason = error.read_text().strip() if error.is_file() else ""
            reason = reason.replace("|", "/").replace("\n", " ") or "no result"
            lines.append(f"| {function} | failed: {reason} | | | | | |")
            continue
        init = cold["init"]
        first = cold.get("first_response")
        first_median = f"{first['median_ms']:.1f} ms" if first else "no request defined"
        first_spread = f"{spread(first)} ms" if first else ""
        rss = cold.get("rss_after_init_kib_median")
        rss_text = f"{rss / 1024:.1f} MB" if rss else ""
        lines.append(
            f"| {function} | {init['median_ms']:.1f} ms | {spread(init)} ms | {first_median} | "
            f"{first_spread} | {rss_text} | {verdict(init['median_ms'], TARGET_INIT_MS, 'ms')} |"
        )
    lines.append("")


def memory_section(results, lines):
    lines.append("## Peak memory")
    lines.append("")
    lines.append(
        "`lambda-harness requests --function <f> --count 1000`: one process serves one "
        "warm-up request and then 1,000 more of the request above; VmHWM from "
        "`/proc/<pid>/status` is read before the process is killed. The Python service used "
        f"about {BASELINE_RSS_MB} MB."
    )
    lines.append("")
    lines.append(f"| function | peak RSS | target ≤ {TARGET_RSS_MB} MB |")
    lines.append("|---|---|---|")
    for function in FUNCTIONS:
        memory = load_json(results / f"memory-{function}.json")
        if memory is None:
            reason = NO_REPEATABLE_REQUEST.get(function, "the harness defines no request for it")
            lines.append(f"| {function} | not measured: {reason} | |")
            continue
        peak = memory["peak_rss_kib"] / 1024
        lines.append(f"| {function} | {peak:.1f} MB | {verdict(peak, TARGET_RSS_MB, 'MB')} |")
    lines.append("")


def path_section(results, lines):
    lines.append("## Request path and AWS requests per route")
    lines.append("")
    gateway = load_json(results / "path-gateway.json")
    harness = load_json(results / "path-harness.json")
    if gateway is not None:
        latency = gateway["latency"]
        source = "the local gateway of `make dev` (HTTP → function → moto)"
    elif harness is not None:
        latency = harness["latency"]
        source = (
            "the harness (Runtime API over HTTP on 127.0.0.1 → release `records` function → "
            "moto). The local gateway of `make dev` was not measured: its run is not wired "
            "into infra/bench.sh yet"
        )
    else:
        latency = None
        source = None
    lines.append(
        "`lambda-harness requests --function records --count 200`: 200 requests for the "
        "private record of the 30-course program after one warm-up request, each timed from "
        "handing the event to the function's waiting `next` call to its posted response. "
        f"Measured through {source}." if source else "Not measured."
    )
    lines.append("")
    lines.append(
        "**moto, not DynamoDB, sets most of this time.** moto is a Python (Flask) server that "
        "decodes every request and encodes every returned item in Python, here for a learner "
        "partition of 120 items. AWS advertises single-digit-millisecond latency for DynamoDB, "
        "but nothing here measured DynamoDB itself. The CPU part of the request is the record "
        "assembly above (microseconds). Read these figures as the local system's, not as a "
        "prediction for AWS."
    )
    lines.append("")
    counts = load_json(results / "counts.json")
    lines.append(
        "AWS requests per route come from the app's request counter (`app.counter`), with the "
        "handlers called in process (`lambda-harness counts`, 30 courses). The first row is "
        "the first request of a fresh function, which loads the catalog and settings into its "
        "caches; every other row ran on warm caches. The count does not grow with the number "
        "of courses, because each partition is read with one Query (moto returned each in one "
        "page here). The CSV route ran with the default "
        "delivery for a deployment without an MFE URL (redirect: the CSV is written to S3 once "
        "and the response is a presigned link); inline delivery skips the S3 requests. Its "
        "GetObject is the presigning of that link, which the counter sees as an operation "
        "although nothing is sent. The UpdateItem of share and send is the per-user rate "
        "limit."
    )
    lines.append("")
    lines.append(
        "| route | status | AWS requests (ours) | by operation | SQL queries (Python) | median (ours) | p95 (ours) | median (Python) | p95 (Python) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|")
    routes = counts["routes"] if counts else {}
    for route in ROUTE_ORDER:
        measured = routes.get(route)
        base = BASELINE.get(route, {})
        queries = base.get("queries", "–")
        base_median = f"{base['median']} ms" if base else "–"
        base_p95 = f"{base['p95']} ms" if base else "–"
        ours_median = ours_p95 = "–"
        if route == "private record" and latency:
            ours_median = f"{latency['median_ms']:.1f} ms"
            ours_p95 = f"{latency['p95_ms']:.1f} ms"
        if measured is None:
            lines.append(f"| {route} | not measured | | | {queries} | | | {base_median} | {base_p95} |")
            continue
        operations = ", ".join(f"{name} {count}" for name, count in measured["requests"].items())
        lines.append(
            f"| {route} | {measured['status']} | {measured['total']} | {operations} | {queries} | "
            f"{ours_median} | {ours_p95} | {base_median} | {base_p95} |"
        )
    lines.append("")
    if latency:
        storage = counts.get("private_record_storage") if counts else None
        if storage:
            lines.append(
                f"The storage round trip alone (the versions GetItem and the learner's Query, sent "
                f"together as the handler sends them, timed in the harness process without Lambda "
                f"or HTTP in between) took a median of {storage['median_ms']:.1f} ms (p95 "
                f"{storage['p95_ms']:.1f} ms, {storage['count']} runs), against "
                f"{latency['median_ms']:.1f} ms for the whole request through the release "
                f"function. The harness is a debug build, so the SDK's own parsing is slower there "
                f"than in the function, which is why this figure can exceed the whole request. The "
                f"two are close, so nearly all of the request time is the round trip to moto; "
                f"record assembly adds well under a millisecond (above)."
            )
            lines.append("")
        lines.append(
            f"Private record over {latency['count']} requests: median {latency['median_ms']:.1f} ms, "
            f"p95 {latency['p95_ms']:.1f} ms, min–max {spread(latency)} ms. Target median "
            f"≤ {TARGET_PATH_MEDIAN_MS} ms: {verdict(latency['median_ms'], TARGET_PATH_MEDIAN_MS, 'ms')}"
            + (
                ", because moto's storage round trip alone exceeds the target."
                if storage and storage["median_ms"] > TARGET_PATH_MEDIAN_MS
                else "."
            )
        )
        lines.append("")


def catalog_section(results, lines):
    lines.append("## Catalog copy")
    lines.append("")
    table = results / "catalog-copy.md"
    if not table.is_file():
        lines.append(
            "Not measured: `crates/devstack/src/bin/bench-catalog-copy.rs` is not in this "
            "checkout. infra/bench.sh runs it and copies its table here once it is."
        )
        lines.append("")
        return
    lines.append(
        "`bench-catalog-copy` against a course-discovery stand-in on 127.0.0.1 and moto: the "
        "first copy, an unchanged rerun and a rerun after 1 % of the catalog changed. Its "
        "output, unchanged:"
    )
    lines.append("")
    lines.extend(table.read_text().strip().splitlines())
    lines.append("")


def main():
    results = Path(sys.argv[1])
    output = Path(sys.argv[2])
    machine = load_env(results / "machine.env")
    repetitions = 20
    cold = load_json(results / "cold-records.json")
    if cold:
        repetitions = cold["init"]["count"]

    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (infra/bench.sh and infra/benchmark_page.py); rerun it to "
        "refresh every figure. The raw results are in `.dev/bench/results`.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine.get('cpu', '?')}, {machine.get('nproc', '?')} cores, shared with other "
        f"builds while this ran (load average at the start: {machine.get('load', '?')})",
        f"- Memory: {machine.get('memory', '?')}",
        f"- {machine.get('rustc', '?')}; {machine.get('cargo_lambda', '?')}; moto {machine.get('moto', '?')}",
        f"- Date: {machine.get('date', '?')}",
        "",
        "## The baseline",
        "",
        "The Python Credentials service (commit b6dcad5, Django 5.2.11, in-memory sqlite, called "
        "in process through Django's test client, so with no network or database-server "
        "latency), on a 2-core machine of the same kind, for a program of 30 courses × 5 runs "
        "with a learner holding 2 graded, certified runs per course: program list 284 SQL "
        "queries, 110 ms median; private record 618 queries, 208 ms; public record 619 queries, "
        "207 ms; CSV 619 queries, 215 ms. Its queries grow as 20·N + 18 with N courses (2,018 "
        "and 704 ms at 100 courses), and its process used about 130 MB. The tables below put "
        "these figures beside ours.",
        "",
    ]
    criterion_section(results, lines)
    size_section(results, lines)
    cold_start_section(results, lines, repetitions)
    memory_section(results, lines)
    path_section(results, lines)
    catalog_section(results, lines)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    main()
