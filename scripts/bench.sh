#!/usr/bin/env bash
# The end-to-end benchmark suite (make bench, after make build). Every
# figure is printed next to a reference measured in the same run:
#   engine  Q1–Q4 over Parquet: lambdasql vs DuckDB 1.5.5 (linked into lambdabench)
#   ingest  COPY vs PostgreSQL 15 COPY; Kafka JSON events/s through a kfake broker
#   lambda  freshness p50/p99, sustained events/s through 3 views, point queries
#           vs PostgreSQL (indexed table), RSS of bin/lambdasql serve
# BENCH_QUICK=1 runs a 1M-row smoke version (a few minutes). The full run
# takes about 15–20 minutes on 2 cores. Exits non-zero when the engines'
# answers disagree or a benchmark fails.
set -uo pipefail
cd "$(dirname "$0")/.."

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
  rows=1000000
  engine_args=(--runs 3 --budget 20s)
  ingest_args=(--rows 200000 --runs 2 --kafka-events 200000)
  lambda_args=(--samples 200 --sustained-rows 500000 --point-duration 3s --rss-rate 200 --rss-live 10s)
else
  rows=10000000
  engine_args=(--runs 5 --budget 60s)
  ingest_args=(--rows 2000000 --runs 3 --kafka-events 1000000)
  lambda_args=(--samples 500 --sustained-rows 4000000 --point-duration 10s --rss-rate 1000 --rss-live 30s)
fi
out=testdata/bench
data=$out/telemetry-$rows
mkdir -p "$out"

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"

# The PostgreSQL reference: Debian's postgresql package, run as a private
# cluster by lambdabench. Install it when missing and we are root.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing PostgreSQL (apt-get install -y postgresql)"
    (apt-get install -y postgresql >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y postgresql >/dev/null 2>&1; }) ||
      echo "could not install PostgreSQL: its comparisons will be skipped"
  else
    echo "PostgreSQL is not installed and we are not root: its comparisons will be skipped"
  fi
fi

echo "== building bin/lambdabench (its own module, links DuckDB; first build takes minutes)"
go build -o bin/lambdasql ./cmd/lambdasql || exit 1
(cd cmd/lambdabench && go build -tags duckdb_arrow -o ../../bin/lambdabench .) || exit 1

bin/lambdabench gen --rows "$rows" --out "$data" || exit 1

status=0
prof=$out/lambdasql-cpu.prof
rm -f "$out"/lambdasql-cpu*.prof
# top prints the hottest functions of a CPU profile of lambdasql.
top() {
  local extra=${3:-}
  [ -s "$2" ] || return 0
  echo
  echo "== $1 (go tool pprof -top${extra:+ $extra} $2)"
  go tool pprof -top $extra -nodecount=25 bin/lambdabench "$2" 2>/dev/null | sed -n '4,40p'
}
bin/lambdabench engine --data "$data" --cpuprofile "$prof" --profile Q1,Q2,Q3,Q4 "${engine_args[@]}" || status=1
for q in Q1 Q2 Q3 Q4; do
  f=$prof; [ "$q" = Q1 ] || f=${prof%.prof}-$q.prof
  top "CPU profile of lambdasql running $q, engine only" "$f"
done
bin/lambdabench ingest --cpuprofile "${prof%.prof}-copy.prof" "${ingest_args[@]}" || status=1
top "CPU profile of lambdasql's first COPY run (in-process server and client)" "${prof%.prof}-copy.prof"
bin/lambdabench lambda --server bin/lambdasql --cpuprofile "${prof%.prof}-point.prof" "${lambda_args[@]}" || status=1
top "CPU profile of lambdasql serving point queries on device_metrics" "${prof%.prof}-point.prof" -cum
echo
if [ "$status" = 0 ]; then
  echo "bench: all sections ran and every answer check passed"
else
  echo "bench: FAILED (see the messages above)"
fi
exit "$status"
