#!/usr/bin/env bash
# bench/run.sh: end-to-end benchmarks of the consent ledger (issue 5), on
# loopback, each rate given as a ratio to a hello-world net/http handler
# measured under the same load tool in the same run.
#
#   bench/run.sh                   full mode: 20 s loads, a 1,000,000-record ledger
#   BENCH_SHORT=1 bench/run.sh     short mode: 5 s loads, a 20,000-record ledger (< 2 min)
#
# For each engine (SQLite in a fresh --data directory, then PostgreSQL in a
# fresh database created with psql and dropped at the end) it:
#   1. starts `privaq serve --demo` (organization demo, an officer token);
#   2. measures hello-world, the baseline of every ratio: privaq's own
#      GET /bench/hello if the binary serves one (a bare handler, enabled
#      by PRIVAQ_BENCH_HELLO=1), else bench/hello, a bare net/http server;
#      then privaq's GET /healthz (same binary and middleware as the API),
#      shown for reference;
#   3. seeds the ledger with POSTs of 10,000 records (subjects s-0…s-N-1,
#      purpose newsletter): seeding time;
#   4. times GET …/ledger/verify on the seeded ledger, and `privaq ledger
#      verify` when the binary has that command;
#   5. times POST …/decisions with 100,000 pairs of random seeded subjects
#      (one warm-up call, then the median of several);
#   6. loads GET …/decisions with random seeded subjects (get), then, in
#      full mode, with a hot set of 1,000 subjects (get-hot; both engines
#      answer from the decision index in memory, so the two differ only
#      by the processor's caches);
#   7. loads POST …/consents, one record per request, a new subject each,
#      and verifies the ledger again;
#   8. measures hello-world again: each ratio is to the higher of the two
#      hello-world figures.
# Rate tests use bench/load: 64 keep-alive connections, 1 s warm-up, then
# requests/s, p50/p99 latency, errors and status counts. The server's
# VmRSS (largest sample) and VmHWM are read from /proc during each test.
# The table at the end gives every figure, its ratio and issue 5's goal.
#
# Environment:
#   BENCH_SHORT=1        short mode
#   BENCH_DURATION       length of each rate test (default 20s, short 5s)
#   BENCH_RECORDS        ledger size (default 1000000, short 20000)
#   BENCH_ENGINES        "sqlite postgres" (default) or one of them
#   BENCH_PG             PostgreSQL server URL without database
#                        (default postgres://postgres@127.0.0.1:5432)
#   BENCH_KEEP=1         keep the work directory (server logs, results.jsonl)
#   BENCH_STRICT=1       end in failure if a measurement failed (goals missed do not)
# Needs: go, curl, psql (for PostgreSQL), a PostgreSQL server that lets the user
# create databases. The load tool and the servers share the machine's
# cores, as the issue asks; the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${BENCH_SHORT:-0}" == 1 ]]; then
	mode=short dur=${BENCH_DURATION:-5s} records=${BENCH_RECORDS:-20000} runs=2 hotset=0
else
	mode=full dur=${BENCH_DURATION:-20s} records=${BENCH_RECORDS:-1000000} runs=5 hotset=1
fi
engines=${BENCH_ENGINES:-sqlite postgres}
pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
conns=64 batch=10000 pairs=100000 hot=1000

work=$(mktemp -d /tmp/privaq-bench.XXXXXX)
results=$work/results.jsonl
server_pid="" hello_pid="" pgdb=""

