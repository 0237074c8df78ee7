#!/usr/bin/env bash
# Runs every benchmark and writes docs/benchmarks.md: record assembly
# (criterion), package sizes, cold start, peak memory, the request path
# through the Lambda Runtime API to moto, the AWS requests per route, and the
# catalog copy when its benchmark is present. `make bench` calls it after
# preparing .venv; nothing here runs as part of `make test`.
#
# Builds: one release build of the five functions with cargo-lambda, the
# criterion bench, and debug builds of the harness tools. Raw results stay in
# .dev/bench/results for inspection.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH=$root/.venv/bin:$PATH
target=${CARGO_TARGET_DIR:-$root/target}
results=$root/.dev/bench/results
rm -rf "$results"
mkdir -p "$results"

functions=(records public-record share-credit copy-catalog ingest)
# Functions whose harness request is defined (see lambda-harness.rs); the
# others get their init measured only.
http_functions=(records public-record ingest)
repetitions=${BENCH_REPETITIONS:-20}

note() {
    echo "bench: $*" >&2
}

export MOTO_STATE_DIR=$root/.dev/bench
stop_moto() {
    infra/moto.sh stop || true
}
trap stop_moto EXIT
infra/moto.sh start
set -a
# shellcheck source=/dev/null
. "$MOTO_STATE_DIR/moto.env"
set +a

# The machine.
{
    echo "nproc=$(nproc)"
    echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "rustc=$(rustc --version)"
    echo "cargo_lambda=$(cargo lambda --version 2>/dev/null || echo unavailable)"
    echo "moto=$(.venv/bin/python -c 'import moto; print(moto.__version__)')"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load=$(cut -d ' ' -f 1-3 /proc/loadavg)"
} >"$results/machine.env"

# Record assembly. Criterion writes its estimates to $CRITERION_HOME.
note "record build (criterion)"
# The release profile, target and CPU flags of the Lambda build below, so the
# bench measures code generated as the functions' is.
rm -rf "$target/criterion/record_build"
CRITERION_HOME=$target/criterion RUSTFLAGS="-C target-cpu=haswell" cargo bench --target x86_64-unknown-linux-gnu \
    --profile release -p learner-records --bench record_build >"$results/criterion.log" 2>&1
cp -r "$target/criterion/record_build" "$results/criterion"

# Release build of the functions, as `sam build` runs it but with
# `--compiler cargo`, which needs no zig on PATH.
note "release build of the functions"
bins=()
for function in "${functions[@]}"; do
    bins+=(--bin "$function")
done
build_started=$SECONDS
cargo lambda build --release --compiler cargo "${bins[@]}" >"$results/lambda-build.log" 2>&1
echo "$((SECONDS - build_started))" >"$results/lambda-build.seconds"
for function in "${functions[@]}"; do
    bootstrap=$target/lambda/$function/bootstrap
    .venv/bin/python - "$bootstrap" >"$results/size-$function.json" <<'EOF'
import io
import json
import os
import sys
import zipfile

path = sys.argv[1]
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    archive.write(path, "bootstrap")
print(json.dumps({"bootstrap_bytes": os.path.getsize(path), "zip_bytes": len(buffer.getvalue())}))
EOF
done

# Cold start, memory and the request path, through the harness.
note "building the harness"
cargo build -p devstack --bin lambda-harness >"$results/harness-build.log" 2>&1
harness=$target/debug/lambda-harness
for function in "${functions[@]}"; do
    note "cold start of $function ($repetitions runs)"
    # A function that fails here (for example one needing settings the
    # harness does not give) is reported on the page instead of ending the run.
    if ! "$harness" cold-start --function "$function" --repetitions "$repetitions" \
        --bootstrap "$target/lambda/$function/bootstrap" \
        >"$results/cold-$function.json" 2>"$results/cold-$function.error"; then
        note "cold start of $function failed: $(cat "$results/cold-$function.error")"
        rm -f "$results/cold-$function.json"
    fi
done
for function in "${http_functions[@]}"; do
    note "1000 requests to $function"
    "$harness" requests --function "$function" --count 1000 \
        --bootstrap "$target/lambda/$function/bootstrap" >"$results/memory-$function.json"
done
note "200 requests to records"
"$harness" requests --function records --count 200 \
    --bootstrap "$target/lambda/records/bootstrap" >"$results/path-harness.json"
note "AWS requests per route"
"$harness" counts >"$results/counts.json"

# The local gateway of `make dev` (HTTP -> function -> moto). NOTE: until the
# `local-gateway` bin exists, the request path is measured through the
# harness above and the page states that.
if [[ -f crates/devstack/src/bin/local-gateway.rs ]]; then
    # TODO: run 200 requests for the 30-course record through local-gateway
    # in in-process mode and write the summary to $results/path-gateway.json
    # (same shape as the harness's "latency" object).
    note "local-gateway exists but its benchmark run is not written yet"
fi

# Catalog copy, when its benchmark is present.
if [[ -f crates/devstack/src/bin/bench-catalog-copy.rs ]]; then
    note "catalog copy"
    cargo build -p devstack --bin bench-catalog-copy >"$results/catalog-build.log" 2>&1
    "$target/debug/bench-catalog-copy" >"$results/catalog-copy.md" 2>"$results/catalog-copy.log"
fi

note "writing docs/benchmarks.md"
.venv/bin/python infra/benchmark_page.py "$results" docs/benchmarks.md
note "done"
