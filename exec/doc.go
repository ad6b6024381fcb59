// Package exec is the vectorized execution engine: operators over Apache
// Arrow record batches (scan, filter, project, hash aggregate, sort, top-N,
// limit, hash join, union, distinct), expression kernels with SQL NULL
// semantics, and, in exec/agg, the shared aggregate accumulators.
//
// Both layers run on exec: batch runs its operators over Parquet, stream
// runs the same kernels and accumulators over the event log.
//
// exec imports only the leaves sql/types and sql/sqlstate of lambdasql.
// Invariants: operators never move single rows through interfaces; a
// record returned by Next belongs to the caller; stateful operators account
// their memory in the statement's MemTracker.
package exec
