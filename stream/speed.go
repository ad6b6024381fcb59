package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// SpeedConfig configures a speed view.
type SpeedConfig struct {
	View        string
	Plan        *exec.ViewPlan
	Log         Log
	Lateness    time.Duration
	IdleTimeout time.Duration
	EmitClose   bool   // emit = 'close': only closed windows are visible
	Checkpoint  string // checkpoint file path ("" = none)
	// CheckpointEvery is the checkpoint interval (default 10 s).
	CheckpointEvery time.Duration
	Logger          *slog.Logger
	Clock           Clock
}

// Speed is the speed layer of one lambda view: it consumes the source's
// log, assigns windows in event time, folds rows into keyed window state
// with the view's accumulators, drops (and counts) late events, and serves
// the windows above the batch watermark.
//
// Invariant: state for a window is dropped only by Prune, which the server
// calls after the catalog published a batch version with B ≥ window_end
// and no running query holds an older snapshot.
type Speed struct {
	cfg   SpeedConfig
	log   *slog.Logger
	clock Clock

	// lastCkptHeld (ns) and lastCkptBytes describe the last checkpoint:
	// its time under mu and its size.
	lastCkptHeld, lastCkptBytes atomic.Int64

	mu      sync.Mutex
	state   *exec.KeyedState
	rowsBuf []arrow.Record // session windows: the Pre rows of open sessions
	pos     []int64
	clocks  []exec.PartitionClock
	wm      int64
	hasWM   bool
	rows    int64 // rows folded
	late    int64 // events dropped as late
	ooo     int64 // out-of-order events (older than the partition's max so far)
	lag     time.Duration
	status  string
	lastErr error
	gone    bool // the log no longer holds the offsets we need
	// ckptPos are the positions of the last durable checkpoint: the log
	// must keep every entry from them on, for a restart to replay.
	ckptPos []int64
	gen     int64 // bumped by Reset: entries read before it are dropped

	latencies chan time.Duration // end-to-end latency samples (ack → visible)
	changed   chan struct{}
	stopped   chan struct{}
	ready     atomic.Bool
}

// NewSpeed creates a speed view starting at the given offsets with empty
// state, or from its checkpoint when one exists.
func NewSpeed(cfg SpeedConfig, start []int64, startClocks []exec.PartitionClock) (*Speed, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 5 * time.Second
	}
	s := &Speed{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, status: "starting",
		latencies: make(chan time.Duration, 4096), changed: make(chan struct{}, 1), stopped: make(chan struct{})}
	if err := s.reset(start, startClocks); err != nil {
		return nil, err
	}
	if cfg.Checkpoint != "" {
		loaded, err := s.loadCheckpoint()
		if err != nil {
			s.log.Warn("speed checkpoint unusable; rebuilding", "view", cfg.View, "err", err)
			if err := s.reset(start, startClocks); err != nil {
				return nil, err
			}
		} else if loaded {
			s.log.Info("speed layer restored from checkpoint", "view", cfg.View, "windows", s.state.Len())
		}
	}
	s.startIdleClocks()
	return s, nil
}

// startIdleClocks starts the idle_timeout of the partitions that have not
// shown an event yet now: a partition is idle after idle_timeout without
// events counted from when the speed layer started reading it, not from
// the beginning of time — or the first event read from one partition
// would make every event of the others late.
func (s *Speed) startIdleClocks() {
	now := s.clock().UnixMicro()
	for p := range s.clocks {
		if s.clocks[p].LastAt == 0 {
			s.clocks[p].LastAt = now
		}
	}
	s.recomputeWM()
}

func (s *Speed) keyTypes() []*types.T {
	out := make([]*types.T, len(s.cfg.Plan.Keys))
	for i := range s.cfg.Plan.Keys {
		out[i] = s.cfg.Plan.AggOut[i].Type
	}
	return out
}

func (s *Speed) reset(start []int64, startClocks []exec.PartitionClock) error {
	st, err := exec.NewKeyedState(s.keyTypes(), s.cfg.Plan.Aggs)
	if err != nil {
		return err
	}
	parts := s.cfg.Log.Partitions()
	s.state = st
	s.pos = make([]int64, parts)
	s.clocks = make([]exec.PartitionClock, parts)
	for p := range s.clocks {
		s.clocks[p] = exec.PartitionClock{MaxTime: exec.NoTime}
		if p < len(start) {
			s.pos[p] = start[p]
		}
		if p < len(startClocks) {
			s.clocks[p] = startClocks[p]
		}
	}
	s.rows, s.late, s.ooo = 0, 0, 0
	s.ckptPos = append([]int64{}, s.pos...)
	s.recomputeWM()
	return nil
}

