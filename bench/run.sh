#!/usr/bin/env bash
# bench/run.sh — load runs against a real `liaison serve`, on SQLite and on
# PostgreSQL (when reachable):
#
#   1. GET /api/v1/me with a session cookie, driven by wrk (keep-alive);
#   2. a login burst (bench/loginburst, production argon2id parameters) while
#      the server's resident memory is sampled from /proc every 100 ms.
#
# Nothing is written into the repository except, with SAVE=1 (the default),
# the outputs under bench/results/<timestamp>/ (gitignored). See
# bench/README.md. Settings (environment):
#
#   ENGINES="sqlite postgres"   engines to run
#   PHASES="me burst"           what to run on each: the wrk run, the login burst
#   SERVER_ENV="GOMEMLIMIT=96MiB"   extra environment for the server (none by default)
#   DURATION=15s WARMUP=5s THREADS=2 CONNECTIONS=8      the wrk run
#   BURST_DURATION=15s BURST_USERS=64 BURST_CONCURRENCY=32   the login burst
#   PG_BASE=postgres://postgres@127.0.0.1:5432 PG_OPTS=sslmode=disable
#       server to create a fresh database on (dropped at the end)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINES=${ENGINES:-sqlite postgres}
PHASES=${PHASES:-me burst}
SERVER_ENV=${SERVER_ENV:-}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
BURST_DURATION=${BURST_DURATION:-15s}
BURST_USERS=${BURST_USERS:-64}
BURST_CONCURRENCY=${BURST_CONCURRENCY:-32}
PG_BASE=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
PG_OPTS=${PG_OPTS:-sslmode=disable}
SAVE=${SAVE:-1}

for tool in go wrk curl; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done

echo "nproc: $(nproc)"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(go version); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z $SERVER_ENV ]] || echo "server environment: $SERVER_ENV"
echo "phases: $PHASES; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; login burst: $BURST_USERS users, concurrency $BURST_CONCURRENCY, $BURST_DURATION"
echo

TMP=$(mktemp -d "${TMPDIR:-/tmp}/liaison-bench.XXXXXX")
SERVER_PID=""
SAMPLER_PID=""
PG_DB=""
OUT="$TMP/out"
mkdir -p "$OUT"

