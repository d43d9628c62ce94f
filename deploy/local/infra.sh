#!/usr/bin/env bash
# Local infrastructure for development and tests: RabbitMQ (Debian package) with a user
# per service, FerretDB v1.24.2 (built from the Go module, SQLite backend, data under
# var/), Prometheus with promtool and amtool (Debian packages, for the rule and e2e
# tests), and Debian's Chromium with a CJK font (the console's browser tests). Installs
# what is missing, starts what is down, waits until both answer.
# Idempotent: a second run with both up takes about a second.
#
#   deploy/local/infra.sh start | stop | status
set -euo pipefail

FERRETDB_VERSION="v1.24.2"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_ADDR="${FERRETDB_ADDR:-127.0.0.1:27017}"
FERRETDB_DEBUG_ADDR="${FERRETDB_DEBUG_ADDR:-127.0.0.1:8088}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
var="$root/var"
broker_passwords="$var/broker-passwords.env"
ferretdb_bin="$var/bin/ferretdb"
ferretdb_pid="$var/run/ferretdb.pid"

say() { echo "infra: $*"; }
as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local deadline=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then say "$what did not come up in time"; return 1; fi
        sleep 0.5
    done
}

install_rabbitmq() {
    command -v rabbitmq-server >/dev/null && return
    say "installing rabbitmq-server from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    # the package starts a node when systemd runs; here we start our own below
}

# Prometheus and Alertmanager from Debian's packages: promtool checks and unit-tests the
# alert rules, amtool checks the Alertmanager routes, and an e2e test starts a real
# Prometheus server that scrapes the running services (all from `make test`).
install_prometheus() {
    command -v promtool >/dev/null && command -v prometheus >/dev/null \
        && command -v amtool >/dev/null && return
    say "installing prometheus and prometheus-alertmanager from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        prometheus prometheus-alertmanager >/dev/null
    # where systemd runs, the packages start system-wide servers on :9090 and :9093; the
    # tests start their own on free ports and use neither
}

# Debian's Chromium and a CJK font for the console's browser tests (tests/e2e/test_console_*):
# Playwright drives /usr/bin/chromium and never downloads a browser; without fonts-noto-cjk
# every Chinese character renders as an empty box in the screenshots.
install_browser() {
    command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 && return
    say "installing chromium and fonts-noto-cjk from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-noto-cjk >/dev/null
}

# Every service replica holds a connection per consumer, and the tests run several stacks
# at once: with the default 1,024 open files RabbitMQ runs out of descriptors (927 for
# connections) and stops answering new handshakes. It is started with as many as the
# hard limit allows (up to 65,536), and a node running with fewer is restarted once
# (durable queues and their messages stay).
rabbitmq_wanted_open_files() {
    local hard
    hard=$(ulimit -Hn)
    if [[ $hard == unlimited || $hard -gt 65536 ]]; then echo 65536; else echo "$hard"; fi
}

# Debian's rabbitmq-server switches to the rabbitmq user with `su`, whose PAM session
# sets that user's limits: the documented place for them is limits.conf.
RABBITMQ_LIMITS=/etc/security/limits.d/rabbitmq-lianxin.conf

allow_rabbitmq_open_files() {
    local line="rabbitmq - nofile $1"
    [[ -f $RABBITMQ_LIMITS && $(cat "$RABBITMQ_LIMITS") == "$line" ]] && return
    echo "$line" | as_root tee "$RABBITMQ_LIMITS" >/dev/null
}

rabbitmq_open_files() {
    local pid
    pid=$(pgrep -f 'beam.smp.*-s rabbit boot' | head -1) || return 0
    [[ -n $pid ]] && awk '/^Max open files/ {print $4}' "/proc/$pid/limits"
}