# stop ends a process this script started, and waits for it.
stop() {
	local pid=$1
	[[ -n "$pid" ]] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop "$server_pid"
	stop "$hello_pid"
	if [[ -n "$pgdb" ]]; then
		psql "$pg/postgres" -qXc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# wait_line waits up to 120 s for a line matching $2 in file $1 and prints it.
wait_line() {
	local file=$1 pattern=$2 pid=$3
	for _ in $(seq 1200); do
		if grep -m1 -E "$pattern" "$file" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "process $pid ended before printing /$pattern/:" >&2
			tail -20 "$file" "$file.err" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
	echo "timed out waiting for /$pattern/ in $file" >&2
	exit 1
}

# load runs one measurement; a failed one is in the table, and the run goes on.
# With BENCH_STRICT=1 (CI), the script ends in failure if one did.
failed=0
load() { "$work/load" "$@" -out "$results" || { echo "(failed: the table shows it)"; failed=1; }; }

echo "== privaq consent ledger benchmarks ($mode mode): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); $(go version)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "loads: $conns connections, $dur each after a 1 s warm-up; ledger: $records records in POSTs of $batch; bulk: $pairs pairs"

go build -o "$work/privaq" ./cmd/privaq
go build -o "$work/load" ./bench/load
go build -o "$work/hello" ./bench/hello

for engine in $engines; do
	echo
	echo "== $engine"
	data=$work/data-$engine
	dbargs=(--data "$data")
	if [[ "$engine" == postgres ]]; then
		pgdb=bench_$$
		psql "$pg/postgres" -qXc "CREATE DATABASE $pgdb" >/dev/null
		dburl="$pg/$pgdb?sslmode=disable"
		dbargs+=(--database-url "$dburl")
		echo "PostgreSQL $(psql "$dburl" -AtXc 'SHOW server_version'), fsync=$(psql "$dburl" -AtXc 'SHOW fsync'), synchronous_commit=$(psql "$dburl" -AtXc 'SHOW synchronous_commit')"
	fi

	# 1. privaq, with the demo organization and an officer token.
	# PRIVAQ_BENCH_HELLO=1 asks for the bare hello route of step 2 in
	# builds that have one; others ignore it.
	out=$work/serve-$engine.out
	PRIVAQ_BENCH_HELLO=1 "$work/privaq" serve --demo --addr 127.0.0.1:0 "${dbargs[@]}" >"$out" 2>"$out.err" &
	server_pid=$!
	base=$(wait_line "$out" '^privaq .* listening on ' "$server_pid" | awk '{print $5}')
	token=$(wait_line "$out" '^API token \(officer\): ' "$server_pid" | awk '{print $NF}')
	api=(-url "$base" -token "$token" -engine "$engine" -pid "$server_pid")

	# 2. The baseline, while privaq is idle: its own GET /bench/hello
	# (a bare handler in the same binary) when it serves one, else
	# bench/hello; then privaq's GET /healthz, through the middleware
	# every API request takes.
	if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/bench/hello")" == 200 ]]; then
		echo "hello-world: privaq's own GET /bench/hello"
		load hello -path /bench/hello -engine "$engine" -url "$base" -d "$dur" -c $conns -pid "$server_pid"
	else
		echo "hello-world: bench/hello (privaq serves no /bench/hello)"
		"$work/hello" -addr 127.0.0.1:0 >"$work/hello.out" 2>"$work/hello.out.err" &
		hello_pid=$!
		hello_url=$(wait_line "$work/hello.out" '^hello listening on ' "$hello_pid" | awk '{print $4}')
		load hello -engine "$engine" -url "$hello_url" -d "$dur" -c $conns -pid "$hello_pid"
		stop "$hello_pid"
		hello_pid=""
	fi
	load hello -name healthz -path /healthz -engine "$engine" -url "$base" -d "$dur" -c $conns -pid "$server_pid"

	load seed "${api[@]}" -n "$records" -batch $batch -c 2
	load verify "${api[@]}" -runs 1
	if "$work/privaq" ledger verify -h >/dev/null 2>&1; then
		start=$(date +%s%N)
		errors=0
		summary=$("$work/privaq" ledger verify --org demo "${dbargs[@]}" 2>&1) || errors=1
		took=$(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN {printf "%.3f", ns / 1e9}')
		echo "$engine   verify-cli     $took s  $summary"
		printf '{"engine":"%s","test":"verify-cli","seconds":%s,"errors":%d,"note":"privaq ledger verify: %s"}\n' \
			"$engine" "$took" "$errors" "${summary//\"/\'}" >>"$results"
	fi
	load bulk "${api[@]}" -n "$records" -pairs $pairs -runs $runs
	load get "${api[@]}" -n "$records" -d "$dur" -c $conns
	if [[ $hotset == 1 ]]; then
		load get "${api[@]}" -name get-hot -n $hot -d "$dur" -c $conns
	fi
	load post "${api[@]}" -d "$dur" -c $conns
	load verify "${api[@]}" -name verify-after -runs 1
	# 8. hello-world again: the table takes the higher of the two.
	if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/bench/hello")" == 200 ]]; then
		load hello -name hello-after -path /bench/hello -engine "$engine" -url "$base" -d "$dur" -c $conns -pid "$server_pid"
	fi

	stop "$server_pid"
	server_pid=""
	if [[ "$engine" == postgres ]]; then
		psql "$pg/postgres" -qXc "DROP DATABASE $pgdb WITH (FORCE)" >/dev/null
		pgdb=""
	fi
done

echo
echo "== results ($mode mode); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "× hello: requests/s over the same engine's hello-world (see its line above); healthz is privaq's GET /healthz."
echo "RSS: the privaq process (bench/hello for hello), largest VmRSS sampled during the test / VmHWM since start."
echo
"$work/load" table -out "$results"
if [[ "${BENCH_STRICT:-0}" == 1 && $failed == 1 ]]; then
	echo "a measurement failed (BENCH_STRICT=1)" >&2
	exit 1
fi
