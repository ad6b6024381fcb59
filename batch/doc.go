// Package batch owns the master dataset and the batch layer: Parquet
// files (github.com/parquet-go/parquet-go) read into Arrow records and
// written from them, capture of the event log into the immutable master
// dataset, batch view jobs (incremental and full), batch view versions and
// the batch watermark.
//
// batch imports exec and catalog; it never imports stream.
package batch
