#!/usr/bin/env bash
# bench/clients.sh — load runs of the client list (GET /api/v1/agencies/{id}/clients)
# against a real `liaison serve`, on SQLite and on PostgreSQL (when reachable).
#
# For each engine: a fresh database is seeded straight in SQL by
# bench/clientlist (10,000 clients in the main agency, 10 other agencies of
# 500 clients each, users, brands, access lists, revoked and disconnected
# clients), the server starts on it, the seeded agency admin logs in through
# POST /api/v1/login, and wrk drives each scenario over keep-alive
# connections:
#
#   name-first     ?sort=name                       the first page (50 clients)
#   name-deep      ?sort=name&cursor=…              page 150 (clients 7,451–7,500)
#   health-first   ?sort=-health
#   health-deep    ?sort=-health&cursor=…           page 150
#   q-first        ?q=harbor                        a search matching ~1 client in 20
#   q-deep         ?q=harbor&cursor=…               page 8 of that search
#   me             GET /api/v1/me                   (not in the default list)
#
# With CEILING=1 each scenario is preceded by the same wrk run against
# bench/ceiling answering a body of the scenario's size, and the summary
# gives Liaison's req/s over the ceiling's (issue 23's ratios: /me >= 0.5
# SQLite, >= 0.4 PostgreSQL; list pages >= 0.35 / 0.25; search >= 0.25 / 0.2;
# p99 <= 10 ms). The two runs alternate, so the machine's speed cancels out.
#
# Every answer carries the counts per status. Targets (issue 4): >= 2,500
# requests/s on SQLite, >= 1,500 on PostgreSQL, p99 <= 15 ms, deep pages
# costing what first pages do.
#
# Nothing is written into the repository except, with SAVE=1 (the default),
# the outputs under bench/results/clients-<timestamp>/ (gitignored). See
# bench/README.md, "Client list". Settings (environment):
#
#   ENGINES="sqlite postgres"   engines to run
#   SCENARIOS="name-first name-deep health-first health-deep q-first q-deep"
#   DURATION=10s WARMUP=3s THREADS=2 CONNECTIONS=8      each wrk run
#   CLIENTS=10000 OTHER_AGENCIES=10 OTHER_CLIENTS=500   the seed
#   HEADLINE=1                  three headline metrics with this month's data (issue 16)
#   EVENTS=1000000              activity events of the main agency's clients (a year)
#   DEEP=7450 Q=harbor Q_DEEP=350                       clients before a deep page; the search
#   QUIET_MAX=10 QUIET_WAIT=120 before each run, wait up to QUIET_WAIT s for
#                               the machine to be at most QUIET_MAX% busy
#   OTHER_MAX=15 RUNS=3         rerun (up to RUNS times) a run during which
#                               other processes used more than OTHER_MAX% of a core
#   SERVER_ENV=""               extra environment for the server
#   PG_BASE=postgres://postgres@127.0.0.1:5432 PG_OPTS=sslmode=disable
#       server to create a fresh database on (dropped at the end)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINES=${ENGINES:-sqlite postgres}
SCENARIOS=${SCENARIOS:-name-first name-deep health-first health-deep q-first q-deep}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
CLIENTS=${CLIENTS:-10000}
EVENTS=${EVENTS:-1000000}
OTHER_AGENCIES=${OTHER_AGENCIES:-10}
OTHER_CLIENTS=${OTHER_CLIENTS:-500}
DEEP=${DEEP:-7450}
Q=${Q:-harbor}
Q_DEEP=${Q_DEEP:-350}
SERVER_ENV=${SERVER_ENV:-}
PG_BASE=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
PG_OPTS=${PG_OPTS:-sslmode=disable}
SAVE=${SAVE:-1}
CEILING=${CEILING:-0}
QUIET_MAX=${QUIET_MAX:-10}
QUIET_WAIT=${QUIET_WAIT:-120}
OTHER_MAX=${OTHER_MAX:-15}
RUNS=${RUNS:-3}
PASSWORD="correct horse battery staple"
EMAIL=bench-admin@example.com