// Reset empties the state and restarts consumption at start (with the
// given partition clocks): REFRESH … FULL rebuilds a speed layer that lost
// data this way, then seeds it from the master dataset.
func (s *Speed) Reset(start []int64, clocks []exec.PartitionClock) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rowsBuf {
		r.Release()
	}
	s.rowsBuf = nil
	s.gen++
	s.gone = false
	s.hasWM, s.wm = false, 0
	if err := s.reset(start, clocks); err != nil {
		return err
	}
	s.startIdleClocks()
	return nil
}

// Seed folds rows that precede the start offsets (read from the master
// dataset when a view is created or rebuilt) into the state, without
// lateness checks.
func (s *Speed) Seed(rec arrow.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pre, err := s.cfg.Plan.RunPre(exec.NewCtx(), rec)
	if err != nil || pre == nil {
		return err
	}
	if s.cfg.Plan.Gap > 0 {
		s.rowsBuf = append(s.rowsBuf, pre)
		return nil
	}
	defer pre.Release()
	return s.state.Update(pre, s.cfg.Plan.Keys)
}

func (s *Speed) recomputeWM() {
	wm, ok := exec.Watermark(s.clocks, s.cfg.Lateness, s.cfg.IdleTimeout, s.clock().UnixMicro())
	if ok && (!s.hasWM || wm > s.wm) {
		s.wm, s.hasWM = wm, true
	}
}