cleanup() {
	local rc=$?
	[[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
	if [[ -n $SERVER_PID ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ -n $PG_DB ]]; then
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
	fi
	if [[ $SAVE == 1 ]]; then
		local dest
		dest="$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)"
		mkdir -p "$dest" && cp -r "$OUT"/. "$dest"/ && echo "outputs saved in ${dest#"$ROOT"/}"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building…"
(cd "$ROOT" && go build -o "$TMP/liaison" ./cmd/liaison && go build -o "$TMP/loginburst" ./bench/loginburst)

BENCH_NAME=run.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# ticks of the PostgreSQL backends serving database $1
pg_ticks() {
	local n=0 p
	for p in $(pgrep -f "postgres: .* $1 " || true); do n=$((n + $(proc_ticks "$p"))); done
	echo "$n"
}

# rss_kb FIELD: VmRSS or VmHWM of the server, in kB.
rss_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER_PID/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

declare -A DONE ME_RPS ME_P99 ME_ERR LOGIN_RPS LOGIN_P99 LOGIN_BAD RSS_PEAK RSS_HWM
FAILED=0

me_phase() {
	local engine=$1 cookie=$2
	echo "warm-up: wrk $WARMUP"
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "Cookie: liaison_session=$cookie" "$URL/api/v1/me" >/dev/null
	echo "+ wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Cookie: liaison_session=…' $URL/api/v1/me"
	local s0 m0 c0 p0 t0 s1 m1 c1 p1 t1 secs reqs
	times >"$TMP/times0"
	s0=$(proc_ticks "$SERVER_PID") m0=$(machine_ticks) c0=$(children_ticks "$TMP/times0") p0=$(pg_ticks "${PG_DB:-none}") t0=$(date +%s.%N)
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: liaison_session=$cookie" "$URL/api/v1/me" \
		>"$OUT/wrk-me-$engine.txt"
	times >"$TMP/times1"
	s1=$(proc_ticks "$SERVER_PID") m1=$(machine_ticks) c1=$(children_ticks "$TMP/times1") p1=$(pg_ticks "${PG_DB:-none}") t1=$(date +%s.%N)
	cat "$OUT/wrk-me-$engine.txt"
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	reqs=$(awk '/requests in/ { print $1 }' "$OUT/wrk-me-$engine.txt")
	{
		echo "CPU during the run (100% = one core, $(nproc) cores): liaison $(pct $((s1 - s0)) "$secs"), wrk $(pct $((c1 - c0)) "$secs")," \
			"postgres backends of this database $(pct $((p1 - p0)) "$secs"), everything else $(pct $((m1 - m0 - (s1 - s0) - (c1 - c0) - (p1 - p0))) "$secs")"
		awk -v d=$((s1 - s0)) -v t="$TCK" -v n="$reqs" 'BEGIN { printf "liaison CPU per request: %.0f µs\n", 1e6 * d / t / n }'
		echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	} | tee -a "$OUT/wrk-me-$engine.txt"
	ME_RPS[$engine]=$(awk '$1 == "Requests/sec:" { print $2 }' "$OUT/wrk-me-$engine.txt")
	ME_P99[$engine]=$(awk '$1 == "99%" { print $2 }' "$OUT/wrk-me-$engine.txt")
	ME_ERR[$engine]=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); n += $2 } /Socket errors/ { n += 1 } END { print n + 0 }' "$OUT/wrk-me-$engine.txt")
	[[ ${ME_ERR[$engine]} == 0 ]] || { echo "wrk saw errors or non-2xx answers" >&2; FAILED=1; }
	echo "/me: ${ME_RPS[$engine]} requests/s, p99 ${ME_P99[$engine]}"
}

burst_phase() {
	local engine=$1
	echo "login burst (RSS sampled every 100 ms; VmRSS before: $(mb "$(rss_kb VmRSS)"))"
	(
		while kill -0 "$SERVER_PID" 2>/dev/null; do
			awk '$1 == "VmRSS:" { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true
			sleep 0.1
		done
	) >"$OUT/rss-$engine.txt" &
	SAMPLER_PID=$!
	echo "+ loginburst -url $URL -users $BURST_USERS -concurrency $BURST_CONCURRENCY -duration $BURST_DURATION -pid $SERVER_PID"
	if ! "$TMP/loginburst" -url "$URL" -users "$BURST_USERS" -concurrency "$BURST_CONCURRENCY" -duration "$BURST_DURATION" -pid "$SERVER_PID" |
		tee "$OUT/loginburst-$engine.txt"; then
		echo "login burst had failures" >&2
		FAILED=1
	fi
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=""
	RSS_PEAK[$engine]=$(sort -n "$OUT/rss-$engine.txt" | tail -1)
	RSS_HWM[$engine]=$(rss_kb VmHWM)
	LOGIN_RPS[$engine]=$(awk '$1 == "logins/s:" { print $2 }' "$OUT/loginburst-$engine.txt")
	LOGIN_P99[$engine]=$(awk '$1 == "latency:" { print $5 }' "$OUT/loginburst-$engine.txt")
	LOGIN_BAD[$engine]=$(awk '$1 == "non-200:" { print $2 }' "$OUT/loginburst-$engine.txt")
	echo "peak VmRSS during the burst: $(mb "${RSS_PEAK[$engine]}"); VmHWM (whole run): $(mb "${RSS_HWM[$engine]}")"
}

run_engine() {
	local engine=$1 dburl=""
	echo "=== $engine ==="
	if [[ $engine == postgres ]]; then
		if ! command -v psql >/dev/null || ! PGCONNECT_TIMEOUT=3 psql "$PG_BASE/postgres?$PG_OPTS" -qAtc 'SELECT 1' >/dev/null 2>&1; then
			echo "PostgreSQL not reachable at $PG_BASE (set PG_BASE): skipped"
			echo
			return 0
		fi
		PG_DB="liaison_bench_$$_$RANDOM"
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
		dburl="$PG_BASE/$PG_DB?$PG_OPTS"
		echo "database: $PG_DB (fresh)"
	fi
	local data="$TMP/data-$engine"
	rm -rf "$data" && mkdir -p "$data"
	start_server "$engine" "$data" "$dburl"
	echo "server: pid $SERVER_PID at $URL"

	# Sign up one user and take the session cookie from Set-Cookie.
	local hdrs status cookie
	hdrs=$(curl -sS -o /dev/null -D - -H 'Content-Type: application/json' \
		-d '{"name":"Bench User","email":"bench@example.com","password":"correct horse battery staple","account_name":"Bench Agency","account_kind":"agency"}' \
		"$URL/api/v1/signup" | tr -d '\r')
	status=$(printf '%s\n' "$hdrs" | awk 'NR == 1 { print $2 }')
	cookie=$(printf '%s\n' "$hdrs" | sed -n 's/^[Ss]et-[Cc]ookie: liaison_session=\([^;]*\).*/\1/p' | head -1)
	if [[ $status != 201 || -z $cookie ]]; then
		echo "sign-up failed (status $status)" >&2
		return 1
	fi
	curl -fsS -o /dev/null -H "Cookie: liaison_session=$cookie" "$URL/api/v1/me"
	if [[ " $PHASES " == *" me "* ]]; then
		me_phase "$engine" "$cookie"
		echo
	fi
	if [[ " $PHASES " == *" burst "* ]]; then
		burst_phase "$engine"
		echo
	fi
	DONE[$engine]=1
	stop_server
	if [[ -n $PG_DB ]]; then
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
		PG_DB=""
	fi
}

for engine in $ENGINES; do
	run_engine "$engine"
done

echo "=== summary (nproc $(nproc), load average now $(cut -d' ' -f1-3 /proc/loadavg)) ==="
printf '%-9s %12s %9s %10s %10s %8s %10s %10s\n' engine "/me req/s" "/me p99" "wrk errs" "logins/s" "login p99" "non-200" "peak RSS"
for engine in $ENGINES; do
	[[ -n ${DONE[$engine]:-} ]] || continue
	rss=-
	[[ -z ${RSS_PEAK[$engine]:-} ]] || rss=$(mb "${RSS_PEAK[$engine]}")
	printf '%-9s %12s %9s %10s %10s %8s %10s %10s\n' "$engine" "${ME_RPS[$engine]:--}" "${ME_P99[$engine]:--}" "${ME_ERR[$engine]:--}" \
		"${LOGIN_RPS[$engine]:--}" "${LOGIN_P99[$engine]:--}" "${LOGIN_BAD[$engine]:--}" "$rss"
done
exit "$FAILED"
