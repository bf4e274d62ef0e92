#!/bin/bash
# pgstat.sh NAME [EVERY]
#
# Run by `PGSTAT=EVERY soak.sh NAME pg …` (or beside it): waits for the soak
# to start (its load.txt), creates pg_stat_statements in liaison_soak_NAME (the server must have it in
# shared_preload_libraries), resets the database's entries, then every EVERY
# seconds (default 30) writes a snapshot of the database's statements to
# /tmp/soak/NAME/pgstat/T.csv (T: seconds since the reset). Per-call figures
# between two snapshots: bench/mixed/pgstat-diff.py.
name=$1 every=${2:-30}
D=/tmp/soak/$name db=liaison_soak_${name//-/_}
base=${PGURL:-postgres://postgres@127.0.0.1:5432}
until [ -f "$D/load.txt" ]; do sleep 1; done
mkdir -p "$D/pgstat"
psql "$base/$db" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
	-c "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)" >/dev/null
start=$(date +%s)
while [ -f "$D/load.txt" ] && pgrep -f "$D/bin/liaison" >/dev/null; do
	sleep "$every"
	t=$(( $(date +%s) - start ))
	psql "$base/$db" -Aqc "COPY (SELECT queryid, calls, rows, shared_blks_hit + shared_blks_read AS blks, total_exec_time,
		regexp_replace(query, '\s+', ' ', 'g') AS query FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) TO STDOUT CSV HEADER" >"$D/pgstat/$t.csv"
	echo "$t $(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$D/pgstat/index.txt"
done