for tool in go wrk curl; do
	command -v "$tool" >/dev/null || { echo "clients.sh: $tool is not installed" >&2; exit 2; }
done

echo "nproc: $(nproc)"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(go version); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- internal 2>/dev/null || echo ' (internal/ has uncommitted changes)')"
[[ -z $SERVER_ENV ]] || echo "server environment: $SERVER_ENV"
echo "seed: $CLIENTS clients in the main agency, $OTHER_AGENCIES other agencies of $OTHER_CLIENTS; wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP)"
echo

TMP=$(mktemp -d "${TMPDIR:-/tmp}/liaison-clients.XXXXXX")
SERVER_PID=""
PG_DB=""
OUT="$TMP/out"
mkdir -p "$OUT"

cleanup() {
	local rc=$?
	if [[ -n $SERVER_PID ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ -n $PG_DB ]]; then
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
	fi
	if [[ $SAVE == 1 ]]; then
		local dest
		dest="$ROOT/bench/results/clients-$(date +%Y%m%d-%H%M%S)"
		mkdir -p "$dest" && cp -r "$OUT"/. "$dest"/ && echo "outputs saved in ${dest#"$ROOT"/}"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building…"
(cd "$ROOT" && go build -o "$TMP/liaison" ./cmd/liaison && go build -o "$TMP/clientlist" ./bench/clientlist && go build -o "$TMP/ceiling" ./bench/ceiling)

BENCH_NAME=clients.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# pg_snap DB FILE writes "pid ticks" of the backends serving database DB;
# pg_delta FILE0 FILE1 sums what each backend alive at the end used since the
# start (a backend that ended in between is not counted).
pg_snap() {
	local p
	for p in $(pgrep -f "postgres: .* $1 " || true); do echo "$p $(proc_ticks "$p")"; done >"$2"
}
pg_delta() { awk 'FILENAME == ARGV[1] { t0[$1] = $2; next } { n += $2 - ($1 in t0 ? t0[$1] : 0) } END { print n + 0 }' "$1" "$2"; }

declare -A RPS P99 P50 ERRS CPUREQ OTHER CRPS CP99 RATIO
FAILED=0

# ceiling_run ENGINE NAME SIZE: the same wrk run against bench/ceiling
# answering SIZE bytes; sets CRPS and CP99 for the scenario.
ceiling_run() {
	local engine=$1 name=$2 size=$3 port file="$OUT/wrk-$1-$2-ceiling.txt" pid
	port=$(free_port)
	"$TMP/ceiling" -addr "127.0.0.1:$port" -size "$size" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.05; done
	wait_quiet
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$port/" >/dev/null
	{
		echo "+ wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:$port/   (bench/ceiling -size $size)"
		wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/"
	} >"$file"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	CRPS[$engine,$name]=$(awk '$1 == "Requests/sec:" { print $2 }' "$file")
	CP99[$engine,$name]=$(awk '$1 == "99%" { print $2 }' "$file")
}

# run_scenario ENGINE NAME QUERY COOKIE
# busy_pct SECONDS: how busy the machine is (all cores, 100% = every core)
# over the next SECONDS, from /proc/stat.
busy_pct() {
	local m0 m1
	m0=$(machine_ticks)
	sleep "$1"
	m1=$(machine_ticks)
	awk -v d=$((m1 - m0)) -v t="$TCK" -v s="$1" -v n="$(nproc)" 'BEGIN { printf "%.0f\n", 100 * d / t / s / n }'
}

# wait_quiet: before a run, wait (at most QUIET_WAIT seconds) until the
# machine, our idle server included, is under QUIET_MAX% busy.
wait_quiet() {
	local b waited=0
	while :; do
		b=$(busy_pct 2)
		if ((b <= QUIET_MAX)); then
			return 0
		fi
		if ((waited >= QUIET_WAIT)); then
			echo "(machine still ${b}% busy after ${waited}s; running anyway)" >&2
			return 0
		fi
		waited=$((waited + 2))
	done
}

# run_scenario ENGINE NAME QUERY COOKIE: a warm-up, then the measured wrk
# run, repeated (at most RUNS times) while something else used more than
# OTHER_MAX% of one core during it; the last run counts.
run_scenario() {
	local engine=$1 name=$2 query=$3 cookie=$4 file="$OUT/wrk-$1-$2.txt"
	local path="/api/v1/agencies/$AGENCY/clients?$query"
	[[ $name == me ]] && path=/api/v1/me
	# One request first: the scenario must answer 200 with a full page.
	local n size
	n=$(curl -fsS -H "Cookie: liaison_session=$cookie" "$URL$path" | grep -o '"id":"' | wc -l)
	size=$(curl -fsS -H "Cookie: liaison_session=$cookie" "$URL$path" | wc -c)
	[[ $n -ge 1 ]] || { echo "$name: no clients in the answer" >&2; FAILED=1; }
	local s0 m0 c0 p0 t0 s1 m1 c1 p1 t1 secs reqs other attempt
	for attempt in $(seq "$RUNS"); do
		[[ $CEILING == 1 ]] && ceiling_run "$engine" "$name" "$size"
		wait_quiet
		wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "Cookie: liaison_session=$cookie" "$URL$path" >/dev/null
		times >"$TMP/times0"
		pg_snap "${PG_DB:-none}" "$TMP/pg0"
		s0=$(proc_ticks "$SERVER_PID") m0=$(machine_ticks) c0=$(children_ticks "$TMP/times0") t0=$(date +%s.%N)
		{
			echo "+ wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Cookie: liaison_session=…' '$URL$path'"
			echo "(run $attempt; clients in one answer: $n; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
			wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: liaison_session=$cookie" "$URL$path"
		} >"$file"
		times >"$TMP/times1"
		s1=$(proc_ticks "$SERVER_PID") m1=$(machine_ticks) c1=$(children_ticks "$TMP/times1") t1=$(date +%s.%N)
		pg_snap "${PG_DB:-none}" "$TMP/pg1"
		p0=0 p1=$(pg_delta "$TMP/pg0" "$TMP/pg1")
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
		reqs=$(awk '/requests in/ { print $1 }' "$file")
		other=$(awk -v d=$((m1 - m0 - (s1 - s0) - (c1 - c0) - (p1 - p0))) -v t="$TCK" -v s="$secs" 'BEGIN { printf "%.0f", 100 * d / t / s }')
		{
			echo "CPU during the run (100% = one core, $(nproc) cores): liaison $(pct $((s1 - s0)) "$secs"), wrk $(pct $((c1 - c0)) "$secs")," \
				"postgres backends of this database $(pct $((p1 - p0)) "$secs"), everything else ${other}%"
			awk -v d=$((s1 - s0 + p1 - p0)) -v t="$TCK" -v n="$reqs" 'BEGIN { printf "server CPU per request (liaison + postgres backends): %.0f µs\n", 1e6 * d / t / n }'
			echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
		} >>"$file"
		cp "$file" "$OUT/wrk-$engine-$name-run$attempt.txt"
		if ((other <= OTHER_MAX)); then
			break
		fi
		echo "($name: other processes used ${other}% of a core during run $attempt)" >&2
	done
	RPS[$engine,$name]=$(awk '$1 == "Requests/sec:" { print $2 }' "$file")
	P50[$engine,$name]=$(awk '$1 == "50%" { print $2 }' "$file")
	P99[$engine,$name]=$(awk '$1 == "99%" { print $2 }' "$file")
	ERRS[$engine,$name]=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); n += $2 } /Socket errors/ { n += 1 } END { print n + 0 }' "$file")
	CPUREQ[$engine,$name]=$(awk '/^server CPU per request/ { print $(NF-1) }' "$file")
	OTHER[$engine,$name]=$other
	[[ ${ERRS[$engine,$name]} == 0 ]] || { echo "$name: wrk saw errors or non-2xx answers" >&2; FAILED=1; }
	printf '%-13s %9s req/s  p50 %8s  p99 %8s  server CPU/req %6s µs  others %4s%%  errors %s\n' "$name" "${RPS[$engine,$name]}" \
		"${P50[$engine,$name]}" "${P99[$engine,$name]}" "${CPUREQ[$engine,$name]}" "$other" "${ERRS[$engine,$name]}"
	if [[ $CEILING == 1 ]]; then
		RATIO[$engine,$name]=$(awk -v a="${RPS[$engine,$name]}" -v b="${CRPS[$engine,$name]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		printf '%-13s ceiling %s req/s (p99 %s, %s bytes): ratio %s\n' "" "${CRPS[$engine,$name]}" "${CP99[$engine,$name]}" "$size" "${RATIO[$engine,$name]}"
	fi
}