start_rabbitmq() {
    local wanted limit
    wanted=$(rabbitmq_wanted_open_files)
    if rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
        limit=$(rabbitmq_open_files)
        if [[ -z $limit || $limit -ge $wanted ]]; then return; fi
        say "restarting RabbitMQ with $wanted open files (it had $limit)"
        as_root rabbitmqctl -q stop
    fi
    allow_rabbitmq_open_files "$wanted"
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached
    wait_for 90 "RabbitMQ" rabbitmq-diagnostics -q ping
    as_root rabbitmqctl -q await_startup
}

# The services' RabbitMQ users, `lianxin-<service>`, with what deploy/rabbitmq/definitions.sh
# grants each on the vhost `make up` uses. Their passwords are made once, at random, and kept
# in var/broker-passwords.env (readable by its owner only), which scripts/stack.py reads:
# the broker listens on every interface, so no password here is one anyone else knows.
# The administrator stays Debian's `guest`, whom RabbitMQ admits from localhost only.
# Importing again resets the same passwords and permissions, so this runs every time.
random_password() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }  # 32 hex digits

ensure_broker_users() {
    local service variable
    mkdir -p "$var"
    (
        umask 077  # before the file is opened: its owner alone reads it
        if [[ ! -f $broker_passwords ]]; then
            say "making passwords for the services' RabbitMQ users ($broker_passwords)"
            echo "# RabbitMQ passwords of the local services' users (deploy/local/infra.sh)" \
                > "$broker_passwords"
        fi
        # a service added since the file was made gets its password now
        for service in cases roster notify metrics console estate; do
            variable="RABBITMQ_${service^^}_PASSWORD"
            grep -q "^$variable=" "$broker_passwords" \
                || echo "$variable=$(random_password)" >> "$broker_passwords"
        done
    )
    (
        set -a
        # shellcheck source=/dev/null
        . "$broker_passwords"
        "$root/deploy/rabbitmq/definitions.sh" --vhost / --prefix lianxin-
    ) | as_root rabbitmqctl -q import_definitions
}

# `go install $FERRETDB_MODULE/cmd/ferretdb@$FERRETDB_VERSION` cannot be used as is:
# its deprecation check lists all versions (the module proxy answers 403 to
# that here), and the module zip has no build/version/version.txt, without
# which the binary panics at start. So: download exactly this version, add
# version.txt, apply our patches and build it with its own go.mod and go.sum.
#
# ferretdb-sqlite-id-index.patch: as shipped, the SQLite backend filters `_id` with
# the path expression `_ferretdb_sjson->'$._id'` while its unique index is built on
# `_ferretdb_sjson->"_id"`. SQLite uses an expression index only when the expressions
# match, so every find, update, replace and delete by `_id` scanned the whole table
# (22 ms at 5,000 documents, growing linearly). The patch writes the filter as
# `->'_id'`, which matches the index: by-`_id` access stays at ~0.4 ms at 100,000
# documents. FerretDB v1 is end-of-life, so it will not be fixed upstream; the
# PostgreSQL backend has the same class of problem:
# https://github.com/FerretDB/FerretDB/issues/4646
#
# ferretdb-resource-tracking-debug-only.patch: internal/util/resource tracks the
# lifetime of every document iterator, cursor and transaction for leak hunting: a
# runtime/pprof profile entry (a stack capture) and a finalizer per object. In a
# release build that bookkeeping was 10 % of FerretDB's CPU under `make bench`
# (pprof from --debug-addr); the patch keeps it for debug builds only, where
# debugbuild.Stack() already limits its stack traces.
#
# The binary is stamped with the patches' checksum, so changing a patch rebuilds it.
patches=(
    "$root/deploy/local/ferretdb-sqlite-id-index.patch"
    "$root/deploy/local/ferretdb-resource-tracking-debug-only.patch"
)
ferretdb_stamp="$var/bin/ferretdb.stamp"

build_stamp() { cat "${patches[@]}" | sha256sum | cut -d' ' -f1 | sed "s/^/$FERRETDB_VERSION-/"; }

