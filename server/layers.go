package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

func (s *Server) sourceCreated(ctx context.Context, name string) error {
	src := s.cat.Snapshot().Sources[name]
	if src == nil {
		return nil
	}
	if err := s.engine.startSource(src); err != nil {
		// Creating the source failed to start: undo it so the catalog and
		// the running system agree.
		_ = s.cat.Update(func(tx *catalog.Tx) error {
			delete(tx.Sources, name)
			return nil
		})
		return err
	}
	return nil
}

func (s *Server) viewCreated(ctx context.Context, name string, replaced bool, notice func(wire.Notice)) error {
	v := s.cat.Snapshot().Views[name]
	if v == nil {
		return nil
	}
	if replaced {
		if v.Pending != nil {
			// Rebuild both layers of the new definition while the old one
			// serves; the switch happens when its batch run publishes.
			return s.engine.startView(ctx, v.Pending, true, notice)
		}
		s.engine.stopView(name, false)
	}
	if !v.Lambda {
		return nil
	}
	if err := s.engine.startView(ctx, v, true, notice); err != nil {
		s.engine.stopView(name, true)
		_ = s.cat.Update(func(tx *catalog.Tx) error {
			if cur := tx.Views[name]; cur != nil && cur.Generation == v.Generation {
				delete(tx.Views, name)
				delete(tx.Batch, name)
			}
			return nil
		})
		return err
	}
	return nil
}

func (s *Server) objectDropped(kind, name string) {
	switch kind {
	case "source":
		s.engine.stopSource(name, true)
	case "view":
		s.engine.stopView(name, true)
	}
}

func (s *Server) objectAltered(kind, name string) {}

// lambdaView returns the serving interface of a lambda view.
func (s *Server) lambdaView(v *catalog.View, cols exec.Schema) planner.LambdaView {
	return &lambdaSplit{e: s.engine, name: v.Name, cols: cols}
}

// sourceTable is SELECT … FROM source: the master dataset up to the
// captured offsets, plus the log tail after them, split at one manifest
// snapshot so no event is seen twice or missed. _layer says which part a
// row came from ('batch' for the master dataset, 'speed' for the tail).
func (s *Server) sourceTable(src *catalog.Source, cols exec.Schema) (exec.TableSource, error) {
	rt, ok := s.engine.source(src.Name)
	if !ok {
		return nil, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "source %q is not running", src.Name)
	}
	m := s.cat.Snapshot().Manifests[src.Name]
	return &unifiedSource{srv: s, rt: rt, src: src, cols: cols, master: batch.MasterTable(s.cfg.DataDir, src, m), m: m}, nil
}

type unifiedSource struct {
	srv    *Server
	rt     *sourceRT
	src    *catalog.Source
	cols   exec.Schema // source columns + _layer
	master *batch.FileTable
	m      *catalog.Manifest
}

func (u *unifiedSource) Schema() exec.Schema { return u.cols }
func (u *unifiedSource) String() string {
	return fmt.Sprintf("%s (master dataset + log tail)", u.src.Name)
}

func (u *unifiedSource) LastScanStats() exec.ScanStats { return u.master.LastScanStats() }

func (u *unifiedSource) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	layerAt := -1
	var real []int
	for i, c := range req.Columns {
		if c == len(u.cols)-1 {
			layerAt = i
			continue
		}
		real = append(real, c)
	}
	var bounds []exec.Bound
	for _, b := range req.Bounds {
		if b.Col < len(u.cols)-1 {
			bounds = append(bounds, b)
		}
	}
	mtasks, err := u.master.Tasks(ctx, exec.ScanRequest{Columns: real, Bounds: bounds})
	if err != nil {
		return nil, err
	}
	out := make([]exec.ScanTask, 0, len(mtasks)+u.rt.log.Partitions())
	for _, t := range mtasks {
		out = append(out, &layerTask{inner: t, at: layerAt, layer: "batch", cols: req.Columns, schema: u.cols})
	}
	for p := 0; p < u.rt.log.Partitions(); p++ {
		from := int64(0)
		if u.m != nil && p < len(u.m.Marks) {
			from = u.m.Marks[p].Offset
		}
		hw, err := u.rt.log.HighWater(ctx, p)
		if err != nil {
			return nil, err
		}
		if hw <= from {
			continue
		}
		unpin := u.rt.pin(p, from)
		out = append(out, &layerTask{inner: &tailTask{rt: u.rt, p: p, from: from, until: hw, cols: real, unpin: unpin},
			at: layerAt, layer: "speed", cols: req.Columns, schema: u.cols})
	}
	return out, nil
}