// Run consumes the log until ctx ends, checkpointing periodically and on
// the way out.
func (s *Speed) Run(ctx context.Context) {
	defer close(s.stopped)
	parts := len(s.pos)
	if s.cfg.Checkpoint != "" {
		// A checkpoint of the starting state (seeded or restored) right
		// away: a crash before the first periodic one replays from here.
		if err := s.SaveCheckpoint(); err != nil {
			s.log.Warn("speed checkpoint failed", "view", s.cfg.View, "err", err)
		}
	}
	lastCkpt := time.Now()
	backoff := 100 * time.Millisecond
	s.setStatus("ok", nil)
	for ctx.Err() == nil {
		progressed := false
		var runErr error
		if parts > 1 && s.cfg.IdleTimeout > 0 {
			s.markBacklog(ctx)
		}
		for p := 0; p < parts; p++ {
			s.mu.Lock()
			from := s.pos[p]
			gen := s.gen
			s.mu.Unlock()
			entries, err := s.cfg.Log.Read(ctx, p, from, 0, 64*1024, false)
			if err != nil {
				runErr = err
				break
			}
			if len(entries) == 0 {
				s.mu.Lock()
				s.clocks[p].Behind = false
				s.mu.Unlock()
			}
			if len(entries) > 0 {
				if low, lerr := s.cfg.Log.LowWater(ctx, p); lerr == nil && from < low && entries[0].Offset > from {
					s.mu.Lock()
					s.gone = true
					s.mu.Unlock()
					s.log.Error("speed layer lost data: the log no longer holds the offsets it needs", "view", s.cfg.View,
						"partition", p, "needed", from, "oldest", low)
				}
			}
			for i := range entries {
				if err := s.process(&entries[i], gen); err != nil {
					runErr = err
				}
				entries[i].Release()
				progressed = true
			}
			if runErr != nil {
				break
			}
		}
		if runErr != nil && ctx.Err() == nil {
			s.setStatus("error", runErr)
			s.log.Warn("speed layer read failed; retrying", "view", s.cfg.View, "err", runErr, "backoff", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		s.setStatus("ok", nil)
		s.ready.Store(true)
		// A large state checkpoints less often: the lock is held while it
		// serializes, so at most ~5% of the time (recovery replays the
		// log from the checkpoint's offsets either way).
		if s.cfg.Checkpoint != "" && time.Since(lastCkpt) >= max(s.cfg.CheckpointEvery, 20*time.Duration(s.lastCkptHeld.Load())) {
			if err := s.SaveCheckpoint(); err != nil {
				s.log.Warn("speed checkpoint failed", "view", s.cfg.View, "err", err)
			}
			lastCkpt = time.Now()
		}
		if !progressed {
			// Idle: wait for new data on any partition (the log wakes us)
			// or a short tick (idle timeouts advance the watermark).
			wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			s.mu.Lock()
			from := s.pos[0]
			gen := s.gen
			s.mu.Unlock()
			if parts == 1 {
				entries, err := s.cfg.Log.Read(wctx, 0, from, 0, 64*1024, true)
				if err == nil {
					for i := range entries {
						if perr := s.process(&entries[i], gen); perr != nil {
							s.log.Warn("speed layer failed to fold an entry", "view", s.cfg.View, "err", perr)
						}
						entries[i].Release()
					}
				}
			} else {
				// Several partitions: a waiter per partition; the first to
				// see data ends the wait (the loop then reads in order).
				s.mu.Lock()
				pos := append([]int64{}, s.pos...)
				s.mu.Unlock()
				for p, off := range pos {
					go func() {
						entries, err := s.cfg.Log.Read(wctx, p, off, 0, 1, true)
						for i := range entries {
							entries[i].Release()
						}
						if err == nil && len(entries) > 0 {
							cancel()
						}
					}()
				}
				<-wctx.Done()
			}
			cancel()
			s.mu.Lock()
			s.recomputeWM()
			s.mu.Unlock()
		}
	}
	if s.cfg.Checkpoint != "" {
		if err := s.SaveCheckpoint(); err != nil {
			s.log.Warn("final speed checkpoint failed", "view", s.cfg.View, "err", err)
		}
	}
}

// markBacklog flags the partitions with entries not read yet, before a
// pass reads any of them: until the pass reaches a partition, events
// waiting in it must hold the watermark back even if the partition looks
// idle (it never saw an event, or its last one is older than idle_timeout),
// or a reader that drains one partition first would make the other's
// events late.
func (s *Speed) markBacklog(ctx context.Context) {
	for p := range s.clocks {
		hw, err := s.cfg.Log.HighWater(ctx, p)
		s.mu.Lock()
		s.clocks[p].Behind = err == nil && hw > s.pos[p]
		s.mu.Unlock()
	}
}

func (s *Speed) setStatus(st string, err error) {
	s.mu.Lock()
	s.status, s.lastErr = st, err
	s.mu.Unlock()
}

// Stopped is closed when Run has returned.
func (s *Speed) Stopped() <-chan struct{} { return s.stopped }

// Ready reports whether the speed layer caught up with the log once.
func (s *Speed) Ready() bool { return s.ready.Load() }

// process folds one log entry read at generation gen.
func (s *Speed) process(e *Entry, gen int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return nil // read before a Reset: stale
	}
	defer func() {
		if e.Next > s.pos[e.Partition] {
			s.pos[e.Partition] = e.Next
		}
	}()
	if e.Rec == nil || e.Rec.NumRows() == 0 {
		return nil
	}
	plan := s.cfg.Plan
	et := e.Rec.Column(plan.EventTime)
	clock := &s.clocks[e.Partition]
	ets := et.(*array.Timestamp).TimestampValues()
	for i, v := range ets {
		if et.IsValid(i) && int64(v) < clock.MaxTime {
			s.ooo++
		}
	}
	ctx := exec.NewCtx()
	pre, err := plan.RunPre(ctx, e.Rec)
	if err != nil {
		return err
	}
	if pre != nil {
		// Late rows: their window closed before they arrived.
		if s.hasWM {
			we := pre.Column(plan.Keys[1])
			wev := we.(*array.Timestamp).TimestampValues()
			gap := plan.Gap.Microseconds() // session windows: the row's own session would end at t + gap
			var keep []int
			for i, v := range wev {
				if int64(v)+gap > s.wm {
					keep = append(keep, i)
				}
			}
			if len(keep) < len(wev) {
				lateRows := int64(len(wev) - len(keep))
				if plan.Hop > 0 && plan.Hop != plan.Size && plan.Gap == 0 {
					// A hopping window repeats a row: count the events with
					// at least one window closed (their earliest window
					// ends at or below the watermark), not the copies.
					lateRows = 0
					size, hop := plan.Size.Microseconds(), plan.Hop.Microseconds()
					for i, v := range ets {
						if !et.IsValid(i) {
							continue
						}
						first := exec.AlignDown(int64(v)-size, hop) + hop
						if first+size <= s.wm {
							lateRows++
						}
					}
				}
				s.late += lateRows
				if len(keep) == 0 {
					pre.Release()
					pre = nil
				} else {
					sub := exec.TakeRecord(pre, keep)
					pre.Release()
					pre = sub
				}
			}
		}
		if pre != nil && plan.Gap > 0 {
			s.rows += pre.NumRows()
			s.rowsBuf = append(s.rowsBuf, pre)
		} else if pre != nil {
			err = s.state.Update(pre, plan.Keys)
			s.rows += pre.NumRows()
			pre.Release()
			if err != nil {
				return err
			}
		}
	}
	if mt := exec.MaxTimeOf(et); mt > clock.MaxTime {
		clock.MaxTime = mt
	}
	if e.AppendedAt > clock.LastAt {
		clock.LastAt = e.AppendedAt
	}
	s.recomputeWM()
	if e.AppendedAt > 0 {
		d := time.Duration(s.clock().UnixMicro()-e.AppendedAt) * time.Microsecond
		s.lag = d
		select {
		case s.latencies <- d:
		default:
		}
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// Latencies receives samples of the time from an event's
// acknowledgement to its visibility in the view.
func (s *Speed) Latencies() <-chan time.Duration { return s.latencies }

// Watermark returns the view's stream watermark.
func (s *Speed) Watermark() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wm, s.hasWM
}

// Positions returns the next offset the speed layer will read per partition.
func (s *Speed) Positions() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64{}, s.pos...)
}

