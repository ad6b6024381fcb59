package server

import (
	"context"
	"fmt"
	"math"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

// SourceStatus describes a running source (lambda_sources, metrics, the
// status page).
type SourceStatus struct {
	Name         string
	Connector    string
	Partitions   int
	HighWater    []int64 // next offset per partition
	Captured     []int64 // capture position per partition (committed to the master dataset)
	Watermark    time.Time
	HasWatermark bool
	Events       int64   // events accepted since start (embedded: INSERT/COPY)
	EventsPerSec float64 // over the last minute
	Rejected     int64   // rejected events recorded
	Backlog      int64   // events acknowledged but not yet in the master dataset
	MasterFiles  int
	MasterRows   int64
	Status       string
}

// ViewStatus describes a view (lambda_views, metrics, the status page).
type ViewStatus struct {
	Name            string
	Source          string
	Lambda          bool
	Window          string
	BatchInterval   time.Duration
	B               time.Time
	HasB            bool
	Freshness       time.Duration // now − B
	StreamWatermark time.Time
	HasWatermark    bool
	SpeedWindows    int
	SpeedStateBytes int64
	SpeedRows       int64
	LateEvents      int64
	OutOfOrder      int64
	SpeedLag        time.Duration
	BatchVersion    int64
	BatchFiles      int
	LastRun         *catalog.BatchRun
	Runs            int
	RunsFailed      int
	Status          string
	Generation      int64
}

// Status returns the state of every source and view.
func (s *Server) Status() ([]SourceStatus, []ViewStatus) {
	snap := s.cat.Snapshot()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var sources []SourceStatus
	for _, name := range snap.SourceNames() {
		src := snap.Sources[name]
		st := SourceStatus{Name: name, Connector: src.Options["connector"], Partitions: src.Partitions, Status: "stopped"}
		m := snap.Manifests[name]
		if m != nil {
			st.MasterFiles = len(m.Files)
			for _, f := range m.Files {
				st.MasterRows += f.Rows
			}
			var clocks []exec.PartitionClock
			for _, mk := range m.Marks {
				st.Captured = append(st.Captured, mk.Offset)
				clocks = append(clocks, exec.PartitionClock{MaxTime: mk.MaxTime, LastAt: mk.LastAt})
			}
			if wm, ok := exec.Watermark(clocks, src.Lateness, durationOpt(src.Options, "idle_timeout", 0), time.Now().UnixMicro()); ok {
				st.Watermark, st.HasWatermark = time.UnixMicro(wm).UTC(), true
			}
		}
		if rt, ok := s.engine.source(name); ok {
			st.Partitions = rt.log.Partitions()
			st.Status = rt.capture.Status()
			if ls := rt.log.Status(); ls != "ok" {
				st.Status = "log " + ls
			}
			st.Events = rt.stats.events.Load()
			st.EventsPerSec = rt.stats.rate(st.Events)
			st.Rejected = rt.stats.rejected.Load()
			for p := 0; p < st.Partitions; p++ {
				hw, err := rt.log.HighWater(ctx, p)
				if err != nil {
					st.Status = "log unavailable: " + err.Error()
					break
				}
				st.HighWater = append(st.HighWater, hw)
				var cap int64
				if p < len(st.Captured) {
					cap = st.Captured[p]
				}
				if hw > cap {
					st.Backlog += hw - cap
				}
			}
			// The speed layer's watermark is fresher than capture's.
			for _, v := range s.engine.viewsOf(name) {
				if wm, ok := v.speed.Watermark(); ok && (!st.HasWatermark || time.UnixMicro(wm).After(st.Watermark)) {
					st.Watermark, st.HasWatermark = time.UnixMicro(wm).UTC(), true
				}
			}
		}
		if _, total, err := s.cat.Rejected(name, 1); err == nil && total > st.Rejected {
			st.Rejected = total
		}
		sources = append(sources, st)
	}
	var views []ViewStatus
	runs, _ := s.cat.Runs("")
	for _, name := range snap.ViewNames() {
		v := snap.Views[name]
		st := ViewStatus{Name: name, Source: v.Source, Lambda: v.Lambda, Generation: v.Generation, Status: "ordinary view"}
		if v.Lambda {
			st.Status = "stopped"
			st.Window = windowText(v.Options)
			st.BatchInterval = durationOpt(v.Options, "batch_interval", 5*time.Minute)
			if bv := snap.Batch[name]; bv != nil && bv.Generation == v.Generation {
				st.BatchVersion, st.BatchFiles = bv.Version, len(bv.Files)
				if bv.B != math.MinInt64 {
					st.B, st.HasB = time.UnixMicro(bv.B).UTC(), true
					st.Freshness = time.Since(st.B)
				}
			}
			if rt, ok := s.engine.view(name); ok {
				sp := rt.speed.Stats()
				st.SpeedWindows, st.SpeedStateBytes, st.SpeedRows = sp.Windows, sp.StateBytes, sp.Rows
				st.LateEvents, st.OutOfOrder, st.SpeedLag = sp.Late, sp.OutOfOrder, sp.Lag
				st.Status = sp.Status
				if sp.DataGone {
					st.Status = "DATA LOST: the log no longer holds offsets the speed layer needs"
				}
				if sp.HasWM {
					st.StreamWatermark, st.HasWatermark = time.UnixMicro(sp.Watermark).UTC(), true
				}
			}
			if v.Pending != nil {
				st.Status += " (rebuilding a new definition)"
			}
			for i := range runs {
				r := runs[i]
				if r.View != name {
					continue
				}
				st.Runs++
				if r.Status == "failed" {
					st.RunsFailed++
				}
				st.LastRun = &runs[i]
			}
		}
		views = append(views, st)
	}
	return sources, views
}

func windowText(opts map[string]string) string {
	switch {
	case opts["session_gap"] != "":
		return "session " + opts["session_gap"]
	case opts["hop"] != "":
		return fmt.Sprintf("hop %s every %s", opts["window"], opts["hop"])
	}
	return "tumble " + opts["window"]
}

// viewsOf returns the running views over a source.
func (e *engine) viewsOf(source string) []*viewRT {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*viewRT
	for _, v := range e.views {
		if v.view.Source == source && v.speed != nil {
			out = append(out, v)
		}
	}
	return out
}

// ViewLatencies returns a channel of end-to-end latency samples of a view
// (acknowledgement → visible in the speed layer), or nil.
func (s *Server) ViewLatencies(name string) <-chan time.Duration {
	if rt, ok := s.engine.view(name); ok {
		return rt.speed.Latencies()
	}
	return nil
}

func tsOrNil(t time.Time, ok bool) any {
	if !ok {
		return nil
	}
	return types.TimestampOf(t)
}

func intervalOf(d time.Duration) types.IntervalD { return types.IntervalD{Micros: d.Microseconds()} }

func init() {
	registerSystemTable("pg_catalog", "lambda_sources", 16001, exec.Schema{
		{Name: "name", Type: types.Text}, {Name: "connector", Type: types.Text}, {Name: "partitions", Type: types.Int4},
		{Name: "offsets", Type: types.ArrayOf(types.Int8)}, {Name: "captured_offsets", Type: types.ArrayOf(types.Int8)},
		{Name: "stream_watermark", Type: types.TimestampTZ}, {Name: "events", Type: types.Int8},
		{Name: "events_per_sec", Type: types.Float8}, {Name: "rejected", Type: types.Int8}, {Name: "backlog", Type: types.Int8},
		{Name: "master_files", Type: types.Int4}, {Name: "master_rows", Type: types.Int8}, {Name: "status", Type: types.Text},
	}, func(r *relations) ([][]any, error) {
		srcs, _ := r.srv.Status()
		var rows [][]any
		for _, s := range srcs {
			rows = append(rows, []any{s.Name, s.Connector, int64(s.Partitions), int64Array(s.HighWater), int64Array(s.Captured),
				tsOrNil(s.Watermark, s.HasWatermark), s.Events, s.EventsPerSec, s.Rejected, s.Backlog,
				int64(s.MasterFiles), s.MasterRows, s.Status})
		}
		return rows, nil
	})
	registerSystemTable("pg_catalog", "lambda_views", 16002, exec.Schema{
		{Name: "name", Type: types.Text}, {Name: "source", Type: types.Text}, {Name: "kind", Type: types.Text},
		{Name: "window_spec", Type: types.Text}, {Name: "batch_interval", Type: types.Interval},
		{Name: "batch_watermark", Type: types.TimestampTZ}, {Name: "freshness", Type: types.Interval},
		{Name: "stream_watermark", Type: types.TimestampTZ}, {Name: "speed_windows", Type: types.Int8},
		{Name: "speed_state_bytes", Type: types.Int8}, {Name: "late_events", Type: types.Int8},
		{Name: "out_of_order_events", Type: types.Int8}, {Name: "batch_version", Type: types.Int8},
		{Name: "batch_files", Type: types.Int4}, {Name: "last_batch_run", Type: types.TimestampTZ},
		{Name: "last_batch_status", Type: types.Text}, {Name: "status", Type: types.Text},
	}, func(r *relations) ([][]any, error) {
		_, views := r.srv.Status()
		var rows [][]any
		for _, v := range views {
			kind := "view"
			if v.Lambda {
				kind = "lambda"
			}
			var lastAt, lastStatus any
			if v.LastRun != nil {
				lastAt, lastStatus = types.TimestampOf(v.LastRun.Finished), v.LastRun.Status
				if v.LastRun.Finished.IsZero() {
					lastAt = types.TimestampOf(v.LastRun.Started)
				}
			}
			var window, interval, fresh any
			if v.Lambda {
				window, interval = v.Window, intervalOf(v.BatchInterval)
				if v.HasB {
					fresh = intervalOf(v.Freshness.Truncate(time.Millisecond))
				}
			}
			rows = append(rows, []any{v.Name, nilIfEmpty(v.Source), kind, window, interval, tsOrNil(v.B, v.HasB), fresh,
				tsOrNil(v.StreamWatermark, v.HasWatermark), int64(v.SpeedWindows), v.SpeedStateBytes, v.LateEvents,
				v.OutOfOrder, v.BatchVersion, int64(v.BatchFiles), lastAt, lastStatus, v.Status})
		}
		return rows, nil
	})
	registerSystemTable("pg_catalog", "lambda_batch_runs", 16003, exec.Schema{
		{Name: "view", Type: types.Text}, {Name: "run_id", Type: types.Int8}, {Name: "kind", Type: types.Text},
		{Name: "started_at", Type: types.TimestampTZ}, {Name: "finished_at", Type: types.TimestampTZ},
		{Name: "status", Type: types.Text}, {Name: "rows_in", Type: types.Int8}, {Name: "rows_out", Type: types.Int8},
		{Name: "files", Type: types.Int4}, {Name: "watermark", Type: types.TimestampTZ}, {Name: "error", Type: types.Text},
	}, func(r *relations) ([][]any, error) {
		runs, err := r.srv.cat.Runs("")
		if err != nil {
			return nil, err
		}
		rows := make([][]any, 0, len(runs))
		for _, run := range runs {
			var fin, wm any
			if !run.Finished.IsZero() {
				fin = types.TimestampOf(run.Finished)
			}
			if run.Watermark != 0 && run.Watermark != math.MinInt64 {
				wm = types.TimestampD(run.Watermark)
			}
			rows = append(rows, []any{run.View, run.RunID, run.Kind, types.TimestampOf(run.Started), fin, run.Status,
				run.RowsIn, run.RowsOut, int64(run.Files), wm, nilIfEmpty(run.Error)})
		}
		return rows, nil
	})
	registerSystemTable("pg_catalog", "lambda_rejected", 16004, exec.Schema{
		{Name: "source", Type: types.Text}, {Name: "partition", Type: types.Int4}, {Name: "offset", Type: types.Int8},
		{Name: "received_at", Type: types.TimestampTZ}, {Name: "payload", Type: types.Text}, {Name: "error", Type: types.Text},
	}, func(r *relations) ([][]any, error) {
		evs, _, err := r.srv.cat.Rejected("", 100000)
		if err != nil {
			return nil, err
		}
		rows := make([][]any, 0, len(evs))
		for _, e := range evs {
			rows = append(rows, []any{e.Source, int64(e.Partition), e.Offset, types.TimestampOf(e.ReceivedAt), string(e.Payload), e.Error})
		}
		return rows, nil
	})
}

func int64Array(v []int64) any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
