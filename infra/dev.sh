#!/usr/bin/env bash
# Entry point of `make dev`: runs the whole system on 127.0.0.1 with demo data.
#
#   1. checks that the ports are free and builds the workspace;
#   2. starts moto and creates the table, bucket, bus and SES identity;
#   3. starts the course-discovery stand-in (the real samples in ../shared/fixtures/discovery
#      when present, else the demo catalog), copies the catalog from it, and configures the
#      site and the demo programs' certificates;
#   5. serves every function under `cargo lambda watch`, behind the local gateway that routes
#      the paths of template.yaml as API Gateway does;
#   6. posts demo data through the ingest routes as the LMS does;
#   7. prints a token per demo learner and curl commands to try.
#
# Ctrl-C stops everything it started. Logs go to $DEV_DIR/logs.
#
# Environment (defaults in brackets):
#   DEV_PORT        port of the local gateway [3000]
#   MOTO_PORT       port of moto [4566]
#   WATCH_PORT      port of the cargo lambda watch invoke API [9000]
#   DISCOVERY_PORT  port of the course-discovery stand-in [18381]
#   DEV_DIR         folder for secrets, logs, tokens and moto's state [.dev]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

dev_port=${DEV_PORT:-3000}
moto_port=${MOTO_PORT:-4566}
watch_port=${WATCH_PORT:-9000}
discovery_port=${DISCOVERY_PORT:-18381}
dev_dir=${DEV_DIR:-$root/.dev}
dev_dir=$(mkdir -p "$dev_dir" && cd "$dev_dir" && pwd)
logs=$dev_dir/logs
moto_state=$dev_dir/moto
python=$root/.venv/bin/python
cargo_lambda=$root/.venv/bin/cargo-lambda
started_at=$EPOCHREALTIME

# The MFE's and the LMS's devstack conventions: the MFE runs on localhost:1990, the LMS on
# localhost:18000. Both only appear in URLs that browsers follow.
mfe_origin=http://localhost:1990
lms_url_root=http://localhost:18000
platform_name="Learner Records Demo"
partner_from_address=records@learner-records.example.test

say() {
    printf '==> %s\n' "$*"
}

warn() {
    printf 'dev.sh: warning: %s\n' "$*" >&2
}

fail() {
    printf 'dev.sh: %s\n' "$*" >&2
    exit 1
}

elapsed() {
    "$python" -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' \
        "$started_at" "$EPOCHREALTIME"
}

# --- Processes this script started, stopped on exit --------------------------------------------

# Each long-running child runs in a session of its own (setsid), so Ctrl-C reaches only this
# script. The script then stops each child's process group by its id. cargo lambda watch stops
# the function processes it spawned when it receives SIGTERM.
child_pids=()
child_names=()
moto_started=false

start_child() {
    local name=$1 log=$2
    shift 2
    setsid "$@" >"$log" 2>&1 </dev/null &
    child_pids+=("$!")
    child_names+=("$name")
}

