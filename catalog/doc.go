// Package catalog is the single source of truth for sources, views,
// batch view versions and watermarks, persisted durably in the data
// directory, handed out as immutable snapshots.
//
// catalog imports nothing of lambdasql but the leaves sql/types and
// sql/sqlstate.
package catalog