declare -A DONE
run_engine() {
	local engine=$1 dburl="" data="$TMP/data-$1"
	echo "=== $engine ==="
	if [[ $engine == postgres ]]; then
		if ! command -v psql >/dev/null || ! PGCONNECT_TIMEOUT=3 psql "$PG_BASE/postgres?$PG_OPTS" -qAtc 'SELECT 1' >/dev/null 2>&1; then
			echo "PostgreSQL not reachable at $PG_BASE (set PG_BASE): skipped"
			echo
			return 0
		fi
		PG_DB="liaison_clients_$$_$RANDOM"
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
		dburl="$PG_BASE/$PG_DB?$PG_OPTS"
		echo "database: $PG_DB (fresh)"
	fi
	rm -rf "$data" && mkdir -p "$data"
	local -a target
	if [[ -n $dburl ]]; then target=(-database-url "$dburl"); else target=(-data-dir "$data"); fi
	"$TMP/clientlist" seed "${target[@]}" -clients "$CLIENTS" -other-agencies "$OTHER_AGENCIES" -other-clients "$OTHER_CLIENTS" -events "$EVENTS" \
		-email "$EMAIL" -password "$PASSWORD" ${HEADLINE:+-headline} | tee "$OUT/seed-$engine.txt"
	AGENCY=$(sed -n 's/^agency_id=//p' "$OUT/seed-$engine.txt")
	start_server "$engine" "$data" "$dburl"
	echo "server: pid $SERVER_PID at $URL"

	local hdrs status cookie
	hdrs=$(curl -sS -o /dev/null -D - -H 'Content-Type: application/json' \
		-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/login" | tr -d '\r')
	status=$(printf '%s\n' "$hdrs" | awk 'NR == 1 { print $2 }')
	cookie=$(printf '%s\n' "$hdrs" | sed -n 's/^[Ss]et-[Cc]ookie: liaison_session=\([^;]*\).*/\1/p' | head -1)
	if [[ $status != 200 || -z $cookie ]]; then
		echo "login failed (status $status)" >&2
		return 1
	fi
	local deep_name deep_health deep_q
	deep_name=$("$TMP/clientlist" cursor -url "$URL" -cookie "$cookie" -agency "$AGENCY" -sort name -skip "$DEEP")
	deep_health=$("$TMP/clientlist" cursor -url "$URL" -cookie "$cookie" -agency "$AGENCY" -sort -health -skip "$DEEP")
	deep_q=$("$TMP/clientlist" cursor -url "$URL" -cookie "$cookie" -agency "$AGENCY" -sort name -q "$Q" -skip "$Q_DEEP")
	curl -fsS -H "Cookie: liaison_session=$cookie" "$URL/api/v1/agencies/$AGENCY/clients?limit=1" |
		sed -n 's/.*"counts":\({[^}]*}\).*/counts (every visible client): \1/p' | tee "$OUT/counts-$engine.txt"
	curl -fsS -H "Cookie: liaison_session=$cookie" "$URL/api/v1/agencies/$AGENCY/clients?limit=1&q=$Q" |
		sed -n "s/.*\"counts\":\\({[^}]*}\\).*/counts (q=$Q): \\1/p" | tee -a "$OUT/counts-$engine.txt"
	# The first read recomputed every client's stored status and score (a
	# one-time rewrite of 10,000 rows, client/fresh.go). On PostgreSQL,
	# autovacuum and the next checkpoint would then run during the first
	# scenarios; a deployment absorbs that long before anyone looks, so the
	# run settles it first and measures the steady state.
	if [[ -n $PG_DB ]]; then
		psql "$PG_BASE/$PG_DB?$PG_OPTS" -qAtc "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
	fi
	for sc in $SCENARIOS; do
		case $sc in
		name-first) run_scenario "$engine" "$sc" "sort=name" "$cookie" ;;
		name-deep) run_scenario "$engine" "$sc" "sort=name&cursor=$deep_name" "$cookie" ;;
		health-first) run_scenario "$engine" "$sc" "sort=-health" "$cookie" ;;
		health-deep) run_scenario "$engine" "$sc" "sort=-health&cursor=$deep_health" "$cookie" ;;
		q-first) run_scenario "$engine" "$sc" "q=$Q" "$cookie" ;;
		q-deep) run_scenario "$engine" "$sc" "q=$Q&cursor=$deep_q" "$cookie" ;;
		me) run_scenario "$engine" "$sc" "" "$cookie" ;;
		*) echo "unknown scenario $sc" >&2; return 1 ;;
		esac
	done
	DONE[$engine]=1
	stop_server
	if [[ -n $PG_DB ]]; then
		psql "$PG_BASE/postgres?$PG_OPTS" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
		PG_DB=""
	fi
	echo
}