// Stats describes the speed view for lambda_views and metrics.
type Stats struct {
	Windows    int
	StateBytes int64
	Rows       int64
	Late       int64
	OutOfOrder int64
	Watermark  int64
	HasWM      bool
	Lag        time.Duration
	Status     string
	DataGone   bool
}

// Stats returns the current statistics.
func (s *Speed) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	if s.lastErr != nil {
		st += ": " + s.lastErr.Error()
	}
	return Stats{Windows: s.state.Len(), StateBytes: s.state.Size(), Rows: s.rows, Late: s.late, OutOfOrder: s.ooo,
		Watermark: s.wm, HasWM: s.hasWM, Lag: s.lag, Status: st, DataGone: s.gone}
}

// Snapshot returns the view rows of every window ending after B (all
// windows when hasB is false); with emit = 'close' only windows ending at
// or below the stream watermark. The rows are computed now: later changes
// to the state do not affect them.
//
// bounds (over the view's output columns, as a scan request carries them)
// select windows by their grouping keys before anything is finalized, so
// a point query (one device, the last hour) finalizes its few windows,
// not the whole state; bounds on computed columns are ignored here.
func (s *Speed) Snapshot(B int64, hasB bool, bounds []exec.Bound) ([]arrow.Record, error) {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return nil, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState,
			"the speed layer of view %q lost data: the log no longer holds events it needs (Kafka retention?)", s.cfg.View).
			WithHint("Run REFRESH VIEW %s FULL after checking the source; SET lambda.read = 'batch' serves the batch layer meanwhile.", s.cfg.View)
	}
	wm, hasWM := s.wm, s.hasWM
	close := s.cfg.EmitClose
	state := s.state
	if s.cfg.Plan.Gap > 0 {
		st, err := s.sessionState()
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		state = st
	}
	keyFilter := s.cfg.Plan.KeyFilter(bounds)
	keep := func(keys []arrow.Array, g int) bool {
		we := int64(keys[1].(*array.Timestamp).Value(g))
		if hasB && we <= B {
			return false
		}
		if close && (!hasWM || we > wm) {
			return false
		}
		return keyFilter == nil || keyFilter(keys, g)
	}
	var recs []arrow.Record
	var err error
	indexed := false
	if k, v, ok := s.cfg.Plan.KeyEq(bounds); ok {
		// A point query: the state's equality index finds the key's groups.
		recs, indexed, err = state.FinalizeEq(s.cfg.Plan.AggOut, k, v, keep)
	}
	if !indexed && err == nil {
		recs, err = state.Finalize(s.cfg.Plan.AggOut, keep)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out, err := s.cfg.Plan.RunPost(exec.NewCtx(), recs)
	for _, r := range recs {
		r.Release()
	}
	return out, err
}

