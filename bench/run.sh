#!/usr/bin/env bash
# Load comparison of routex against a bare reverse proxy, on one machine,
# in one run: see BENCHMARKS.md for what it measures and the last results.
#
#   bench/run.sh            # the full matrix, about 18 minutes on 2 cores
#   QUICK=1 bench/run.sh    # a small subset, about 3 minutes
#
# Environment: DUR (measured seconds per run), WARM (warm-up seconds per
# run), ROUNDS (passes over the closed-loop matrix, each in turn; the
# report takes medians), OUT (results directory, default bench/out),
# PORT_BASE (default 19100: the mock, the floor and the server listen on
# the next three; the shared-state server, Redis and PostgreSQL on the three
# after), PROFILE=0 (skip the profiles), GOTEST=0 (skip the
# in-process benchmarks), STARTUP=0 (skip bench/startup.sh), RATES=0 (skip
# the open loop), HOLD=0 (skip the 1000 streams), SCALE=0 (skip the
# comparison of one server on SQLite with one on PostgreSQL and Redis, which
# needs redis-server and PostgreSQL installed), NICE (a niceness for the
# whole run, e.g. -5 as root on a machine others share); FORMATS, SIZES,
# STREAMS (0 1), CONCS and SYSTEMS narrow the closed-loop matrix to the
# space-separated values given.
#
# Writes $OUT/results.jsonl (one line per load run), meta.jsonl, gotest.txt,
# startup.txt, the profiles, and report.md, which it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	DUR=${DUR:-1} WARM=${WARM:-0.3} PDUR=2
	formats=(anthropic openai openai-responses) sizes=(2048) streams=(0 1) concs=(1 64)
	rate_formats=(anthropic) rate_streams=(0) rate_fracs=(0.5 1.0)
	hold_systems=(server library) hold_events=20 hold_gap=100ms hold_dur=3
	bench_filter='BenchmarkLibrary/(anthropic|openai|openai-responses)/2KB/' benchtime=0.5s count=1 startup_runs=2
	scale_streams=(0 1) scale_sessions=(caller request) scale_rounds=1
else
	DUR=${DUR:-2} WARM=${WARM:-0.5} PDUR=5
	formats=(anthropic openai openai-responses) sizes=(200 2048 102400) streams=(0 1) concs=(1 64 512)
	rate_formats=(anthropic openai) rate_streams=(0 1) rate_fracs=(0.25 0.5 0.75 1.0)
	hold_systems=(floor server server-cross library) hold_events=100 hold_gap=100ms hold_dur=12
	bench_filter='BenchmarkLibrary|BenchmarkGeminiLibrary' benchtime=1s count=3 startup_runs=5
	scale_streams=(0 1) scale_sessions=(caller request) scale_rounds=3
fi
systems=(direct floor server server-cross library library-cross)
# Narrow the closed-loop matrix, e.g. SIZES=102400 CONCS="1 64" SYSTEMS="direct floor server".
if [[ -n ${FORMATS:-} ]]; then read -ra formats <<<"$FORMATS"; fi
if [[ -n ${SIZES:-} ]]; then read -ra sizes <<<"$SIZES"; fi
if [[ -n ${STREAMS:-} ]]; then read -ra streams <<<"$STREAMS"; fi
if [[ -n ${CONCS:-} ]]; then read -ra concs <<<"$CONCS"; fi
if [[ -n ${SYSTEMS:-} ]]; then read -ra systems <<<"$SYSTEMS"; fi
ROUNDS=${ROUNDS:-1} PROFILE=${PROFILE:-1} GOTEST=${GOTEST:-1} STARTUP=${STARTUP:-1}
RATES=${RATES:-1} HOLD=${HOLD:-1} SCALE=${SCALE:-1}
OUT=${OUT:-bench/out}
if [[ -n ${NICE:-} ]]; then renice -n "$NICE" -p $$ >/dev/null; fi
PORT_BASE=${PORT_BASE:-19100}
mock_port=$((PORT_BASE + 1)) floor_port=$((PORT_BASE + 2)) server_port=$((PORT_BASE + 3))
shared_port=$((PORT_BASE + 4)) redis_port=$((PORT_BASE + 5)) pg_port=$((PORT_BASE + 6))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
# Redis and PostgreSQL outlive stop_all: they are stopped at the end.
services=()
stop_services() {
	local p
	for p in "${services[@]}"; do
		kill -INT "$p" 2>/dev/null || true # PostgreSQL's fast shutdown; Redis's too
	done
	for p in "${services[@]}"; do
		wait "$p" 2>/dev/null || true
		while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
	done
	services=()
}
trap 'stop_all; stop_services; rm -rf "$work"' EXIT