for engine in $ENGINES; do
	run_engine "$engine"
done

echo "=== summary (nproc $(nproc), load average now $(cut -d' ' -f1-3 /proc/loadavg)) ==="
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v); print v } else if (v ~ /s$/) { sub(/s/, "", v); print v * 1000 } else print 1e9 }'; }
# ratio_target ENGINE SCENARIO: issue 23's ratio to the ceiling.
ratio_target() {
	case $2 in
	me) [[ $1 == postgres ]] && echo 0.4 || echo 0.5 ;;
	q-*) [[ $1 == postgres ]] && echo 0.2 || echo 0.25 ;;
	*) [[ $1 == postgres ]] && echo 0.25 || echo 0.35 ;;
	esac
}
if [[ $CEILING == 1 ]]; then
	printf '%-9s %-13s %10s %9s %9s %10s %6s %12s %7s %s\n' engine scenario "req/s" p50 p99 "ceiling" ratio "CPU/req µs" "others" "target (ratio, p99 <= 10ms)"
else
	printf '%-9s %-13s %10s %9s %9s %12s %7s %s\n' engine scenario "req/s" p50 p99 "CPU/req µs" "others" "target (req/s, p99 <= 15ms)"
fi
for engine in $ENGINES; do
	[[ -n ${DONE[$engine]:-} ]] || continue
	want=2500
	[[ $engine == postgres ]] && want=1500
	for sc in $SCENARIOS; do
		met=missed
		if [[ $CEILING == 1 ]]; then
			want=$(ratio_target "$engine" "$sc")
			if awk -v r="${RATIO[$engine,$sc]:-0}" -v w="$want" -v p="$(ms "${P99[$engine,$sc]:-}")" 'BEGIN { exit !(r >= w && p <= 10) }'; then
				met=met
			fi
			printf '%-9s %-13s %10s %9s %9s %10s %6s %12s %6s%% %s\n' "$engine" "$sc" "${RPS[$engine,$sc]:--}" "${P50[$engine,$sc]:--}" "${P99[$engine,$sc]:--}" \
				"${CRPS[$engine,$sc]:--}" "${RATIO[$engine,$sc]:--}" "${CPUREQ[$engine,$sc]:--}" "${OTHER[$engine,$sc]:--}" "$met (>= $want)"
			continue
		fi
		if awk -v r="${RPS[$engine,$sc]:-0}" -v w="$want" -v p="$(ms "${P99[$engine,$sc]:-}")" 'BEGIN { exit !(r >= w && p <= 15) }'; then
			met=met
		fi
		printf '%-9s %-13s %10s %9s %9s %12s %6s%% %s\n' "$engine" "$sc" "${RPS[$engine,$sc]:--}" "${P50[$engine,$sc]:--}" "${P99[$engine,$sc]:--}" \
			"${CPUREQ[$engine,$sc]:--}" "${OTHER[$engine,$sc]:--}" "$met (>= $want)"
	done
done
exit "$FAILED"
