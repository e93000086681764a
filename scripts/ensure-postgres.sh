#!/usr/bin/env bash
# Installs what the tests, the demo and (with --bench) the benchmark need,
# when it is missing: PostgreSQL server binaries, psql, pgbench and, for the
# benchmark, PgBouncer. Fast and silent when everything is present.
# Non-interactive: safe as root with no terminal (CI), or via sudo.
set -euo pipefail

want_bench=false
[[ "${1:-}" == "--bench" ]] && want_bench=true

have_server() {
  local d
  for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
    [[ -n "$d" && -x "$d/initdb" && -x "$d/postgres" ]] && return 0
  done
  command -v initdb >/dev/null && command -v postgres >/dev/null
}

have_pgbench() {
  command -v pgbench >/dev/null && return 0
  ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1
}

have_pgbouncer() { command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]]; }

packages=()
have_server || packages+=(postgresql)
command -v psql >/dev/null || packages+=(postgresql-client)
# Debian ships pgbench in postgresql-contrib (PostgreSQL ≤ 15) or the client package.
have_pgbench || packages+=(postgresql-contrib postgresql-client)
if $want_bench; then have_pgbouncer || packages+=(pgbouncer); fi

[[ ${#packages[@]} -eq 0 ]] && exit 0

if [[ "${DRY_RUN:-}" == 1 ]]; then
  echo "would install: ${packages[*]}"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "ensure-postgres: need root or sudo to install: ${packages[*]}" >&2; exit 1; }
  sudo="sudo -n"
fi
echo "ensure-postgres: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" </dev/null >/dev/null
# Debian's package starts a cluster of its own; dbward's tests and demo use
# their own servers, so it is left as the package set it up.
