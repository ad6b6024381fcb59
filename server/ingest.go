package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/sql/sqlstate"
	"lambdasql/stream"
)

// jsonIngest decodes JSON events for an embedded source (the HTTP ingest
// endpoint and the demo generator use it): accepted events are appended to
// the source's log, malformed ones recorded in lambda_rejected with the
// reason, exactly as a Kafka source treats them.
type jsonIngest struct {
	mu  sync.Mutex
	dec *stream.JSONDecoder
	seq int64
}

// IngestJSON appends JSON events (one object per payload) to an embedded
// source. It returns how many were accepted and rejected; accepted events
// are durable when it returns.
func (s *Server) IngestJSON(ctx context.Context, source string, payloads [][]byte) (int, int, error) {
	rt, ok := s.engine.source(source)
	if !ok {
		return 0, 0, sqlstate.New(sqlstate.UndefinedTable, "source %q does not exist", source)
	}
	if rt.embedded == nil {
		return 0, 0, sqlstate.New(sqlstate.FeatureNotSupported, "source %q reads from Kafka: produce to its topic", source)
	}
	src := rt.src
	rt.jsonMu.Lock()
	if rt.json == nil {
		schema := batch.SourceSchema(src)
		notNull := make([]bool, len(src.Columns))
		paths := map[int][]string{}
		for i, c := range src.Columns {
			notNull[i] = c.NotNull
			if p, ok := src.Options["json.path."+c.Name]; ok {
				paths[i] = strings.Split(p, ".")
			}
		}
		dec, err := stream.NewJSONDecoder(schema, notNull, src.ColumnIndex(src.EventTime), paths, durationOpt(src.Options, "max_future", 0), nil)
		if err != nil {
			rt.jsonMu.Unlock()
			return 0, 0, err
		}
		rt.json = &jsonIngest{dec: dec}
	}
	ji := rt.json
	rt.jsonMu.Unlock()
	ji.mu.Lock()
	now := time.Now()
	base := now.UnixNano()
	offsets := make([]int64, len(payloads))
	received := make([]int64, len(payloads))
	for i := range payloads {
		offsets[i] = base + int64(i)
		received[i] = now.UnixMicro()
	}
	rec, _, rejected := ji.dec.Decode(payloads, offsets, received)
	ji.mu.Unlock()
	accepted := 0
	if rec != nil {
		accepted = int(rec.NumRows())
		if accepted > 0 {
			p := rt.embedded.NextPartition()
			if _, err := rt.embedded.AppendMany(p, []arrow.Record{rec}); err != nil {
				rec.Release()
				return 0, 0, err
			}
			rt.stats.addEvents(int64(accepted))
		}
		rec.Release()
	}
	if len(rejected) > 0 {
		evs := make([]catalog.RejectedEvent, len(rejected))
		for i, r := range rejected {
			evs[i] = catalog.RejectedEvent{Source: source, Partition: -1, Offset: r.Offset, ReceivedAt: time.UnixMicro(r.ReceivedAt).UTC(),
				Payload: r.Payload, Error: r.Error}
		}
		if err := s.cat.PutRejected(evs); err != nil {
			return accepted, len(rejected), err
		}
		rt.stats.addRejected(int64(len(rejected)))
	}
	return accepted, len(rejected), ctx.Err()
}
