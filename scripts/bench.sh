#!/usr/bin/env bash
# The end-to-end benchmark suite (make bench). Each section prints its
# figures as ratios against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== Go micro-benchmarks"
go test -run='^$' -bench=. -benchtime=1x ./... 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)' || true