// tailTask reads [from, until) of a log partition.
type tailTask struct {
	rt          *sourceRT
	p           int
	from, until int64
	cols        []int
	unpin       func()
	once        sync.Once
}

func (t *tailTask) Rows() int64 { return t.until - t.from }

func (t *tailTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	defer t.once.Do(t.unpin)
	pos := t.from
	deadline := time.Now().Add(30 * time.Second)
	for pos < t.until {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		entries, err := t.rt.log.Read(rctx, t.p, pos, t.until, 64*1024, t.rt.embedded == nil)
		cancel()
		if err != nil && !(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
			return err
		}
		if len(entries) == 0 {
			if time.Now().After(deadline) {
				return sqlstate.New(sqlstate.ConnectionFailure, "reading the log of %q timed out at offset %d", t.rt.src.Name, pos)
			}
			if t.rt.embedded != nil {
				return nil // truncated or gap: nothing more to read
			}
			continue
		}
		for i := range entries {
			e := &entries[i]
			pos = max(pos, e.Next)
			if e.Rec == nil || e.Rec.NumRows() == 0 {
				e.Release()
				continue
			}
			cols := make([]arrow.Array, len(t.cols))
			schema := make([]arrow.Field, len(t.cols))
			for j, c := range t.cols {
				cols[j] = e.Rec.Column(c)
				schema[j] = e.Rec.Schema().Field(c)
			}
			rec := array.NewRecord(arrow.NewSchema(schema, nil), cols, e.Rec.NumRows())
			e.Release()
			if err := emit(rec); err != nil {
				for _, rest := range entries[i+1:] {
					rest.Release()
				}
				return err
			}
		}
	}
	return nil
}

// layerTask inserts the constant _layer column where the scan wants it.
type layerTask struct {
	inner  exec.ScanTask
	at     int
	layer  string
	cols   []int
	schema exec.Schema
}

func (t *layerTask) Rows() int64 { return t.inner.Rows() }

func (t *layerTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	out := make(exec.Schema, len(t.cols))
	for i, c := range t.cols {
		out[i] = t.schema[c]
	}
	as := out.Arrow()
	return t.inner.Run(ctx, func(rec arrow.Record) error {
		n := rec.NumRows()
		cols := make([]arrow.Array, 0, len(t.cols))
		k := 0
		var layer arrow.Array
		for i := range t.cols {
			if i == t.at {
				layer = exec.ConstArray(types.Text, t.layer, int(n))
				cols = append(cols, layer)
				continue
			}
			cols = append(cols, rec.Column(k))
			k++
		}
		nr := array.NewRecord(as, cols, n)
		rec.Release()
		if layer != nil {
			layer.Release()
		}
		return emit(nr)
	})
}

// systemSession is a session for the server's own planning (compiling
// views at startup).
func (s *Server) systemSession() *Session {
	return newSession(s, wire.SessionStart{User: "lambdasql", Database: "lambdasql"})
}

// sourceStats counts a source's events for lambda_sources and metrics.
type sourceStats struct {
	events   atomic.Int64
	rejected atomic.Int64
	mu       sync.Mutex
	window   []rateSample
}

type rateSample struct {
	at     time.Time
	events int64
}

func newSourceStats() *sourceStats { return &sourceStats{} }

func (st *sourceStats) addEvents(n int64)   { st.events.Add(n) }
func (st *sourceStats) addRejected(n int64) { st.rejected.Add(n) }

// rate returns events per second over the last minute (sampled on call).
func (st *sourceStats) rate(total int64) float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	st.window = append(st.window, rateSample{at: now, events: total})
	for len(st.window) > 2 && now.Sub(st.window[0].at) > time.Minute {
		st.window = st.window[1:]
	}
	first := st.window[0]
	d := now.Sub(first.at).Seconds()
	if d < 0.5 {
		return 0
	}
	return float64(total-first.events) / d
}