// sessionState folds the buffered rows of a session view into keyed
// state by session. Called with s.mu held.
func (s *Speed) sessionState() (*exec.KeyedState, error) {
	plan := s.cfg.Plan
	st, err := exec.NewKeyedState(s.keyTypes(), plan.Aggs)
	if err != nil {
		return nil, err
	}
	if len(s.rowsBuf) == 0 {
		return st, nil
	}
	sched := s.rowsBuf[0].Schema()
	schema := make(exec.Schema, sched.NumFields())
	for i := range schema {
		schema[i] = exec.Column{Name: sched.Field(i).Name, Type: s.preTypes()[i]}
	}
	rec, err := exec.AssignSessions(schema, s.rowsBuf, plan.SessionKeys(), plan.Keys[0], plan.Keys[1], plan.Gap.Microseconds())
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	if rec.NumRows() > 0 {
		if err := st.Update(rec, plan.Keys); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// preTypes are the types of the Pre output columns.
func (s *Speed) preTypes() []*types.T {
	pre := s.cfg.Plan.Pre
	out := pre[len(pre)-1].Schema()
	ts := make([]*types.T, len(out))
	for i, c := range out {
		ts[i] = c.Type
	}
	return ts
}

// pruneSessions keeps the buffered rows of sessions ending after B.
// Called with s.mu held.
func (s *Speed) pruneSessions(B int64) int {
	plan := s.cfg.Plan
	if len(s.rowsBuf) == 0 {
		return 0
	}
	sched := s.rowsBuf[0].Schema()
	schema := make(exec.Schema, sched.NumFields())
	for i := range schema {
		schema[i] = exec.Column{Name: sched.Field(i).Name, Type: s.preTypes()[i]}
	}
	ends, err := exec.SessionEnds(schema, s.rowsBuf, plan.SessionKeys(), plan.Keys[0], plan.Gap.Microseconds())
	if err != nil {
		s.log.Error("speed prune failed", "view", s.cfg.View, "err", err)
		return 0
	}
	var keep []int
	for i, e := range ends {
		if e > B {
			keep = append(keep, i)
		}
	}
	dropped := len(ends) - len(keep)
	if dropped == 0 {
		return 0
	}
	all := make([]arrow.Record, 0, len(s.rowsBuf))
	all = append(all, s.rowsBuf...)
	var kept arrow.Record
	if len(keep) > 0 {
		cat := concatAll(schema, all)
		kept = exec.TakeRecord(cat, keep)
		cat.Release()
	}
	for _, r := range s.rowsBuf {
		r.Release()
	}
	s.rowsBuf = nil
	if kept != nil {
		s.rowsBuf = append(s.rowsBuf, kept)
	}
	return dropped
}

func concatAll(schema exec.Schema, recs []arrow.Record) arrow.Record {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0]
	}
	cols := make([]arrow.Array, len(schema))
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for c := range schema {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, exec.Alloc)
		if err != nil {
			panic("BUG: concatenating speed rows: " + err.Error())
		}
		cols[c] = a
	}
	out := array.NewRecord(recs[0].Schema(), cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out
}

// Prune drops the windows ending at or below B.
func (s *Speed) Prune(B int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Plan.Gap > 0 {
		return s.pruneSessions(B)
	}
	n, err := s.state.Prune(func(keys []arrow.Array, g int) bool {
		return int64(keys[1].(*array.Timestamp).Value(g)) <= B
	})
	if err != nil {
		s.log.Error("speed prune failed", "view", s.cfg.View, "err", err)
	}
	return n
}

// checkpoint header, JSON.
type ckptHeader struct {
	View   string                `json:"view"`
	Pos    []int64               `json:"pos"`
	Clocks []exec.PartitionClock `json:"clocks"`
	WM     int64                 `json:"wm"`
	HasWM  bool                  `json:"has_wm"`
	Rows   int64                 `json:"rows"`
	Late   int64                 `json:"late"`
	OOO    int64                 `json:"ooo"`
	Saved  time.Time             `json:"saved"`
}

