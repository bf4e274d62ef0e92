#!/usr/bin/env bash
# The first page of a large agency's client list after a start and after a
# bulk change (issue 23: < 300 ms, bounded memory).
#
# For each engine: seeds one agency of $CLIENTS clients with $EVENTS
# activity events (bench/clientlist seed: every stored row is due, as after
# a bulk load), starts `liaison serve`, logs the admin in and times
#   1. the first page after the start (the copy loaded, every row due);
#   2. the next page;
#   3. the first page after a change of at_risk_days (every row due again);
#   4. the first page after a restart (rows current, the copy loaded again);
# then prints the server's peak RSS (VmHWM).
#
#   bench/firstpage.sh                      # both engines, this tree's build
#   TREE=/path/to/other/checkout bench/firstpage.sh   # another commit's build and seed
#
# PostgreSQL: a database $PGDB on 127.0.0.1:5432 (trust auth) is dropped and
# made again.
set -euo pipefail
cd "${TREE:-$(dirname "$0")/..}"
CLIENTS=${CLIENTS:-10000}
EVENTS=${EVENTS:-200000}
ENGINES=${ENGINES:-"sqlite postgres"}
PGDB=${PGDB:-liaison_firstpage}
PORT=${PORT:-18231}
URL=http://127.0.0.1:$PORT
EMAIL=bench-admin@example.com
PASSWORD="correct horse battery staple"
TMP=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
SERVER_PID=

go build -o "$TMP/liaison" ./cmd/liaison
BIN=$TMP/liaison
go build -o "$TMP/clientlist" ./bench/clientlist

start() {
	LIAISON_DATA_DIR=$data LIAISON_DATABASE_URL=$dburl LIAISON_ADDR=127.0.0.1:$PORT \
		LIAISON_BASE_URL=$URL "$BIN" serve >"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do curl -fsS "$URL/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "server did not start"; cat "$TMP/server.log"; exit 1
}
stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
login() {
	cookie=$(curl -sS -o /dev/null -D - -H 'Content-Type: application/json' \
		-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/login" |
		tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: liaison_session=\([^;]*\).*/\1/p' | head -1)
}
page() { # prints the time of one first page, in ms
	curl -fsS -o /dev/null -w '%{time_total}' -H "Cookie: liaison_session=$cookie" \
		"$URL/api/v1/agencies/$agency/clients?limit=50" | awk '{ printf "%.0f ms", $1 * 1000 }'
}

for engine in $ENGINES; do
	data=$TMP/data-$engine
	dburl=
	target=(-data-dir "$data")
	if [[ $engine == postgres ]]; then
		psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB"
		dburl="postgres://postgres@127.0.0.1:5432/$PGDB?sslmode=disable"
		target=(-database-url "$dburl")
	fi
	"$TMP/clientlist" seed "${target[@]}" -clients "$CLIENTS" -other-agencies 0 -events "$EVENTS" \
		-email "$EMAIL" -password "$PASSWORD" >"$TMP/seed.txt"
	agency=$(sed -n 's/^agency_id=//p' "$TMP/seed.txt")
	start
	login
	echo "$engine, $CLIENTS clients, $EVENTS events ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
	echo "  first page after the start (every row due): $(page)"
	echo "  next page:                                   $(page)"
	curl -fsS -o /dev/null -X PUT -H "Cookie: liaison_session=$cookie" -H "Origin: $URL" -H 'Content-Type: application/json' \
		-d '{"at_risk_days":10,"churn_days":60,"client_invite_ttl_days":7,"team_invite_ttl_days":7,"impersonation_idle_minutes":30}' \
		"$URL/api/v1/agencies/$agency/settings"
	echo "  first page after at_risk_days changed:       $(page)"
	sleep 20 # the refresh behind the reader, if any
	echo "  a page 20 s later:                           $(page)"
	stop
	start
	login
	echo "  first page after a restart:                  $(page)"
	echo "  server peak RSS: $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' /proc/$SERVER_PID/status)"
	stop
	[[ $engine != postgres ]] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PGDB"
done
