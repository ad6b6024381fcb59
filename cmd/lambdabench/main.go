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
// lambdabench is its own Go module (it links DuckDB, which the lambdasql
// module must never do) and imports lambdasql through a replace directive,
// so the engine measured in-process is the working tree's. A failed answer
// check makes the command exit 1; a missing reference (no PostgreSQL)
// makes its comparison print "skipped" instead.
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
