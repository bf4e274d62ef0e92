#!/bin/bash
# soak.sh NAME sqlite|pg DURATION GROW_CLIENTS GROW_AUDIT [mixed flags…]
#
# Builds liaison, clientlist and mixed, seeds one agency (SEED_CLIENTS, 200;
# SEED_AUDIT, 40000 audit entries), starts `liaison serve` on it (with
# GODEBUG=gctrace=1 in the server's log), runs bench/mixed with -pid, and
# stops the server. PostgreSQL: a database liaison_soak_NAME on PGURL's
# server (default postgres://postgres@127.0.0.1:5432); with PGSTAT=30,
# snapshots of pg_stat_statements every 30 s (pgstat.sh; compare two windows
# with pgstat-diff.py). Output in /tmp/soak/NAME.
# Example (bench/README.md, "The mixed soak to 10,000 clients"):
#   bench/mixed/soak.sh sq sqlite 10m 10000 100000 -grow-workers 4 -client-users 64 -per-kind
#   bench/mixed/soak.sh pg pg 10m 10000 100000 -grow-workers 4 -client-users 64 -per-kind -vacuum 1m
set -e
name=$1 engine=$2 dur=$3 gc=$4 ga=$5; shift 5
root=$(cd "$(dirname "$0")/../.." && pwd)
D=/tmp/soak/$name; rm -rf "$D"; mkdir -p "$D/data" "$D/bin"
(cd "$root" && go build -o "$D/bin/liaison" ./cmd/liaison && go build -o "$D/bin/clientlist" ./bench/clientlist && go build -o "$D/bin/mixed" ./bench/mixed)
port=$((18000 + RANDOM % 1000))
if [ "$engine" = pg ]; then
	db=liaison_soak_${name//-/_}
	base=${PGURL:-postgres://postgres@127.0.0.1:5432}
	psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	if [ -n "$PGSTAT" ]; then
		# pg_stat_statements (in shared_preload_libraries), nested statements
		# (triggers) included; snapshots every PGSTAT seconds (pgstat.sh).
		psql "$base/$db" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
			-c "ALTER DATABASE $db SET pg_stat_statements.track = 'all'" >/dev/null
		"$root/bench/mixed/pgstat.sh" "$name" "$PGSTAT" &
	fi
	url="$base/$db?sslmode=disable"
	src=(-database-url "$url")
else
	url=""
	src=(-data-dir "$D/data")
fi
"$D/bin/clientlist" seed "${src[@]}" -clients "${SEED_CLIENTS:-200}" -other-agencies 0 -events 0 -audit "${SEED_AUDIT:-40000}" >"$D/seed.txt"
ag=$(grep agency_id= "$D/seed.txt" | cut -d= -f2)
env LIAISON_ADDR=127.0.0.1:$port LIAISON_DATA_DIR="$D/data" LIAISON_DATABASE_URL="$url" GODEBUG=gctrace=1 \
	"$D/bin/liaison" serve 2>"$D/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
(while kill -0 $pid 2>/dev/null; do echo "$(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 60; done) >"$D/load.txt" &
echo "nproc $(nproc); load at start: $(cat /proc/loadavg)"
"$D/bin/mixed" -url "http://127.0.0.1:$port" "${src[@]}" -agency "$ag" -duration "$dur" -interval 1m -pid $pid \
	-grow-clients "$gc" -grow-audit "$ga" "$@"
echo "load at end: $(cat /proc/loadavg)"
