#!/usr/bin/env bash
# The compose RabbitMQ's entrypoint: writes the users and their permissions
# (definitions.sh, passwords from the environment) where compose.conf has the node load
# them at boot, then starts the image's own entrypoint. Loading definitions at boot also
# keeps the node from creating `guest`. A password missing or unfit stops it here.
set -euo pipefail

definitions=/var/lib/rabbitmq/lianxin-definitions.json
if [[ -z ${RABBITMQ_ADMIN_PASSWORD:-} ]]; then
    echo "set RABBITMQ_ADMIN_PASSWORD (and one per service) in .env: deploy/README.md" >&2
    exit 1
fi
umask 077
bash /etc/lianxin/rabbitmq/definitions.sh --vhost / --prefix lianxin- > "$definitions.new"
mv "$definitions.new" "$definitions"
exec docker-entrypoint.sh "$@"
