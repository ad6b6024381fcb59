package stream

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
)

// Entry is a run of consecutive offsets of one log partition, decoded into
// rows of the source's columns. Offsets [Offset, Next) are covered: every
// offset in the run became either a row of Rec or a Rejected event.
type Entry struct {
	Partition int
	Offset    int64 // first offset covered
	Next      int64 // the offset after the last one covered
	// Rec holds the accepted rows (the source's columns, in order); nil
	// when every event of the run was rejected.
	Rec arrow.Record
	// Offsets holds each row's own offset when rows are not simply
	// Offset, Offset+1, … (Kafka runs with rejected events); nil otherwise.
	Offsets []int64
	// Rejected are the events of the run that could not be decoded.
	Rejected []Rejected
	// AppendedAt is when the run was appended (µs since epoch): the
	// acknowledgement time for embedded sources, the broker timestamp of
	// the last message for Kafka.
	AppendedAt int64
}

// Release releases the entry's record.
func (e *Entry) Release() {
	if e.Rec != nil {
		e.Rec.Release()
		e.Rec = nil
	}
}

// Rows returns the number of accepted rows.
func (e *Entry) Rows() int64 {
	if e.Rec == nil {
		return 0
	}
	return e.Rec.NumRows()
}

// Rejected is an event that could not be decoded into a row.
type Rejected struct {
	Partition  int
	Offset     int64
	ReceivedAt int64 // µs since epoch
	Payload    []byte
	Error      string
}

// Log is a partitioned, offset-addressed event log: the embedded log of an
// embedded source, or a Kafka topic. Capture and every speed view read it
// independently, each from its own offsets; Log implementations are safe
// for concurrent use.
type Log interface {
	// Partitions returns the number of partitions.
	Partitions() int
	// Read returns the entries of partition p from offset from on, with at
	// most about maxRows rows in all (at least one entry when any data is
	// available). With wait it blocks until data arrives or ctx ends;
	// without wait it returns what is available now (possibly nothing).
	// until > 0 stops before that offset. The caller releases the
	// entries.
	Read(ctx context.Context, p int, from, until int64, maxRows int, wait bool) ([]Entry, error)
	// HighWater returns the offset the next event of p will get: every
	// offset below it is readable (acknowledged).
	HighWater(ctx context.Context, p int) (int64, error)
	// LowWater returns the first offset of p still held (older ones were
	// truncated or expired).
	LowWater(ctx context.Context, p int) (int64, error)
	// Schema is the schema of the decoded rows.
	Schema() exec.Schema
	// Status describes the log's health ("ok", "reconnecting: …").
	Status() string
	// Close stops background work. It may be called more than once.
	Close() error
}

// Truncater is implemented by logs lambdasql owns (the embedded log): it
// may drop entries once nothing needs them any more.
type Truncater interface {
	// Truncate drops the entries of p that end at or before offset.
	Truncate(p int, before int64) error
}

// Clock is the wall clock, replaceable in tests.
type Clock func() time.Time