// SaveCheckpoint writes the state, offsets and watermark atomically.
func (s *Speed) SaveCheckpoint() error {
	path := s.cfg.Checkpoint
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	// Serialize into memory under the lock (queries and folding wait for
	// it), write and sync the file after releasing it.
	var mem bytes.Buffer
	mem.Grow(int(s.lastCkptBytes.Load() * 9 / 8))
	w := &mem
	began := time.Now()
	s.mu.Lock()
	pos := append([]int64{}, s.pos...)
	hdr, _ := json.Marshal(ckptHeader{View: s.cfg.View, Pos: s.pos, Clocks: s.clocks, WM: s.wm, HasWM: s.hasWM,
		Rows: s.rows, Late: s.late, OOO: s.ooo, Saved: time.Now().UTC()})
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(hdr)))
	w.Write(n[:])
	w.Write(hdr)
	err = s.state.Save(w)
	if err == nil {
		err = saveRows(w, s.rowsBuf)
	}
	s.mu.Unlock()
	s.lastCkptHeld.Store(int64(time.Since(began)))
	s.lastCkptBytes.Store(int64(mem.Len()))
	if err == nil {
		_, err = mem.WriteTo(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	s.mu.Lock()
	s.ckptPos = pos
	s.mu.Unlock()
	return nil
}

// WaitCaughtUp waits until the speed layer has read every partition up
// to the given offsets (what was acknowledged when a query started), or
// until timeout or ctx ends. It reports whether it caught up.
func (s *Speed) WaitCaughtUp(ctx context.Context, targets []int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ok := true
		for p, t := range targets {
			if p < len(s.pos) && s.pos[p] < t {
				ok = false
				break
			}
		}
		gone := s.gone
		s.mu.Unlock()
		if ok || gone {
			return ok
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// CheckpointPositions returns the positions of the last durable
// checkpoint (without checkpoints: the current positions). The log must
// keep the entries from there on.
func (s *Speed) CheckpointPositions() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Checkpoint == "" || s.ckptPos == nil {
		return append([]int64{}, s.pos...)
	}
	return append([]int64{}, s.ckptPos...)
}

// loadCheckpoint restores state; false when there is none.
func (s *Speed) loadCheckpoint() (bool, error) {
	f, err := os.Open(s.cfg.Checkpoint)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return false, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > 64<<20 {
		return false, fmt.Errorf("checkpoint header is corrupt")
	}
	hb := make([]byte, size)
	if _, err := io.ReadFull(r, hb); err != nil {
		return false, err
	}
	var h ckptHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return false, err
	}
	if len(h.Pos) != len(s.pos) {
		return false, fmt.Errorf("checkpoint has %d partitions, the log %d", len(h.Pos), len(s.pos))
	}
	st, err := exec.NewKeyedState(s.keyTypes(), s.cfg.Plan.Aggs)
	if err != nil {
		return false, err
	}
	if err := st.Load(r); err != nil {
		return false, err
	}
	rows, err := loadRows(r)
	if err != nil {
		return false, err
	}
	s.state = st
	s.rowsBuf = rows
	s.pos, s.clocks = h.Pos, h.Clocks
	s.wm, s.hasWM = h.WM, h.HasWM
	s.rows, s.late, s.ooo = h.Rows, h.Late, h.OOO
	s.ckptPos = append([]int64{}, h.Pos...)
	return true, nil
}

// Explain describes the stream graph.
func (s *Speed) Explain() string {
	return s.cfg.Plan.Describe(fmt.Sprintf("LogSource %s (%d partitions)", s.cfg.Plan.Source, s.cfg.Log.Partitions())) +
		fmt.Sprintf("  -> LateFilter window_end > watermark (lateness %s)\n  -> KeyedWindowState [%d windows]\n", s.cfg.Lateness, s.state.Len())
}

var _ = math.MaxInt64

// saveRows writes buffered rows (session views) as a length-prefixed Arrow
// IPC stream; none is a zero length.
func saveRows(w io.Writer, recs []arrow.Record) error {
	var buf bytes.Buffer
	if len(recs) > 0 {
		iw := ipc.NewWriter(&buf, ipc.WithSchema(recs[0].Schema()))
		for _, r := range recs {
			if err := iw.Write(r); err != nil {
				return err
			}
		}
		if err := iw.Close(); err != nil {
			return err
		}
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(buf.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func loadRows(r io.Reader) ([]arrow.Record, error) {
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // checkpoints of views without buffered rows
		}
		return nil, err
	}
	size := binary.LittleEndian.Uint64(n[:])
	if size == 0 {
		return nil, nil
	}
	if size > 1<<34 {
		return nil, fmt.Errorf("checkpoint rows are corrupt")
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	ir, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer ir.Release()
	var out []arrow.Record
	for ir.Next() {
		rec := ir.Record()
		rec.Retain()
		out = append(out, rec)
	}
	return out, ir.Err()
}
