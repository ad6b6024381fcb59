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
//
// # Using an accumulator
//
// New(spec) builds the accumulator of a resolved aggregate call (see
// types.AggregateResult, types.AggregateArgs and types.AggregateConstArgs
// for resolution); Grow(n) then makes groups [0, n) valid. Group ids passed
// to Update, Merge, AppendState and LoadState must be below Len() or
// NoGroup; anything else is a caller bug and may panic. FILTER (WHERE …) is
// the caller's: it passes NoGroup for filtered-out rows.
//
// Input arrays have the Arrow type (*types.T).Arrow() gives the argument
// type: int2/int4/int8 as Int16/Int32/Int64, float4/float8 as
// Float32/Float64, numeric as String holding canonical decimal text, text
// types as String, bytea as Binary, date as Date32, time as Time64(us),
// timestamp(tz) as Timestamp(us), interval as MonthDayNanoInterval
// (microseconds × 1000 in Nanoseconds), oid as Uint32, bool as Boolean.
// Wherever a string is accepted, a dictionary array (any integer index
// type, String or Binary values) is accepted too and read without
// materializing strings. Results have the Arrow type of Spec.Result (so a
// numeric result is a String array of decimal text, array_agg a List).
//
// # Semantics
//
// PostgreSQL's: NULL inputs are skipped (array_agg keeps them); no rows give
// NULL, except count and approx_count_distinct, which give 0. Integer sums
// are exact 128-bit sums (sum(int8) becomes numeric and never wraps);
// avg(int), avg(numeric) and the variance family over int and numeric are
// exact with PostgreSQL's result scale (avg of 1 and 2 is
// 1.5000000000000000). Floats follow PostgreSQL's float8 rules, including
// 22003 when finite inputs overflow. min and max compare strings bytewise
// (C collation), numerics as decimals, intervals by length. DISTINCT is
// supported for every aggregate but the ordered-set ones; DISTINCT values
// reach the aggregate in ascending order, as PostgreSQL's sort gives them.
//
// Order-sensitive aggregates (string_agg, array_agg) keep arrival order;
// Merge appends the source group after the destination group, so
// "a ∪ b" above means a's rows, then b's.
//
// # Bounded and unbounded state
//
// count(DISTINCT x), string_agg, array_agg, percentile_cont and
// percentile_disc keep state that grows with their input (distinct values,
// or every value). approx_count_distinct (HyperLogLog, precision 14) and
// percentile_approx (DDSketch, 1 % relative accuracy) are their bounded
// counterparts; both merge exactly. The planner decides what a lambda view
// may use; this package only reports Size.
//
// # Saved state
//
// AppendState encodes one group in a compact binary form documented on each
// accumulator's AppendState (uvarints, little-endian words, length-prefixed
// bytes). LoadState merges an encoding into a group, so loading the states
// of a group from two checkpoints is a Merge. A corrupt encoding fails with
// SQLSTATE XX001 and never panics.
//
// # Errors
//
// 22003 (numeric overflow, percentile fraction outside [0, 1]), 22008
// (interval out of range), 22P02 (malformed numeric text), 42883/42725/
// 42601/0A000 from New for calls PostgreSQL would reject, XX000 for caller
// bugs (wrong array type, length mismatch, merge of another aggregate),
// XX001 for corrupt saved state.
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

// StatesAppender is implemented by accumulators that encode all their
// groups' states faster together than one AppendState call per group.
// AppendStates passes emit the encoding AppendState would give for each
// group 0 … ng-1, in order; the slice is reused after emit returns.
type StatesAppender interface {
	AppendStates(ng int, emit func(g uint32, state []byte) error) error
}

// GroupFinalizer is implemented by accumulators that can finalize a few
// groups without a pass over all of them (a point query over a large
// keyed state). FinalizeGroups returns one value per entry of groups, in
// that order, equal to those of Finalize.
type GroupFinalizer interface {
	FinalizeGroups(mem memory.Allocator, groups []int) (arrow.Array, error)
}
