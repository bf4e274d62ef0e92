#!/bin/bash
# profdiff.sh BINARY EARLY.pb.gz LATE.pb.gz [N]
#
# The share of the server's CPU by function (cumulative, pprof -cum) in two
# profiles of a soak (early and late), side by side, ranked by the late
# share: a function whose share grows does work that grows with the agency.
bin=$1 a=$2 b=$3 n=${4:-60}
top() { go tool pprof -top -cum -nodecount=400 "$bin" "$1" 2>/dev/null | awk 'NR>6 && $5 ~ /%/ {name=$6; for (i=7;i<=NF;i++) name=name" "$i; print name "\t" $5}'; }
join -t $'\t' -a 2 -e - -o 0,1.2,2.2 <(top "$a" | sort -t $'\t' -k1,1) <(top "$b" | sort -t $'\t' -k1,1) |
	sort -t $'\t' -k3,3 -g -r | head -"$n" | awk -F'\t' '{printf "%8s %8s  %s\n", $2, $3, $1}'