stop_children() {
    local status=$?
    trap - EXIT INT TERM
    local i pid
    for i in "${!child_pids[@]}"; do
        pid=${child_pids[$i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM -- "-$pid" 2>/dev/null || true
        fi
    done
    for i in "${!child_pids[@]}"; do
        pid=${child_pids[$i]}
        local deadline=$((SECONDS + 5))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "${child_names[$i]} (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    if $moto_started; then
        MOTO_STATE_DIR=$moto_state "$root/infra/moto.sh" stop >/dev/null || true
    fi
    if ((${#child_pids[@]} > 0)) || $moto_started; then
        echo "dev.sh: stopped everything it started"
    fi
    exit "$status"
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Fails when a child has exited, printing the end of its log.
check_children() {
    local i
    for i in "${!child_pids[@]}"; do
        if ! kill -0 "${child_pids[$i]}" 2>/dev/null; then
            local log=$logs/${child_names[$i]}.log
            printf 'dev.sh: %s exited; last lines of %s:\n' "${child_names[$i]}" "$log" >&2
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
    done
}

# --- Checks -----------------------------------------------------------------------------------

[[ -x $python && -x $cargo_lambda && -x $root/.venv/bin/moto_server ]] ||
    fail ".venv is missing moto or cargo-lambda; run 'make venv' (or 'make dev', which runs it)"

# Succeeds when nothing listens on a port of 127.0.0.1. SO_REUSEADDR makes the probe ignore
# connections in TIME_WAIT from an earlier run, as the servers themselves do when they bind.
port_is_free() {
    "$python" - "$1" <<'EOF'
import socket
import sys

with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
EOF
}

check_ports() {
    local -A seen=()
    local name port
    for name in DEV_PORT MOTO_PORT WATCH_PORT DISCOVERY_PORT; do
        case $name in
            DEV_PORT) port=$dev_port ;;
            MOTO_PORT) port=$moto_port ;;
            WATCH_PORT) port=$watch_port ;;
            DISCOVERY_PORT) port=$discovery_port ;;
        esac
        [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) ||
            fail "$name=$port is not a port number"
        [[ -z ${seen[$port]:-} ]] || fail "$name and ${seen[$port]} are both $port; give each its own port"
        seen[$port]=$name
        if ! port_is_free "$port"; then
            local hint="set $name to a free port"
            if MOTO_STATE_DIR=$moto_state "$root/infra/moto.sh" status >/dev/null 2>&1; then
                hint="$hint, or stop the moto server of an earlier run with MOTO_STATE_DIR=$moto_state infra/moto.sh stop"
            fi
            fail "port $port ($name) on 127.0.0.1 is already in use; $hint"
        fi
    done
}

# Prints the HTTP status of a request, or 000 when no response arrives within TIMEOUT seconds.
#   http_status TIMEOUT METHOD URL [HEADER: VALUE]...
http_status() {
    "$python" - "$@" <<'EOF'
import sys
import urllib.error
import urllib.request

timeout, method, url = float(sys.argv[1]), sys.argv[2], sys.argv[3]
headers = dict(h.split(": ", 1) for h in sys.argv[4:])
request = urllib.request.Request(url, method=method, headers=headers)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(request, timeout=timeout) as response:
        print(response.status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError:
    print("000")
EOF
}

# Waits until a preflight through the gateway to a route of `binary` gets 200. The first
# request to each function makes cargo lambda watch build and start it, so one request may
# take minutes. The request is not retried before it ends, because an abandoned invocation
# still runs and a retry would queue another.
wait_for_function() {
    local binary=$1 path=$2 deadline=$((SECONDS + 900)) status
    while :; do
        status=$(http_status 900 OPTIONS "http://127.0.0.1:$dev_port$path" \
            "Origin: $mfe_origin" "Access-Control-Request-Method: GET")
        [[ $status == 200 ]] && return 0
        check_children
        ((SECONDS < deadline)) || fail "$binary did not answer through the gateway within 900 s (last status $status); see $logs/watch.log"
        sleep 0.5
    done
}

# Succeeds when something accepts connections on a port of 127.0.0.1. It connects rather than
# binds, so it cannot take the port from the server that is starting.
port_is_open() {
    "$python" - "$1" <<'EOF'
import socket
import sys

try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# Waits until the child `name` listens on a port of 127.0.0.1.
wait_for_port() {
    local name=$1 port=$2 deadline=$((SECONDS + 60))
    until port_is_open "$port"; do
        check_children
        ((SECONDS < deadline)) || fail "$name did not listen on 127.0.0.1:$port within 60 s; see $logs/$name.log"
        sleep 0.2
    done
}

check_ports
if MOTO_STATE_DIR=$moto_state "$root/infra/moto.sh" status >/dev/null 2>&1; then
    fail "a moto server from $moto_state is already running; stop it with MOTO_STATE_DIR=$moto_state infra/moto.sh stop, or set DEV_DIR to another folder"
fi
mkdir -p "$logs"

# --- Secrets ----------------------------------------------------------------------------------

# Local signing keys, made once per checkout and kept across runs so tokens stay valid.
secret() {
    local file=$dev_dir/secrets/$1
    if [[ ! -s $file ]]; then
        (umask 077 && mkdir -p "$dev_dir/secrets" &&
            "$python" -c 'import secrets; print(secrets.token_hex(32))' >"$file")
    fi
    cat "$file"
}
jwt_secret=$(secret jwt-secret)
csrf_secret=$(secret csrf-secret)

# --- Build ------------------------------------------------------------------------------------

say "building the workspace (log: $logs/build.log)"
cargo build --workspace 2>&1 | tee "$logs/build.log"
target_dir=$(cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin=$target_dir/debug
say "built in $(elapsed) s"

# --- moto and the AWS resources ---------------------------------------------------------------

say "starting moto on 127.0.0.1:$moto_port"
MOTO_STATE_DIR=$moto_state MOTO_PORT=$moto_port "$root/infra/moto.sh" start
moto_started=true
ln -sf "$moto_state/moto.log" "$logs/moto.log"
set -a
# shellcheck source=/dev/null
. "$moto_state/moto.env"
set +a

# The functions' environment, as template.yaml sets it on AWS. cargo lambda watch passes it on
# to every function it starts.
export TABLE_NAME=learner-records-dev
export EVENT_BUS_NAME=learner-records-dev
export EXPORT_BUCKET=learner-records-dev-exports
export PUBLIC_BASE_URL=http://127.0.0.1:$dev_port
export LMS_URL_ROOT=$lms_url_root
export LEARNER_RECORD_MFE_URL=
export CORS_ALLOWED_ORIGINS=$mfe_origin
export JWT_ISSUERS="[{\"issuer\": \"$lms_url_root/oauth2\", \"audience\": \"lms-key\"}]"
export JWT_SECRET_KEY=$jwt_secret
export JWT_LEEWAY_SECONDS=1
export CSRF_SECRET_KEY=$csrf_secret
export PARTNER_FROM_ADDRESS=$partner_from_address
export USERNAME_REPLACEMENT_WORKER=retirement_service_worker
export CATALOG_API_URL=http://127.0.0.1:$discovery_port/api/v1/
export DISCOVERY_TOKEN_URL=http://127.0.0.1:$discovery_port/oauth2/access_token
# The OAuth client the stand-in's token endpoint accepts (devstack::discovery::CLIENT_ID).
export DISCOVERY_CLIENT_ID=learner-records-catalog-copy
export DISCOVERY_CLIENT_SECRET=stand-in-client-secret
export CATALOG_DELETE_MISSING=false
# Signs the admin CLI's and seed-demo's tokens; the functions verify them with JWT_SECRET_KEY.
export DEV_JWT_SECRET=$jwt_secret
export DEV_PORT=$dev_port WATCH_PORT=$watch_port

# The same environment for commands run by hand in another shell: `. .dev/dev.env`.
dev_env_names=(MOTO_ENDPOINT AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
    AWS_DEFAULT_REGION TABLE_NAME EVENT_BUS_NAME EXPORT_BUCKET PUBLIC_BASE_URL LMS_URL_ROOT
    LEARNER_RECORD_MFE_URL CORS_ALLOWED_ORIGINS JWT_ISSUERS JWT_SECRET_KEY JWT_LEEWAY_SECONDS
    CSRF_SECRET_KEY PARTNER_FROM_ADDRESS USERNAME_REPLACEMENT_WORKER CATALOG_API_URL
    DISCOVERY_TOKEN_URL DISCOVERY_CLIENT_ID DISCOVERY_CLIENT_SECRET CATALOG_DELETE_MISSING
    DEV_JWT_SECRET DEV_PORT WATCH_PORT)
(
    umask 077
    for name in "${dev_env_names[@]}"; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done >"$dev_dir/dev.env"
)

admin=$bin/learner-records-admin
say "creating the table, bucket, bus and SES identity"
"$admin" bootstrap
"$admin" site set --platform-name "$platform_name" --records-enabled true \
    --partner-from-address "$partner_from_address" >/dev/null

# --- The course-discovery stand-in and the catalog copy ---------------------------------------

say "starting the course-discovery stand-in on 127.0.0.1:$discovery_port"
start_child discovery "$logs/discovery.log" "$bin/discovery-stand-in" --port "$discovery_port"
wait_for_port discovery "$discovery_port"
printf '    %s\n' "$(head -n 1 "$logs/discovery.log")"
say "copying the catalog (summary: $logs/catalog-copy.json)"
"$admin" catalog copy >"$logs/catalog-copy.json" ||
    fail "the catalog copy failed; see the message above and $logs/discovery.log"
"$python" -c 'import json, sys; c = json.load(open(sys.argv[1]))["counts"]; print("    " + ", ".join(f"{v} {k}" for k, v in c.items()))' \
    "$logs/catalog-copy.json" || true

# The LMS can award a program credential only once its certificate is configured. seed-demo
# names the demo programs of the catalog the stand-in serves.
for program in $("$bin/seed-demo" programs); do
    "$admin" program-certificate set --program "$program" >/dev/null
done

# --- Functions and gateway --------------------------------------------------------------------

say "starting cargo lambda watch on 127.0.0.1:$watch_port (log: $logs/watch.log)"
start_child watch "$logs/watch.log" \
    "$cargo_lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port"
wait_for_port watch "$watch_port"
say "starting the local gateway on 127.0.0.1:$dev_port (log: $logs/gateway.log)"
start_child gateway "$logs/gateway.log" "$bin/local-gateway" --mode invoke \
    --port "$dev_port" --watch-port "$watch_port"
wait_for_port gateway "$dev_port"

say "starting the functions (cargo lambda watch builds each on its first request)"
wait_for_function records /records/api/v1/program_records/
say "first 200 through the gateway after $(elapsed) s"
wait_for_function ingest /api/v2/grades/
wait_for_function public-record /records/programs/00000000000000000000000000000000/share
wait_for_function share-credit /records/programs/00000000000000000000000000000000/send

# --- Demo data: posted as the LMS posts it ----------------------------------------------------

say "posting demo data through the ingest routes (log: $logs/seed.log)"
if "$bin/seed-demo" --base-url "http://127.0.0.1:$dev_port" post >"$logs/seed.log" 2>&1; then
    tail -n 1 "$logs/seed.log"
else
    tail -n 1 "$logs/seed.log" >&2
    warn "some demo data was not posted; see $logs/seed.log"
fi

# --- What to try ------------------------------------------------------------------------------

echo
"$bin/seed-demo" --base-url "http://127.0.0.1:$dev_port" guide \
    --moto-endpoint "$MOTO_ENDPOINT" --tokens-file "$dev_dir/tokens.env"
cat <<EOF

In another shell, \`. $dev_dir/dev.env\` sets this stack's environment for the admin CLI:
  $admin token --username NAME [--staff]
  $admin site set --records-enabled false
  $admin counts

The local stack is up after $(elapsed) s: gateway http://127.0.0.1:$dev_port, moto $MOTO_ENDPOINT,
functions under cargo lambda watch on 127.0.0.1:$watch_port (edits rebuild them).
Logs: $logs. Press Ctrl-C to stop everything.
EOF

# Runs until Ctrl-C or until a child exits.
while :; do
    check_children
    sleep 1
done
