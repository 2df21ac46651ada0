#!/usr/bin/env bash
# Starts a local PostgreSQL for the history-store tests and prints its URL.
# Installs Debian's postgresql when missing; creates role and database "trajectory" (password
# "trajectory") on the local cluster. Idempotent: safe to run before every `make test`.
set -euo pipefail
SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -1)
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$version" "$cluster" start >&2
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres bash -c "$1"; fi; }
for _ in $(seq 1 30); do as_postgres "psql -p $port -tAc 'SELECT 1'" >/dev/null 2>&1 && break; sleep 0.5; done
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='trajectory'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE trajectory LOGIN PASSWORD 'trajectory'\"" >&2
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='trajectory'\"" | grep -q 1 ||
  as_postgres "createdb -p $port -O trajectory trajectory" >&2
echo "postgres://trajectory:trajectory@127.0.0.1:$port/trajectory"