mkdir -p "$OUT"
rm -f "$OUT"/results.jsonl "$OUT"/meta.jsonl "$OUT"/*.txt "$OUT"/*.pprof "$OUT"/*.perf "$OUT"/report.md
log() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }
meta() { echo "$1" >>"$OUT/meta.jsonl"; }

log "building"
bin=$work/bin
mkdir -p "$bin"
go build -trimpath -o "$bin/" ./bench/cmd/mockllm ./bench/cmd/floor ./bench/cmd/load ./bench/cmd/report
go build -trimpath -o "$bin/routex" ./examples/server

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(nproc) × $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -r)"
	echo "go: $(go version | cut -d' ' -f3-)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "mode: $([[ $QUICK == 1 ]] && echo QUICK || echo full), ${DUR}s measured + ${WARM}s warm-up per run, $ROUNDS round(s), niceness $(ps -o ni= -p $$ | tr -d ' ')"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

wait_ready() { # url [tries]: until the URL answers at all
	local i
	for ((i = 0; i < ${2:-5000}; i++)); do
		if curl -so /dev/null "$1" 2>/dev/null; then return 0; fi
		sleep 0.002
	done
	echo "bench: $1 did not come up" >&2
	return 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# start_server port [flags...]: examples/server on a new data directory with
# the channels of $work/routex.json, and a proxy key; sets rx_pid, rx_key
# and rx_ready_ms.
start_server() {
	local port=$1 data token start
	shift
	data=$(mktemp -d "$work/data.XXXX")
	token=bench-$RANDOM$RANDOM$RANDOM
	rx_token=$token
	start=$(date +%s%N)
	ROUTEX_ADMIN_PASSWORD=bench-admin-password "$bin/routex" -addr "127.0.0.1:$port" -data "$data" \
		-config "$work/routex.json" -admin-user admin -admin-token "$token" "$@" 2>>"$OUT/server.log" &
	rx_pid=$!
	pids+=("$rx_pid")
	wait_ready "http://127.0.0.1:$port/health"
	rx_ready_ms=$((($(date +%s%N) - start) / 1000000))
	rx_key=$(curl -fsS -X POST "http://127.0.0.1:$port/api/keys" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' -d '{"name":"bench"}' | jq -r .key)
	[[ $rx_key == rx-* ]] || { echo "bench: could not create a proxy key on port $port" >&2; exit 1; }
}

# start_stack [mock flags...]: the mock, the floor in front of it, and
# examples/server with both kinds of channel on the mock, each channel
# with the limits in $limits (JSON, none by default); sets mock_pid,
# floor_pid, server_pid and key.
start_stack() {
	"$bin/mockllm" -addr "127.0.0.1:$mock_port" "$@" 2>>"$OUT/mock.log" &
	mock_pid=$!
	pids+=("$mock_pid")
	"$bin/floor" -addr "127.0.0.1:$floor_port" -upstream "http://127.0.0.1:$mock_port" 2>>"$OUT/floor.log" &
	floor_pid=$!
	pids+=("$floor_pid")
	wait_ready "http://127.0.0.1:$mock_port/stats"
	wait_ready "http://127.0.0.1:$floor_port/"

	local l= free=
	if [[ -n ${limits:-} ]]; then
		l=", \"limits\": $limits"
		free=",
		  {\"id\": \"free\", \"type\": \"anthropic\", \"baseUrl\": \"http://127.0.0.1:$mock_port\", \"apiKey\": \"mock\", \"models\": [\"claude-free-*\"]}"
	fi
	cat >"$work/routex.json" <<-EOF
		{"channels": [
		  {"id": "anthropic", "type": "anthropic", "baseUrl": "http://127.0.0.1:$mock_port", "apiKey": "mock", "models": ["claude-*"]$l},
		  {"id": "openai", "type": "openai", "baseUrl": "http://127.0.0.1:$mock_port/v1", "apiKey": "mock", "models": ["gpt-*"]$l},
		  {"id": "responses", "type": "openai-responses", "baseUrl": "http://127.0.0.1:$mock_port/v1", "apiKey": "mock", "models": ["o3-*"]$l}$free
		]}
	EOF
	start_server "$server_port"
	server_pid=$rx_pid key=$rx_key
	sleep 2
	meta "$(printf '{"kind":"stack","mock_flags":"%s","server_ready_ms":%d,"server_idle_rss_kib":%d,"floor_idle_rss_kib":%d,"mock_idle_rss_kib":%d}' \
		"$*" "$rx_ready_ms" "$(rss_kib "$server_pid")" "$(rss_kib "$floor_pid")" "$(rss_kib "$mock_pid")")"
	log "stack up: server ready in ${rx_ready_ms} ms, idle RSS $(rss_kib "$server_pid") KiB"
}

# start_services: a Redis and a PostgreSQL of their own, in $work, on
# redis_port and pg_port (PostgreSQL as the postgres user when run as
# root); sets redis_url and pg_url, or returns 1 when either is missing.
start_services() {
	local pgbin as=() dir=$work/pg
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if ! command -v redis-server >/dev/null || [[ ! -x $pgbin/initdb ]]; then
		log "no redis-server or PostgreSQL: skipping the shared-state comparison (apt-get install redis-server postgresql)"
		return 1
	fi
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
	services+=($!)
	mkdir -p "$dir/data" "$dir/sock"
	if [[ $EUID == 0 ]]; then
		chmod 711 "$work" "$dir"
		chown postgres: "$dir/data" "$dir/sock"
		as=(runuser -u postgres --)
	fi
	"${as[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N >"$OUT/postgres.log" 2>&1
	# Settings as shipped, but for the connection cap: durability is part of
	# what is measured.
	"${as[@]}" "$pgbin/postgres" -D "$dir/data" -p "$pg_port" -k "$dir/sock" -c listen_addresses=127.0.0.1 \
		-c max_connections=200 >>"$OUT/postgres.log" 2>&1 &
	services+=($!)
	redis_url=redis://127.0.0.1:$redis_port pg_url=postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable
	local i
	for ((i = 0; i < 1500; i++)); do
		if [[ -s $dir/data/postmaster.pid ]] && "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
			break
		fi
		sleep 0.02
	done
	"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { echo "bench: PostgreSQL did not come up" >&2; exit 1; }
	# The postmaster, not runuser, is what must be signalled.
	services+=("$(head -n 1 "$dir/data/postmaster.pid")")
	pg_pid=${services[-1]}
}

# check_routes [port key]: every combination the server on port (the
# stack's by default) answers comes from the expected channel.
check_routes() {
	local port=${1:-$server_port} k=${2:-$key} f model want got path body
	for f in anthropic:claude-sonnet-4-5:anthropic anthropic:gpt-4o:openai anthropic:o3-mini:responses \
		openai:gpt-4o:openai openai:claude-sonnet-4-5:anthropic openai:o3-mini:responses \
		openai-responses:o3-mini:responses openai-responses:claude-sonnet-4-5:anthropic openai-responses:gpt-4o:openai; do
		IFS=: read -r fmt model want <<<"$f"
		path=/v1/messages
		[[ $fmt == openai ]] && path=/v1/chat/completions
		body="{\"model\":\"$model\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
		if [[ $fmt == openai-responses ]]; then
			path=/v1/responses
			body="{\"model\":\"$model\",\"max_output_tokens\":8,\"input\":\"hi\"}"
		fi
		got=$(curl -fsS -o /dev/null -D - "http://127.0.0.1:$port$path" -H "x-api-key: $k" \
			-H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \
			-d "$body" |
			tr -d '\r' | awk -F': ' 'tolower($1) == "x-routex-channel" {print $2}')
		[[ $got == "$want" ]] || { echo "bench: $fmt caller asking for $model reached channel '$got', want $want" >&2; exit 1; }
	done
}

models() { # format -> "same cross"
	case $1 in
	anthropic) echo "claude-sonnet-4-5 gpt-4o" ;;
	openai-responses) echo "o3-mini claude-sonnet-4-5" ;;
	*) echo "gpt-4o claude-sonnet-4-5" ;;
	esac
}

# load system format [flags...]: one run, appended to results.jsonl.
load() {
	local sys=$1 fmt=$2 same cross
	shift 2
	read -r same cross < <(models "$fmt")
	local stack=$mock_pid,$floor_pid,$server_pid
	[[ -z ${shared_pid:-} ]] || stack+=,$shared_pid,$(services_pids)
	local args=(-system "$sys" -format "$fmt" -o "$OUT/results.jsonl" -stack "$stack")
	case $sys in
	direct) args+=(-target "http://127.0.0.1:$mock_port" -model "$same") ;;
	floor) args+=(-target "http://127.0.0.1:$floor_port" -model "$same" -pid "$floor_pid") ;;
	server) args+=(-target "http://127.0.0.1:$server_port" -model "$same" -key "$key" -pid "$server_pid") ;;
	server-single) args+=(-target "http://127.0.0.1:$server_port" -model "$same" -key "$key" -pid "$server_pid") ;;
	server-shared) args+=(-target "http://127.0.0.1:$shared_port" -model "$same" -key "$shared_key" -pid "$shared_pid") ;;
	server-cross) args+=(-target "http://127.0.0.1:$server_port" -model "$cross" -key "$key" -pid "$server_pid") ;;
	library) args+=(-via routex -target "http://127.0.0.1:$mock_port" -model "$same" -pid -1) ;;
	library-cross) args+=(-via routex -target "http://127.0.0.1:$mock_port" -model "$cross" -pid -1) ;;
	esac
	local line
	if ! line=$("$bin/load" "${args[@]}" "$@" 2>>"$OUT/load.log"); then
		log "run failed: $sys $fmt $*: $(jq -r .first_error <<<"$line" 2>/dev/null)"
		return 0
	fi
	jq -r '"\(.system) \(.format) \(.size)B stream=\(.stream) \(if .mode == "closed" then "c=\(.c)" else "rate=\(.rate)" end): \(.rps) req/s, p50 \(.p50_us) µs, p99 \(.p99_us) µs, errors \(.errors), foreign CPU \(.foreign_cores)"' <<<"$line" >&2
}

# services_pids: Redis and every PostgreSQL process, comma-separated: the
# shared-state server's own stack.
services_pids() {
	local ps=("${services[@]}")
	[[ -z ${pg_pid:-} ]] || mapfile -t -O "${#ps[@]}" ps < <(pgrep -P "$pg_pid")
	local IFS=,
	echo "${ps[*]}"
}

start=$(date +%s)
start_stack -events 20
check_routes

log "closed loop: ${formats[*]} × sizes ${sizes[*]} × stream ${streams[*]} × c ${concs[*]} × ${#systems[@]} systems, $ROUNDS round(s)"
for ((round = 1; round <= ROUNDS; round++)); do
	for fmt in "${formats[@]}"; do
		for size in "${sizes[@]}"; do
			for stream in "${streams[@]}"; do
				for c in "${concs[@]}"; do
					for sys in "${systems[@]}"; do
						load "$sys" "$fmt" -phase matrix -size "$size" -stream="$([[ $stream == 1 ]] && echo true || echo false)" \
							-c "$c" -d "${DUR}s" -warmup "${WARM}s"
					done
				done
			done
		done
	done
done

# Fixed rates, as fractions of the floor's throughput at saturation for the
# same cell.
[[ $RATES == 1 ]] || rate_formats=()
[[ ${#rate_formats[@]} == 0 ]] || log "open loop (vegeta): rates ${rate_fracs[*]} × the floor's saturation"
for fmt in "${rate_formats[@]}"; do
	for stream in "${rate_streams[@]}"; do
		st=$([[ $stream == 1 ]] && echo true || echo false)
		sat=$(jq -s --arg f "$fmt" --argjson s "$st" \
			'[.[] | select(.phase == "matrix" and .system == "floor" and .format == $f and .stream == $s and .size > 1500 and .size < 2600) | .rps] | max // 0' \
			"$OUT/results.jsonl")
		for frac in "${rate_fracs[@]}"; do
			rate=$(awk -v s="$sat" -v f="$frac" 'BEGIN {r = int(s * f); print (r < 10 ? 10 : r)}')
			for sys in direct floor server server-cross; do
				load "$sys" "$fmt" -phase rate -size 2048 -stream="$st" -rate "$rate" -d "${DUR}s" -warmup "${WARM}s"
			done
		done
	done
done

if [[ $PROFILE == 1 ]] && command -v perf >/dev/null; then
	log "profiling the floor and the server with perf (2 KB, c=64, ${PDUR}s each)"
	for case in anthropic:false:floor anthropic:false:server anthropic:true:server anthropic:false:server-cross; do
		IFS=: read -r fmt st sys <<<"$case"
		name=perf-$sys-$fmt-$([[ $st == true ]] && echo stream || echo json)
		pid=$server_pid
		[[ $sys == floor ]] && pid=$floor_pid
		perf record -q -F 999 -g -p "$pid" -o "$work/$name.data" -- sleep "$PDUR" 2>/dev/null &
		perf_pid=$!
		load "$sys" "$fmt" -phase profile -size 2048 -stream="$st" -c 64 -d "${PDUR}s" -warmup 0s
		wait "$perf_pid" || true
		perf report -i "$work/$name.data" --stdio --no-children --sort dso,sym 2>/dev/null |
			grep -v '^$' | grep -v '^#' | grep -E '^ +[0-9]' >"$OUT/$name-self.txt" || true
		perf report -i "$work/$name.data" --stdio --children --sort sym --percent-limit 4 -g none 2>/dev/null |
			grep -E '^ +[0-9]' >"$OUT/$name-children.txt" || true
	done
fi

# One server on SQLite against one on PostgreSQL and Redis, both with
# per-minute and per-day limits on every channel (the shared quota is the
# one call a request waits on) and a session key per caller, or a new one
# per request (a shared lookup and a shared put on each); and, as phase
# scale-free, on a channel without limits (claude-free-*).
if [[ $SCALE == 1 ]]; then
	stop_all
	limits='[{"perMs": 60000, "requests": 1000000000, "tokens": 1000000000000}, {"perMs": 86400000, "tokens": 1000000000000000}]'
	start_stack -events 20
	if start_services; then
		ROUTEX_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
			start_server "$shared_port" -postgres "$pg_url" -redis "$redis_url"
		shared_pid=$rx_pid shared_key=$rx_key shared_token=$rx_token
		check_routes "$shared_port" "$shared_key"
		sleep 2
		log "shared-state server up in ${rx_ready_ms} ms: Redis $redis_url, PostgreSQL on port $pg_port"
		log "shared state: anthropic 2 KB × stream ${scale_streams[*]} × c 1 64 × session ${scale_sessions[*]}, $scale_rounds round(s)"
		for ((round = 1; round <= scale_rounds; round++)); do
			for stream in "${scale_streams[@]}"; do
				for c in 1 64; do
					for session in "${scale_sessions[@]}"; do
						for sys in direct server-single server-shared; do
							load "$sys" anthropic -phase scale -size 2048 -stream="$([[ $stream == 1 ]] && echo true || echo false)" \
								-c "$c" -session "$session" -d "${DUR}s" -warmup "${WARM}s"
						done
						[[ $session == caller ]] || continue
						for sys in direct server-single server-shared; do
							load "$sys" anthropic -phase scale-free -model claude-free-x -size 2048 \
								-stream="$([[ $stream == 1 ]] && echo true || echo false)" \
								-c "$c" -session "$session" -d "${DUR}s" -warmup "${WARM}s"
						done
					done
				done
			done
		done
		got=$(curl -fsS "http://127.0.0.1:$shared_port/api/status" -H "Authorization: Bearer $shared_token" | jq -c '.shared // null')
		meta "$(printf '{"kind":"shared","status":%s}' "${got:-null}")"
	fi
	limits=
fi

# Each system gets fresh processes: a Go heap grown by one run is not
# returned to the kernel at once, and would count in the next.
[[ $HOLD == 1 ]] || hold_systems=()
[[ ${#hold_systems[@]} == 0 ]] || log "1000 concurrent streams: $hold_events events ${hold_gap} apart"
for sys in "${hold_systems[@]}"; do
	stop_all
	start_stack -events "$hold_events" -event-gap "$hold_gap"
	heap=()
	[[ $sys == library ]] && heap=(-heapprofile "$OUT/hold-library-heap.pprof")
	load "$sys" anthropic -phase hold -size 2048 -stream=true -c 1000 -d "${hold_dur}s" -warmup 0s "${heap[@]}"
done
if [[ -s $OUT/hold-library-heap.pprof ]]; then
	go tool pprof -top -sample_index inuse_space -nodecount 25 "$bin/load" "$OUT/hold-library-heap.pprof" >"$OUT/lib-hold-inuse-top.txt" 2>/dev/null || true
fi
stop_all

if [[ $STARTUP == 1 ]]; then
	log "startup (bench/startup.sh $startup_runs)"
	bench/startup.sh "$startup_runs" >"$OUT/startup.txt" 2>&1 || log "startup.sh failed"
fi

if [[ $GOTEST == 1 ]]; then
	log "in-process benchmarks"
	go test -c -o "$bin/routex.test" . && go test -c -o "$bin/bench.test" ./bench/
	"$bin/routex.test" -test.run '^$' -test.bench '^BenchmarkRoundTrip$' -test.benchmem \
		-test.benchtime "$benchtime" -test.count "$count" >"$OUT/gotest.txt" 2>&1 || log "BenchmarkRoundTrip failed"
	(cd bench && "$bin/bench.test" -test.run '^$' -test.bench "$bench_filter" -test.benchmem \
		-test.benchtime "$benchtime" -test.count "$count") >>"$OUT/gotest.txt" 2>&1 || log "BenchmarkLibrary failed"
	if [[ $PROFILE == 1 ]]; then
		log "profiling the library (2 KB, Anthropic caller, routex and routex-cross)"
		(cd bench && "$bin/bench.test" -test.run '^$' -test.bench 'BenchmarkLibrary/anthropic/2KB/(json|stream)/routex' \
			-test.benchtime 2s -test.cpuprofile "$work/lib-cpu.pprof" -test.memprofile "$work/lib-mem.pprof" \
			-test.memprofilerate 4096) >/dev/null 2>&1 || log "library profile failed"
		go tool pprof -top -nodecount 35 "$bin/bench.test" "$work/lib-cpu.pprof" >"$OUT/lib-cpu-top.txt" 2>/dev/null || true
		go tool pprof -top -cum -nodecount 45 "$bin/bench.test" "$work/lib-cpu.pprof" >"$OUT/lib-cpu-cum.txt" 2>/dev/null || true
		go tool pprof -top -sample_index alloc_space -nodecount 30 "$bin/bench.test" "$work/lib-mem.pprof" >"$OUT/lib-alloc-top.txt" 2>/dev/null || true
		log "profiling the library (100 KB, Anthropic caller, routex)"
		(cd bench && "$bin/bench.test" -test.run '^$' -test.bench 'BenchmarkLibrary/anthropic/100KB/json/routex$' \
			-test.benchtime 2s -test.cpuprofile "$work/lib-100KB-cpu.pprof") >/dev/null 2>&1 || log "library profile failed"
		go tool pprof -top -cum -nodecount 45 "$bin/bench.test" "$work/lib-100KB-cpu.pprof" >"$OUT/lib-100KB-cpu-cum.txt" 2>/dev/null || true
		cp "$work/lib-cpu.pprof" "$work/lib-mem.pprof" "$work/lib-100KB-cpu.pprof" "$OUT/" 2>/dev/null || true
	fi
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo "wall time: $(($(date +%s) - start)) s" >>"$OUT/machine.txt"
"$bin/report" -dir "$OUT" >"$OUT/report.md"
cat "$OUT/report.md"
