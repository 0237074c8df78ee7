#!/usr/bin/env bash
# Runs every check that CI runs: formatting, clippy, the Rust tests against
# moto, and the template checks. `make test` calls it after preparing .venv.
#
# With MOTO_ENDPOINT set, the tests use that server. Otherwise this script
# starts its own moto and stops it on exit, whether the checks pass or fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# cargo-lambda and moto_server come from .venv.
export PATH=$root/.venv/bin:$PATH

# Incremental artifacts only cost time and disk in a clone that is built once.
if [[ ${CI:-} == true ]]; then
    export CARGO_INCREMENTAL=0
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

if [[ -z ${MOTO_ENDPOINT:-} ]]; then
    # A state folder of its own keeps this server apart from one that
    # `make dev` may be running.
    export MOTO_STATE_DIR=$root/.dev/test
    stop_moto() {
        infra/moto.sh stop || true
    }
    # Bash also runs the EXIT trap when SIGINT or SIGTERM ends the script.
    trap stop_moto EXIT
    infra/moto.sh start
    set -a
    # shellcheck source=/dev/null
    . "$MOTO_STATE_DIR/moto.env"
    set +a
else
    # Point every SDK call at the given server with dummy credentials, so no
    # test can reach a real AWS account.
    export AWS_ENDPOINT_URL=$MOTO_ENDPOINT
    export AWS_ACCESS_KEY_ID=testing
    export AWS_SECRET_ACCESS_KEY=testing
    export AWS_REGION=${AWS_REGION:-us-east-1}
    export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
fi

cargo test --workspace --locked

infra/lint-template.sh
