#!/usr/bin/env bash
# Validate docker-compose.yml offline, without a Docker engine.
#
# Three real checks (pinned tools, no network once installed, no Docker daemon):
#   1. schema:   check-jsonschema (PyPI) against the compose-spec JSON schema it
#                vendors (--builtin-schema vendor.compose-spec). Catches unknown
#                keys (additionalProperties: false), wrong types, bad enums.
#   2. semantic: docker-compose v1 (Debian package) `config -q`, which loads the
#                file like compose does: YAML anchors/merge keys, ${VAR}
#                interpolation, references between services and volumes.
#
# Usage: deploy/check-compose.sh [COMPOSE_FILE]   (default: docker-compose.yml)
# Installs what it needs idempotently: check-jsonschema into .venv/ (created
# with python3.11 if missing) and docker-compose with apt-get (needs root).
set -euo pipefail

CHECK_JSONSCHEMA_VERSION="0.39.0"
DOCKER_COMPOSE_V1_DEB="1.29.2-3"      # Debian bookworm's docker-compose

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

compose_file="${1:-docker-compose.yml}"
if [[ ! -f "$compose_file" ]]; then
    echo "check-compose: FAIL: $compose_file not found" >&2
    exit 2
fi

log() { echo "check-compose: $*" >&2; }

# --- tools -----------------------------------------------------------------

venv=".venv"
if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv with python3.11"
    python3.11 -m venv "$venv"
fi
cj="$venv/bin/check-jsonschema"
if ! { [[ -x "$cj" ]] && [[ "$("$cj" --version 2>/dev/null)" == *" $CHECK_JSONSCHEMA_VERSION" ]]; }; then
    log "installing check-jsonschema==$CHECK_JSONSCHEMA_VERSION into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi

dc_installed() { dpkg-query -W -f='${db:Status-Abbrev}${Version}' docker-compose 2>/dev/null || true; }
if [[ "$(dc_installed)" != "ii $DOCKER_COMPOSE_V1_DEB" ]]; then
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            log "FAIL: docker-compose $DOCKER_COMPOSE_V1_DEB is not installed and this is not root"
            exit 2
        fi
    fi
    log "installing docker-compose=$DOCKER_COMPOSE_V1_DEB with apt-get"
    apt_install() {
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "docker-compose=$DOCKER_COMPOSE_V1_DEB" >/dev/null 2>&1
    }
    if ! apt_install; then
        $sudo apt-get update -qq >/dev/null
        apt_install
    fi
fi
cj_ver="$("$cj" --version | awk '{print $NF}')"
dc_ver="$(docker-compose version --short)"

# --- checks ----------------------------------------------------------------

status=0

if ! "$cj" --builtin-schema vendor.compose-spec "$compose_file" >&2; then
    log "schema check failed (check-jsonschema $cj_ver, vendor.compose-spec)"
    status=1
fi

# docker-compose v1 reads COMPOSE_* and DOCKER_* from the environment; keep it
# from picking up anything that would make it talk to a daemon or merge files.
if ! env -u COMPOSE_FILE -u DOCKER_HOST -u DOCKER_CONTEXT \
        docker-compose --project-directory "$repo_root" -f "$compose_file" config -q >&2; then
    log "semantic check failed (docker-compose $dc_ver config -q)"
    status=1
fi

# 3. mounts: every file or folder bind-mounted from the repository exists (compose
#    itself would create a missing one as an empty folder and start regardless, e.g. a
#    Prometheus without its rules).
missing="$(env -u COMPOSE_FILE -u DOCKER_HOST -u DOCKER_CONTEXT \
        docker-compose --project-directory "$repo_root" -f "$compose_file" config 2>/dev/null \
    | "$venv/bin/python" -c '
import os, sys, yaml
services = (yaml.safe_load(sys.stdin) or {}).get("services", {})
for name, service in services.items():
    for volume in service.get("volumes", []):
        source = volume.get("source") if isinstance(volume, dict) else volume.split(":")[0]
        kind = volume.get("type") if isinstance(volume, dict) else "bind"
        if kind == "bind" and source.startswith("/") and not os.path.exists(source):
            print(f"{name}: {source}")
')" || true
if [[ -n "$missing" ]]; then
    log "bind-mounted paths missing:"$'\n'"$missing"
    status=1
fi

checks="compose-spec schema: check-jsonschema $cj_ver; docker-compose $dc_ver config -q; mounts"
if [[ $status -eq 0 ]]; then
    echo "check-compose: OK $compose_file ($checks)"
else
    echo "check-compose: FAIL $compose_file ($checks)"
fi
exit $status
