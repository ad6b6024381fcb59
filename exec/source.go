package exec

import (
	"context"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/sql/types"
)

// CmpOp is a comparison usable for pruning.
type CmpOp uint8

// Comparison operators of a pruning predicate.
const (
	OpEQ CmpOp = iota
	OpLT
	OpLE
	OpGT
	OpGE
)

// Holds reports whether "a op b" holds given c = compare(a, b).
func (o CmpOp) Holds(c int) bool {
	switch o {
	case OpEQ:
		return c == 0
	case OpLT:
		return c < 0
	case OpLE:
		return c <= 0
	case OpGT:
		return c > 0
	}
	return c >= 0
}

func (o CmpOp) String() string {
	return [...]string{"=", "<", "<=", ">", ">="}[o]
}

// Bound is a pruning predicate "column op value" that every row the query
// needs satisfies. Sources use bounds to skip files and row groups whose
// min/max statistics prove no row can match; they never filter rows with
// them (the Filter operator above the scan still does).
type Bound struct {
	Col   int // index into the source's full schema
	Op    CmpOp
	Value any // a datum of the column's type (see sql/types)
}

// ScanRequest says what a scan needs from a source.
type ScanRequest struct {
	// Columns are the indexes (into the source's full schema) to produce,
	// in this order. The records a task returns have exactly these columns.
	Columns []int
	// Bounds prune files and row groups; they are conjunctive.
	Bounds []Bound
}

// TableSource is a table readable in independent tasks (files, row
// groups, log ranges) that a parallel scan spreads over workers.
type TableSource interface {
	// Schema is the full schema of the table.
	Schema() Schema
	// Tasks returns the units of work that cover every row the request
	// needs. Order is the table's natural order.
	Tasks(ctx context.Context, req ScanRequest) ([]ScanTask, error)
	// String names the source for EXPLAIN, e.g. "read_parquet('x/*.parquet')".
	String() string
}

// ScanTask is one independent unit of a scan.
type ScanTask interface {
	// Run calls emit for each record of the task, in order, until the data
	// ends, emit returns an error, or ctx is cancelled. emit takes
	// ownership of the record (it must Release it).
	Run(ctx context.Context, emit func(arrow.Record) error) error
	// Rows is the number of rows the task covers before filtering, -1 if
	// unknown (for EXPLAIN and for balancing work).
	Rows() int64
}

// ScanStats reports pruning, for EXPLAIN ANALYZE and tests.
type ScanStats struct {
	FilesTotal, FilesScanned         int
	RowGroupsTotal, RowGroupsScanned int
	// RowsTotal and RowsScanned count rows; RowsScanned is below the
	// rows of the scanned row groups when page statistics skip pages.
	RowsTotal, RowsScanned int64
}

// StatsReporter is implemented by sources that report pruning statistics
// for their last Tasks call.
type StatsReporter interface {
	LastScanStats() ScanStats
}

// ColumnTypes returns the types of the requested columns of s.
func ColumnTypes(s Schema, cols []int) []*types.T {
	out := make([]*types.T, len(cols))
	for i, c := range cols {
		out[i] = s[c].Type
	}
	return out
}
