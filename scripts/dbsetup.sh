#!/usr/bin/env bash
# dbsetup.sh makes sure a PostgreSQL 15 server with PostGIS and pgRouting is
# running and that a database for gapmap exists, then prints its URL on stdout.
#
# With DATABASE_URL set, that server is used as it is: nothing is installed and
# the URL is printed back after a connectivity check.
# Without it, on Debian as root, the script installs what is missing with
# apt-get, starts the cluster, creates the role and database NAME (default
# "gapmap") and the extensions, and prints a URL for 127.0.0.1:5432.
#
# Usage: scripts/dbsetup.sh [--admin] [NAME]
# Progress goes to stderr so that `url=$(scripts/dbsetup.sh)` works.
#
# --admin prints instead a superuser's URL on the same server (the role
# gapmap_test_admin, password gapmap_test_admin, created when missing), for
# the backup/restore tests, which create databases and install the audit
# trail. It is meant for a test machine: with DATABASE_URL set it prints
# GAPMAP_TEST_ADMIN_DATABASE_URL, or nothing.
set -euo pipefail

admin=
if [ "${1:-}" = --admin ]; then admin=1; shift; fi
dbname="${1:-gapmap}"
pgver=15
log() { printf 'dbsetup: %s\n' "$*" >&2; }
die() { printf 'dbsetup: error: %s\n' "$*" >&2; exit 1; }

if [ -n "${DATABASE_URL:-}" ] && [ -n "$admin" ]; then
  printf '%s\n' "${GAPMAP_TEST_ADMIN_DATABASE_URL:-}"
  exit 0
fi
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || die "DATABASE_URL is set but psql is missing (apt-get install postgresql-client-$pgver)"
  psql "$DATABASE_URL" -qAt -c 'select 1' >/dev/null 2>&1 \
    || die "cannot connect to DATABASE_URL; check host, port, user and password"
  printf '%s\n' "$DATABASE_URL"
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() {
  ( cd / && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi )
}

pkgs=()
for p in "postgresql-$pgver" "postgresql-client-$pgver" "postgresql-$pgver-postgis-3" "postgresql-$pgver-pgrouting"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
done
if [ "${#pkgs[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${pkgs[*]} and no apt-get: install PostgreSQL $pgver with PostGIS 3 and pgRouting, or set DATABASE_URL"
  log "installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >&2 || log "apt-get update failed; trying the install with the cached lists"
  as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
fi

# A cluster must exist and be online. Debian creates "main" on install, but a
# machine image may have removed it.
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$pgver" '$1==v' | grep -q .; then
  log "creating cluster $pgver/main"
  as_root pg_createcluster "$pgver" main >&2
fi
cluster=$(pg_lsclusters -h | awk -v v="$pgver" '$1==v {print $2; exit}')
port=$(pg_lsclusters -h | awk -v v="$pgver" '$1==v {print $3; exit}')
if ! pg_lsclusters -h | awk -v v="$pgver" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
  log "starting cluster $pgver/$cluster"
  as_root pg_ctlcluster --skip-systemctl-redirect "$pgver" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || die "PostgreSQL $pgver/$cluster does not accept connections on 127.0.0.1:$port"

# The role logs in with a password so the URL works under Debian's default
# scram-sha-256 rule for 127.0.0.1 as well as under trust.
psqlsu() { PGOPTIONS="-c client_min_messages=warning" as_postgres psql -p "$port" -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlsu -d postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gapmap') THEN
    CREATE ROLE gapmap LOGIN PASSWORD 'gapmap';
  END IF; END \$\$;" >&2
if [ -z "$(psqlsu -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
  log "creating database $dbname"
  psqlsu -d postgres -c "CREATE DATABASE \"$dbname\" OWNER gapmap" >&2
fi
# The import benchmark starts each timed load after a CHECKPOINT, so that
# neither loader pays for the other's WAL (PostgreSQL 15's pg_checkpoint).
psqlsu -d postgres -c "DO \$\$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_checkpoint') THEN GRANT pg_checkpoint TO gapmap; END IF; END \$\$;" >&2
# Extensions need a superuser; the migrations then find them in place.
psqlsu -d "$dbname" -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pgrouting;" >&2
# The audit trail belongs to a role gapmap cannot become, so a superuser
# installs it (data/audit.sql, idempotent); the migrations then find it.
psqlsu -d "$dbname" -v app=gapmap -f - <"$(dirname "$0")/../data/audit.sql" >&2

if [ -n "$admin" ]; then
  psqlsu -d postgres -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gapmap_test_admin') THEN
      CREATE ROLE gapmap_test_admin LOGIN SUPERUSER PASSWORD 'gapmap_test_admin';
    END IF; END \$\$;" >&2
  printf 'postgres://gapmap_test_admin:gapmap_test_admin@127.0.0.1:%s/%s?sslmode=disable\n' "$port" "$dbname"
  exit 0
fi
printf 'postgres://gapmap:gapmap@127.0.0.1:%s/%s?sslmode=disable\n' "$port" "$dbname"