build_ferretdb() {
    if [[ -x "$ferretdb_bin" ]] && [[ "$(cat "$ferretdb_stamp" 2>/dev/null)" == "$(build_stamp)" ]]; then
        return
    fi
    command -v go >/dev/null || { say "Go is needed to build FerretDB"; exit 1; }
    say "building FerretDB $FERRETDB_VERSION with ${#patches[@]} patch(es) (about a minute the first time)"
    # built outside the project: inside it, `git apply` would take the project's
    # repository for the patch's and silently skip every file
    local src module_dir patch
    src="$(mktemp -d)/ferretdb-$FERRETDB_VERSION"
    export GOFLAGS=-mod=mod GOTOOLCHAIN=local
    module_dir=$(cd "$root" && go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d "$module_dir" ]] || { say "could not download $FERRETDB_MODULE@$FERRETDB_VERSION"; exit 1; }
    mkdir -p "$var/bin"
    cp -r "$module_dir" "$src" && chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
    for patch in "${patches[@]}"; do
        git -C "$src" apply --verbose -p1 "$patch" 2>&1 | grep -q "^Applied patch .* cleanly" \
            || { say "patch $patch does not apply"; exit 1; }
    done
    (cd "$src" && go build -trimpath -o "$ferretdb_bin.new" ./cmd/ferretdb)
    mv "$ferretdb_bin.new" "$ferretdb_bin"
    build_stamp > "$ferretdb_stamp"
    rm -rf "$(dirname "$src")"
    stop_ferretdb  # a running unpatched server must give way to the new binary
}

ferretdb_ready() { curl -fsS "http://$FERRETDB_DEBUG_ADDR/debug/readyz"; }

start_ferretdb() {
    if ferretdb_ready >/dev/null 2>&1; then return; fi
    say "starting FerretDB on $FERRETDB_ADDR (SQLite under var/ferretdb)"
    mkdir -p "$var/ferretdb/data" "$var/run" "$var/log"
    # WAL with synchronous=NORMAL: a killed FerretDB loses nothing committed (the WAL is
    # replayed); only an OS crash or power cut may lose the last commits. This is the
    # development and test store; production runs MongoDB.
    # setsid: its own session, so it outlives the shell or test job that started it.
    # GOGC=400: Go's collector took a quarter of FerretDB's CPU under load; collecting
    # less often costs some memory (tens of MB here) and saved ~16% of its CPU per case
    # (make bench, median of A/B runs).
    GOGC="${FERRETDB_GOGC:-400}" setsid nohup "$ferretdb_bin" --handler=sqlite \
        --sqlite-url="file:$var/ferretdb/data/?_pragma=synchronous(normal)" \
        --state-dir="$var/ferretdb" --listen-addr="$FERRETDB_ADDR" \
        --debug-addr="$FERRETDB_DEBUG_ADDR" --telemetry=disable --log-level=warn \
        >>"$var/log/ferretdb.log" 2>&1 &
    echo $! > "$ferretdb_pid"
    wait_for 30 "FerretDB" ferretdb_ready
}

stop_ferretdb() {
    if [[ -f "$ferretdb_pid" ]] && kill "$(cat "$ferretdb_pid")" 2>/dev/null; then
        say "stopped FerretDB"
    fi
    rm -f "$ferretdb_pid"
}

stop_rabbitmq() {
    if rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
        as_root rabbitmqctl -q stop && say "stopped RabbitMQ"
    fi
}

case "${1:-start}" in
    start)
        install_rabbitmq
        install_prometheus
        install_browser
        build_ferretdb
        start_rabbitmq
        ensure_broker_users
        start_ferretdb
        say "RabbitMQ (users lianxin-<service>) and FerretDB $FERRETDB_VERSION are up"
        ;;
    stop) stop_ferretdb; stop_rabbitmq ;;
    status)
        rabbitmq-diagnostics -q ping >/dev/null 2>&1 && say "RabbitMQ up" || say "RabbitMQ down"
        ferretdb_ready >/dev/null 2>&1 && say "FerretDB up" || say "FerretDB down"
        ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
