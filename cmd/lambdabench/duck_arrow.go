//go:build duckdb_arrow

package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// duckEngineMethod says how the "DuckDB engine" column is measured.
const duckEngineMethod = "DuckDB's Arrow interface, record batches drained (nothing decoded into Go values)"

// duckEngine runs query in DuckDB and drains its result as Arrow record
// batches: the counterpart of lambdasql's engine-only figure.
func duckEngine(ctx context.Context, duck *sql.Conn, query string) (int64, error) {
	var n int64
	err := duck.Raw(func(raw any) error {
		dc, ok := raw.(driver.Conn)
		if !ok {
			return fmt.Errorf("DuckDB connection is %T", raw)
		}
		ar, err := duckdb.NewArrowFromConn(dc)
		if err != nil {
			return err
		}
		rr, err := ar.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rr.Release()
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		return rr.Err()
	})
	return n, err
}
