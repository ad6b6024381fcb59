// Package server assembles a running lambdasql: it opens the data
// directory, the catalog, the event log, the batch and speed layers, and
// implements wire.Handler: sessions, settings, transactions, cursors, and
// the dispatch of each statement to DDL, ingest or query execution.
package server
