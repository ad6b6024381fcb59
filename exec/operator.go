package exec

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/sql/types"
)

// BatchSize is the number of rows an operator aims to put in one record.
// Tests lower it (SetBatchSize) to exercise batch boundaries.
var BatchSize = 8192

// SetBatchSize changes BatchSize and returns a function restoring it. For
// tests only.
func SetBatchSize(n int) (restore func()) {
	old := BatchSize
	BatchSize = n
	return func() { BatchSize = old }
}

// Column is one column of an operator's output.
type Column struct {
	Name string
	Type *types.T
	// TableOID and Attnum name the base-table column this output column
	// comes from (RowDescription carries them); zero when computed.
	TableOID uint32
	Attnum   int16
	// Hidden columns (such as _layer) are produced only when named.
	Hidden bool
}

// Schema is the ordered list of an operator's output columns.
type Schema []Column

// Arrow returns the Arrow schema of s.
func (s Schema) Arrow() *arrow.Schema {
	fields := make([]arrow.Field, len(s))
	for i, c := range s {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// Types returns the column types of s.
func (s Schema) Types() []*types.T {
	ts := make([]*types.T, len(s))
	for i, c := range s {
		ts[i] = c.Type
	}
	return ts
}

func (s Schema) String() string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = c.Name + " " + c.Type.Name
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Operator is a node of a physical plan. A plan is a tree of operators
// built for one execution; it is pulled from the root.
type Operator interface {
	// Schema describes the records Next returns. It is fixed at build time.
	Schema() Schema
	// Next returns the next non-empty batch, or io.EOF after the last one.
	// The record belongs to the caller, who must Release it. Next is not
	// safe for concurrent use. ctx cancellation stops work promptly with
	// ctx.Err().
	Next(ctx context.Context) (arrow.Record, error)
	// Close releases the operator's resources and closes its children. It
	// may be called more than once and before the end of the data.
	Close() error
	// Children returns the operator's inputs, for EXPLAIN.
	Children() []Operator
	// String is the stable one-line description EXPLAIN prints.
	String() string
}

// Ctx carries what one statement's execution shares: the allocator that
// enforces the memory limit, the statement's fixed now(), the session's
// time zone and the bound parameter values.
type Ctx struct {
	Mem    *MemTracker
	Now    types.TimestampD // now() and current_timestamp, fixed per statement
	Loc    *time.Location   // session TimeZone; UTC when nil
	Params []any            // bound parameter datums, $1 is Params[0]
	// Session is consulted by session-aware functions (current_user,
	// current_setting, pg_backend_pid, …). nil outside a session.
	Session SessionInfo
	// Catalog answers catalog-aware functions (regclass casts, format_type,
	// pg_get_viewdef, has_table_privilege …). nil outside a session.
	Catalog CatalogInfo
	// Context is the statement's context, for work started from inside an
	// expression (subqueries): it carries cancellation.
	Context context.Context
}

// SessionInfo is what session-aware scalar functions read.
type SessionInfo interface {
	User() string
	Database() string
	BackendPID() int32
	Setting(name string) (string, bool)
	SearchPath() []string
}

// CatalogInfo is what catalog-aware scalar functions read. Implemented by
// the server over a catalog snapshot.
type CatalogInfo interface {
	// RelationOID resolves a (possibly schema-qualified) relation name.
	RelationOID(name string) (uint32, bool)
	// RelationName returns the display name of a relation OID.
	RelationName(oid uint32) (string, bool)
	// TypeOID resolves a type name; TypeName the reverse.
	TypeOID(name string) (uint32, bool)
	TypeName(oid uint32) (string, bool)
	ProcName(oid uint32) (string, bool)
	ProcOID(name string) (uint32, bool)
	NamespaceName(oid uint32) (string, bool)
	NamespaceOID(name string) (uint32, bool)
	ViewDefinition(oid uint32) (string, bool)
	Description(objOID, classOID uint32, subID int32) (string, bool)
	UserName(oid uint32) (string, bool)
}

// NewCtx returns a Ctx with an unlimited memory tracker and now() = wall
// clock, for tests and internal jobs.
func NewCtx() *Ctx {
	return &Ctx{Mem: NewMemTracker(0), Now: types.TimestampOf(time.Now()), Loc: time.UTC}
}

// Location returns the session time zone, UTC when unset.
func (c *Ctx) Location() *time.Location {
	if c == nil || c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// Describe renders an operator tree, one node per line, children
// indented, as EXPLAIN prints it.
func Describe(op Operator) string {
	var sb strings.Builder
	var walk func(Operator, int)
	walk = func(o Operator, depth int) {
		if depth > 0 {
			sb.WriteString(strings.Repeat("  ", depth-1))
			sb.WriteString("->  ")
		}
		sb.WriteString(o.String())
		sb.WriteByte('\n')
		for _, c := range o.Children() {
			walk(c, depth+1)
		}
	}
	walk(op, 0)
	return sb.String()
}

// errorf is fmt.Errorf; operators wrap errors with what the caller lacks.
var errorf = fmt.Errorf

// ServerVersionString is what version() returns; the server sets it at
// start.
var ServerVersionString = "PostgreSQL 15.8 (lambdasql)"

// ServerStartTime is pg_postmaster_start_time(); the server sets it.
var ServerStartTime = time.Now()
