#!/usr/bin/env bash
# Startup time to ready and idle memory of examples/server.
#
#   bench/startup.sh [runs]
#
# Builds the server, then for each run starts it on a fresh data directory
# (first run: database created, migrations applied, key generated) and on
# the same directory again (a restart), timing from exec to the first
# answered /health, and reads VmRSS from /proc once it has idled 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -trimpath -o "$work/routex" ./examples/server

port=18731
measure() { # data dir -> prints "ms rss_kib"
	local data=$1 start end pid ms
	start=$(date +%s%N)
	"$work/routex" -addr "127.0.0.1:$port" -data "$data" 2>/dev/null &
	pid=$!
	until curl -fso /dev/null "http://127.0.0.1:$port/health" 2>/dev/null || curl -so /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '^[2-5]'; do
		sleep 0.002
	done
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	sleep 2
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	kill -TERM "$pid"; wait "$pid" || true
	echo "$ms $rss"
}

printf '%-8s %-10s %-14s %-12s\n' run kind startup_ms idle_rss_mib
for i in $(seq "$runs"); do
	d="$work/data$i"
	read -r ms rss < <(measure "$d")
	printf '%-8s %-10s %-14s %-12s\n' "$i" first "$ms" "$(awk "BEGIN {printf \"%.1f\", $rss/1024}")"
	read -r ms rss < <(measure "$d")
	printf '%-8s %-10s %-14s %-12s\n' "$i" restart "$ms" "$(awk "BEGIN {printf \"%.1f\", $rss/1024}")"
done
