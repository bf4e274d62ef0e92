# bench/lib.sh — what the load-run scripts (run.sh, clients.sh) share:
# a free port, a liaison server started and stopped, CPU accounting.
# Sourced after the script sets ROOT, TMP, OUT and SERVER_ENV and builds
# $TMP/liaison; the caller's name for messages is in BENCH_NAME.

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "$BENCH_NAME: no free port found" >&2
	return 1
}

# start_server ENGINE DATA_DIR DATABASE_URL: starts liaison serve (with
# SERVER_ENV), sets SERVER_PID and URL, waits until /readyz answers.
start_server() {
	local engine=$1 data=$2 dburl=$3 port
	port=$(free_port)
	URL="http://127.0.0.1:$port"
	local -a extra
	read -ra extra <<<"$SERVER_ENV"
	# env execs the server, so $! is the server itself, whose /proc entry the samplers read.
	if [[ -n $dburl ]]; then
		env LIAISON_ADDR="127.0.0.1:$port" LIAISON_DATA_DIR="$data" LIAISON_DATABASE_URL="$dburl" "${extra[@]}" \
			"$TMP/liaison" serve 2>"$OUT/server-$engine.log" &
	else
		env -u LIAISON_DATABASE_URL LIAISON_ADDR="127.0.0.1:$port" LIAISON_DATA_DIR="$data" "${extra[@]}" \
			"$TMP/liaison" serve 2>"$OUT/server-$engine.log" &
	fi
	SERVER_PID=$!
	for _ in $(seq 300); do
		if curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; tail -5 "$OUT/server-$engine.log" >&2; return 1; }
		sleep 0.1
	done
	echo "server did not become ready in 30 s" >&2
	return 1
}

stop_server() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

# CPU accounting, in clock ticks (USER_HZ): of a process, of the whole
# machine (user nice system irq softirq steal), and of the script's finished
# children (wrk, from a `times` output file: `times` must run in the
# script's own shell, not in a $(…) subshell, which has no children), so
# that a run shows what else was using the cores.
TCK=$(getconf CLK_TCK)
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
children_ticks() {
	awk -v t="$TCK" 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * t }' "$1"
}
pct() { awk -v d="$1" -v t="$TCK" -v s="$2" 'BEGIN { printf "%.0f%%", 100 * d / t / s }'; }
