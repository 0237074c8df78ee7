#!/usr/bin/env bash
# Starts, stops or reports a moto server on 127.0.0.1 that emulates
# DynamoDB, S3, SESv2 and EventBridge for local runs and tests.
#
#   infra/moto.sh start|stop|status
#
# Environment:
#   MOTO_PORT       port to listen on. When unset, start picks a free port.
#   MOTO_STATE_DIR  folder for moto.env, moto.pid and moto.log, by default .dev
#                   at the repository root. Separate folders let several
#                   servers run side by side.
#
# `start` writes moto.env with the variables that point the AWS SDKs at the
# server. Load it with `set -a; . .dev/moto.env; set +a`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state_dir=${MOTO_STATE_DIR:-$root/.dev}
pid_file=$state_dir/moto.pid
env_file=$state_dir/moto.env
log_file=$state_dir/moto.log
python=$root/.venv/bin/python
moto_server=$root/.venv/bin/moto_server
startup_timeout_seconds=30

usage() {
    echo "usage: infra/moto.sh start|stop|status" >&2
    exit 2
}

# Prints the pid from the pid file when that process is still the moto server
# this script started. A pid that the system has since reused for another
# program does not count, so `stop` can never kill an unrelated process.
running_pid() {
    [[ -f $pid_file ]] || return 1
    local pid
    pid=$(<"$pid_file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$moto_server" || return 1
    echo "$pid"
}

endpoint() {
    sed -n 's/^MOTO_ENDPOINT=//p' "$env_file" 2>/dev/null
}

port_is_free() {
    "$python" - "$1" <<'EOF'
import socket
import sys

with socket.socket() as probe:
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
EOF
}

pick_free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Succeeds once moto returns its state from the data endpoint over HTTP.
is_ready() {
    "$python" - "$1" <<'EOF'
import sys
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json", timeout=1).read()
except OSError:
    sys.exit(1)
EOF
}

start() {
    local pid
    if pid=$(running_pid); then
        echo "moto is already running at $(endpoint) (pid $pid)"
        return 0
    fi
    rm -f "$pid_file" "$env_file"

    if [[ ! -x $moto_server ]]; then
        echo "moto.sh: $moto_server not found; run 'make venv' first" >&2
        exit 1
    fi

    local port
    if [[ -n ${MOTO_PORT:-} ]]; then
        port=$MOTO_PORT
        if ! port_is_free "$port"; then
            echo "moto.sh: port $port on 127.0.0.1 is already in use; set MOTO_PORT to a free port or unset it to pick one" >&2
            exit 1
        fi
    else
        port=$(pick_free_port)
    fi

    mkdir -p "$state_dir"
    local url=http://127.0.0.1:$port
    nohup "$moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log_file" 2>&1 &
    pid=$!
    echo "$pid" >"$pid_file"

    local deadline=$((SECONDS + startup_timeout_seconds))
    until is_ready "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "moto.sh: moto exited during startup; last lines of $log_file:" >&2
            tail -n 20 "$log_file" >&2
            rm -f "$pid_file"
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            echo "moto.sh: moto did not respond at $url within ${startup_timeout_seconds}s (timed out); see $log_file" >&2
            kill "$pid" 2>/dev/null || true
            rm -f "$pid_file"
            exit 1
        fi
        sleep 0.1
    done

    # Dummy credentials, because moto accepts any and the SDKs need some to
    # sign requests.
    cat >"$env_file" <<EOF
MOTO_ENDPOINT=$url
AWS_ENDPOINT_URL=$url
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
EOF
    echo "moto is running at $url (pid $pid); environment in $env_file"
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        echo "moto is not running"
        rm -f "$pid_file" "$env_file"
        return 0
    fi

    kill "$pid"
    local deadline=$((SECONDS + 5))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "moto.sh: moto (pid $pid) ignored SIGTERM for 5s; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$pid_file" "$env_file"
    echo "moto stopped (pid $pid)"
}

status() {
    local pid
    if pid=$(running_pid); then
        echo "moto is running at $(endpoint) (pid $pid)"
    else
        echo "moto is not running"
        # 3 is the LSB status code for "not running".
        exit 3
    fi
}

[[ $# -eq 1 ]] || usage
case $1 in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
