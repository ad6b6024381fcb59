package planner

import (
	"context"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// RelKind says what a relation is.
type RelKind uint8

// Relation kinds.
const (
	RelSource     RelKind = iota // an event source: master dataset + log tail
	RelView                      // an ordinary view: expanded at plan time
	RelLambdaView                // a windowed view: batch ∪ speed split at B
	RelSystem                    // a virtual table (pg_catalog, lambda_*)
	RelFunction                  // a table function result (read_parquet, …)
)

// Relation is a named table the binder resolves.
type Relation struct {
	OID     uint32
	Schema  string // "public", "pg_catalog", "information_schema"
	Name    string
	Kind    RelKind
	Columns exec.Schema // hidden columns (_layer) are marked Hidden
	// ViewSQL is the SELECT of an ordinary view.
	ViewSQL string
	// Table reads the relation for RelSource, RelSystem and RelFunction
	// relations (for sources: the unified master dataset + log tail).
	Table func(ctx context.Context) (exec.TableSource, error)
	// Lambda serves RelLambdaView relations.
	Lambda LambdaView
}

// LambdaView is what the serving rewrite needs of a lambda view.
type LambdaView interface {
	// Split returns one consistent snapshot: the batch view version, its
	// watermark B, and the speed view's windows above B. release must be
	// called when the query ends: until then the snapshot's batch files
	// and speed state stay available.
	Split(ctx context.Context) (Split, error)
	// WindowEndCol is the index of window_end in Columns.
	WindowEndCol() int
	// Explain describes the batch plan and the stream graph for EXPLAIN.
	Explain() (batchPlan, streamGraph string)
}

// Split is one snapshot of a lambda view.
type Split struct {
	B       types.TimestampD // the batch watermark; windows ending at or below it come from Batch
	HasB    bool             // false before the first batch run: everything is speed
	Batch   exec.TableSource // nil before the first batch run
	Speed   exec.TableSource
	Release func()
	// Watermark is the source's current stream watermark (for EXPLAIN).
	Watermark types.TimestampD
}

// Catalog resolves relation names for the binder.
type Catalog interface {
	// Relation resolves a possibly schema-qualified name; found is false
	// when there is no such relation (the binder reports 42P01).
	Relation(schema, name string) (rel *Relation, found bool, err error)
	// TableFunction resolves a table function in FROM (read_parquet,
	// generate_series, unnest, …) given its constant arguments.
	TableFunction(ctx context.Context, name string, args []any, argTypes []*types.T) (*Relation, error)
}
