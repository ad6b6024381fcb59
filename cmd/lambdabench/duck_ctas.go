//go:build !duckdb_arrow

package main

import (
	"context"
	"database/sql"
)

// duckEngineMethod says how the "DuckDB engine" column is measured.
// Without the duckdb_arrow build tag DuckDB's Arrow interface is not
// compiled in; materializing the result in a temporary table keeps it
// inside DuckDB instead, at a fixed cost of a few tens of milliseconds
// (build with -tags duckdb_arrow, as scripts/bench.sh does, for the
// precise figure).
const duckEngineMethod = "CREATE TEMP TABLE … AS query, then count (result kept inside DuckDB; adds a fixed ~50 ms)"

// duckEngine materializes query's result inside DuckDB and counts it.
func duckEngine(ctx context.Context, duck *sql.Conn, query string) (int64, error) {
	if _, err := duck.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE lambdabench_result AS "+query); err != nil {
		return 0, err
	}
	var n int64
	if err := duck.QueryRowContext(ctx, "SELECT count(*) FROM lambdabench_result").Scan(&n); err != nil {
		return 0, err
	}
	_, err := duck.ExecContext(ctx, "DROP TABLE lambdabench_result")
	return n, err
}
