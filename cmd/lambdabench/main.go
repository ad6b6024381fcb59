// Command lambdabench is lambdasql's end-to-end benchmark suite (make
// bench). Every figure is printed next to a reference measured in the same
// run on the same machine, and as a ratio:
//
//	lambdabench gen    --rows 10000000 --out DIR   deterministic telemetry Parquet
//	lambdabench engine --data DIR                  Q1–Q4: lambdasql vs DuckDB
//	lambdabench ingest                             COPY vs PostgreSQL COPY; Kafka JSON
//	lambdabench lambda                             freshness, sustained rate, point
//	                                               queries vs PostgreSQL, RSS
//
// lambdabench is its own Go module (it links DuckDB 1.5.5 through
// github.com/duckdb/duckdb-go/v2, which the lambdasql module must never
// do) and imports lambdasql through a replace directive, so the engine
// measured in-process is the working tree's. Build it with
// -tags duckdb_arrow (scripts/bench.sh does) so DuckDB's engine-only time
// drains Arrow batches; without the tag it falls back to CREATE TEMP TABLE
// AS, which adds a fixed few tens of milliseconds to DuckDB's figure.
//
// The engine, ingest and lambda (a)–(c) benchmarks run lambdasql in-process
// (server.Open on a temporary data directory, 127.0.0.1 on a free port) and
// talk to it with pgx; lambda (d) runs bin/lambdasql serve as a child
// process so the RSS is the server's alone. PostgreSQL references run a
// private cluster (initdb + pg_ctl under a temporary directory, as the
// postgres user when lambdabench runs as root) that is removed afterwards.
//
// A failed answer check makes the command exit 1; a missing reference (no
// PostgreSQL, no bin/lambdasql) makes its comparison print "skipped".
package main

import (
	"errors"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprint(os.Stderr, `lambdabench — lambdasql's end-to-end benchmarks

Usage:
  lambdabench gen    [--rows N] [--out DIR] [--force]
  lambdabench engine [--data DIR] [--runs N] [--cpuprofile FILE]
  lambdabench ingest [--rows N] [--runs N] [--kafka-events N]
  lambdabench lambda [--samples N] [--duration D] [--server BIN]

Run "lambdabench CMD --help" for each command's flags.
`)
}

// errCheck marks a failed answer check: the engines disagree.
var errCheck = errors.New("answer check failed")

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = cmdGen(os.Args[2:])
	case "engine":
		err = cmdEngine(os.Args[2:])
	case "ingest":
		err = cmdIngest(os.Args[2:])
	case "lambda":
		err = cmdLambda(os.Args[2:])
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "lambdabench: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lambdabench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
