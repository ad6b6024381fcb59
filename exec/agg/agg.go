// Package agg holds the shared aggregate accumulators: the one
// implementation of every aggregate that the batch hash aggregate, the
// streaming window aggregate and serving-time merges all use.
//
// An accumulator keeps the state of many groups in slices indexed by group
// id. Update folds a batch of rows into the groups the caller assigned them
// to; Merge folds another accumulator's groups into this one's (exactly:
// Finalize(Merge(Update(a), Update(b))) == Finalize(Update(a ∪ b)), up to
// floating-point summation order); Finalize produces one Arrow array with a
// value per group. States can be saved and loaded per group, for speed-layer
// checkpoints.
//
// agg imports nothing of lambdasql but sql/types and sql/sqlstate.
package agg

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// NoGroup in a groups slice means "skip this row" (filtered out by FILTER
// (WHERE …) or by the caller).
const NoGroup = ^uint32(0)

// Spec names an aggregate call resolved by the binder.
type Spec struct {
	Name     string     // lower-case function name: "count", "sum", "percentile_approx", …
	Args     []*types.T // argument types; empty for count(*)
	Distinct bool       // count(DISTINCT x) and friends
	Result   *types.T   // result type, as ResultType computed it
	// Const holds constant arguments that parameterize the aggregate (the
	// fraction of percentile_cont(0.5) / percentile_approx(x, 0.5)), in
	// order. Constant args are not part of Args.
	Const []any
}

// Accumulator holds per-group state of one aggregate call.
//
// Not safe for concurrent use; parallel aggregation gives each worker its
// own accumulators and merges them.
type Accumulator interface {
	// Grow makes groups [0, n) valid; new groups start empty.
	Grow(n int)
	// Len returns the number of groups.
	Len() int
	// Update folds row i of args (one array per Spec.Args, all of length
	// len(groups)) into group groups[i]; rows whose group is NoGroup are
	// skipped. NULL inputs are skipped as PostgreSQL does (count(*) has no
	// args and counts every row).
	Update(groups []uint32, args []arrow.Array) error
	// Merge folds group g of src (an accumulator of the same Spec) into
	// group dst[g] of this one, for every g < src.Len(); dst[g] == NoGroup
	// skips it.
	Merge(src Accumulator, dst []uint32) error
	// Finalize returns an array of Spec.Result with one value per group,
	// in group order. The state is unchanged. The caller releases the array.
	Finalize(mem memory.Allocator) (arrow.Array, error)
	// AppendState appends an encoding of group g's state to buf; LoadState
	// merges such an encoding into group g. Encodings are stable across
	// versions of lambdasql that keep the same Spec.
	AppendState(buf []byte, g uint32) []byte
	LoadState(g uint32, data []byte) error
	// Size estimates the bytes of state held, for memory accounting.
	Size() int64
}
