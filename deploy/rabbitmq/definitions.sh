#!/usr/bin/env bash
# The RabbitMQ users of Lianxin and what each may do: the one place that says it.
#
# Prints RabbitMQ definitions (JSON) to stdout: a user per service, `<prefix><service>`,
# with the permissions below on one vhost, and optionally an administrator. Imported with
# `rabbitmqctl import_definitions` from stdin (deploy/local/infra.sh, the tests) or loaded
# by the node at boot (docker-compose.yml). Importing again updates passwords and
# permissions.
#
#   RABBITMQ_CASES_PASSWORD=… RABBITMQ_ROSTER_PASSWORD=… RABBITMQ_NOTIFY_PASSWORD=… \
#   RABBITMQ_METRICS_PASSWORD=… RABBITMQ_CONSOLE_PASSWORD=… RABBITMQ_ESTATE_PASSWORD=… \
#   [RABBITMQ_ADMIN_PASSWORD=… [RABBITMQ_ADMIN_USER=…]] \
#       deploy/rabbitmq/definitions.sh [--vhost /] [--prefix lianxin-]
#
# What a service owns (lianxin.bus.delays, lianxin.bus.consumer name it all after the service):
#   <service>.events        its events exchange: only it publishes there (its outbox relay)
#   <service>.queues        the direct exchange its own queues are bound to, each by its name
#   <service>.delay.<n>s    its delay tiers, which dead-letter into <service>.queues only
#   <service>.<stream>, <service>.deadline.<kind>, evt-<source>-<type>--<service>.<method>
#                           its consumer queues, and each one's `.dead`
# A service configures and writes only what it owns, and reads what it owns plus the
# events exchanges it consumes from (reading an exchange is what binding to it needs).
# Nobody but the administrator may write to the default exchange (`amq.default`), which
# routes to any queue by name. RPC (nameko's `nameko-rpc` exchange) is open to exactly
# the two services that use it: notify calls cases.perform_action, cases answers.
# Regular expressions use [.] for a dot, so the JSON below needs no escaping.
set -euo pipefail

vhost=/
prefix=lianxin-
while (($#)); do
    case "$1" in
        --vhost) vhost=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        *) echo "usage: $0 [--vhost VHOST] [--prefix PREFIX]" >&2; exit 2 ;;
    esac
done

fail() { echo "definitions: $*" >&2; exit 1; }
[[ $vhost =~ ^[A-Za-z0-9/._-]+$ ]] || fail "not a vhost name: $vhost"
[[ $prefix =~ ^[a-z0-9._-]*$ ]] || fail "not a user name prefix: $prefix"

# A password goes into an AMQP URI, so it keeps to characters a URI carries as they are.
password_of() {  # password_of VARIABLE
    local value=${!1:-}
    [[ $value =~ ^[A-Za-z0-9._~-]{16,}$ ]] \
        || fail "$1 must be set to 16 or more of A-Z a-z 0-9 . _ ~ - (it goes into a URI)"
    printf %s "$value"
}

own() { printf '%s[.].*|evt-[^-]+-[^-]+--%s[.].*' "$1" "$1"; }

#     service  also configures and writes               also reads (events it consumes)
rows=(
    "cases     rpc-cases|nameko-rpc                      roster[.]events"
    "roster    -                                         cases[.]events"
    "notify    rpc[.]reply-notify-.*|nameko-rpc          (cases|roster)[.]events"
    "metrics   -                                         (cases|notify|roster|estate)[.]events"
    "console   -                                         (cases|roster)[.]events"
    "estate    -                                         (cases|roster)[.]events"
)

users=() permissions=()
for row in "${rows[@]}"; do
    read -r service extra consumed <<<"$row"
    variable="RABBITMQ_${service^^}_PASSWORD"
    password=$(password_of "$variable")
    writes=$(own "$service")
    [[ $extra == - ]] || writes+="|$extra"
    users+=("{\"name\": \"$prefix$service\", \"password\": \"$password\", \"tags\": \"\"}")
    permissions+=("{\"user\": \"$prefix$service\", \"vhost\": \"$vhost\", \"configure\": \"^($writes)\$\", \"write\": \"^($writes)\$\", \"read\": \"^($writes|$consumed)\$\"}")
done

if [[ -n ${RABBITMQ_ADMIN_PASSWORD:-} ]]; then
    admin=${RABBITMQ_ADMIN_USER:-lianxin-admin}
    [[ $admin =~ ^[a-z0-9._-]+$ ]] || fail "not a user name: $admin"
    password=$(password_of RABBITMQ_ADMIN_PASSWORD)
    users+=("{\"name\": \"$admin\", \"password\": \"$password\", \"tags\": \"administrator\"}")
    permissions+=("{\"user\": \"$admin\", \"vhost\": \"$vhost\", \"configure\": \".*\", \"write\": \".*\", \"read\": \".*\"}")
fi

join() { local IFS=,; echo "$*"; }
printf '{"users": [%s],\n "vhosts": [{"name": "%s"}],\n "permissions": [%s]}\n' \
    "$(join "${users[@]}")" "$vhost" "$(join "${permissions[@]}")"
