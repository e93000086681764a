#!/usr/bin/env bash
# Installs, when missing, what dbward's tests and demo need: the PostgreSQL
# server binaries (initdb, postgres, pg_ctl), psql and pgbench; with --bench
# also PgBouncer, for bench/run.sh. Silent and without any apt call when all
# is present. Debian/Ubuntu only (apt-get); runs as root or through
# `sudo -n`, with no terminal and no questions (CI runs it as root with no
# standard input).
#
# Usage: scripts/ensure-postgres.sh [--bench] [--dry-run]
#   --bench    PgBouncer too
#   --dry-run  print the packages that would be installed, install nothing
#
# The binary names looked for can be changed, to test the detection:
#   PGBENCH=no-such-pgbench scripts/ensure-postgres.sh --dry-run
# prints "would install: postgresql postgresql-client".
set -euo pipefail

bench=false
dry_run=false
for arg in "$@"; do
  case "$arg" in
    --bench) bench=true ;;
    --dry-run) dry_run=true ;;
    *) echo "usage: $0 [--bench] [--dry-run]" >&2; exit 2 ;;
  esac
done

INITDB=${INITDB:-initdb}
POSTGRES=${POSTGRES:-postgres}
PG_CTL=${PG_CTL:-pg_ctl}
PSQL=${PSQL:-psql}
PGBENCH=${PGBENCH:-pgbench}
PGBOUNCER=${PGBOUNCER:-pgbouncer}

# The server's directories, in the order internal/pgtest.BinDir searches
# them: pg_config --bindir, Debian's /usr/lib/postgresql/<version>/bin
# newest first, then the directory of postgres in PATH.
server_dirs() {
  pg_config --bindir 2>/dev/null || true
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -d "$d" ]] && echo "$d"
  done | sort -t/ -k5,5 -V -r
  if d=$(command -v "$POSTGRES" 2>/dev/null); then dirname "$d"; fi
}

have_server() {
  local d
  while read -r d; do
    [[ -n "$d" && -x "$d/$INITDB" && -x "$d/$POSTGRES" && -x "$d/$PG_CTL" ]] && return 0
  done < <(server_dirs)
  return 1
}

# runs NAME: NAME is in PATH (or a path) and answers --version. Debian's
# /usr/bin/psql and /usr/bin/pgbench are wrappers (postgresql-client-common)
# that exist even when the program behind them is not installed; asking for
# the version tells the two apart.
runs() { command -v "$1" >/dev/null 2>&1 && "$1" --version >/dev/null 2>&1; }

packages=()
want() {
  local p q
  for p in "$@"; do
    for q in ${packages[@]+"${packages[@]}"}; do [[ "$q" == "$p" ]] && continue 2; done
    packages+=("$p")
  done
}

have_server || want postgresql
runs "$PSQL" || want postgresql-client
# dpkg -S on Debian 12: /usr/lib/postgresql/15/bin/pgbench is in
# postgresql-15 (the server package, pulled in by postgresql), the
# /usr/bin/pgbench wrapper in postgresql-client-common (pulled in by
# postgresql-client). Installing both works whichever package a PostgreSQL
# version puts it in.
runs "$PGBENCH" || want postgresql postgresql-client
if $bench; then
  runs "$PGBOUNCER" || runs "/usr/sbin/$PGBOUNCER" || want pgbouncer
fi

[[ ${#packages[@]} -eq 0 ]] && exit 0

if $dry_run; then
  echo "would install: ${packages[*]}"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: no apt-get here; install ${packages[*]} yourself (Debian package names)" >&2
  exit 1
fi
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-postgres: need root or sudo to install: ${packages[*]}" >&2
    exit 1
  fi
  as_root=(sudo -n) # never prompt: fail instead when a password is needed
fi
apt=(${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0)

echo "ensure-postgres: installing ${packages[*]}" >&2
"${apt[@]}" update -qq </dev/null
"${apt[@]}" install -y -qq --no-install-recommends "${packages[@]}" </dev/null >/dev/null

# Debian's postgresql package may start a cluster of its own on port 5432;
# dbward's tests and demo start their own servers and leave it alone.

missing=()
have_server || missing+=("initdb/postgres/pg_ctl")
runs "$PSQL" || missing+=("$PSQL")
runs "$PGBENCH" || missing+=("$PGBENCH")
if $bench; then runs "$PGBOUNCER" || runs "/usr/sbin/$PGBOUNCER" || missing+=("$PGBOUNCER"); fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "ensure-postgres: still missing after installing ${packages[*]}: ${missing[*]}" >&2
  exit 1
fi
