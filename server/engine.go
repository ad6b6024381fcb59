package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/stream"
	"lambdasql/wire"
)

// engine runs the data plane: per source its log and capture, per lambda
// view its batch job and speed layer.
type engine struct {
	srv      *Server
	logs     *stream.LogStore
	versions *batch.Versions
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu      sync.Mutex
	sources map[string]*sourceRT
	views   map[string]*viewRT
	// started is set once every view of the catalog runs: before that the
	// log is never truncated, since a view not yet started may need to
	// replay from its checkpoint.
	started atomic.Bool
}

// sourceRT is a running source.
type sourceRT struct {
	src      *catalog.Source
	log      stream.Log
	embedded *stream.EmbeddedLog // nil for Kafka
	capture  *batch.Capture
	cancel   context.CancelFunc
	done     chan struct{}
	pinMu    sync.Mutex
	pins     map[int][]int64 // partition → offsets readers still need
	stats    *sourceStats
	jsonMu   sync.Mutex
	json     *jsonIngest
}

// viewRT is a running lambda view generation.
type viewRT struct {
	name     string
	gen      int64
	view     *catalog.View
	plan     *exec.ViewPlan
	job      *batch.Job
	speed    *stream.Speed
	cols     exec.Schema
	cancel   context.CancelFunc
	done     chan struct{}
	interval time.Duration
	runNow   chan chan error
	snapMu   sync.Mutex
	active   map[int64]int // B of running queries' snapshots → count
	lastB    int64
	// prunedB and prunedAt: the speed layer was last pruned to prunedB
	// at prunedAt (guarded by snapMu).
	prunedB  int64
	prunedAt time.Time
}

func (s *Server) startEngine() error {
	logs, err := stream.OpenLogStore(s.cfg.DataDir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &engine{srv: s, logs: logs, versions: batch.NewVersions(s.log), ctx: ctx, cancel: cancel,
		sources: map[string]*sourceRT{}, views: map[string]*viewRT{}}
	s.engine = e
	snap := s.cat.Snapshot()
	for _, name := range snap.SourceNames() {
		if err := e.startSource(snap.Sources[name]); err != nil {
			s.log.Error("cannot start source", "source", name, "err", err)
		}
	}
	for _, name := range snap.ViewNames() {
		v := snap.Views[name]
		if !v.Lambda {
			continue
		}
		if err := e.startView(ctx, v, false, nil); err != nil {
			s.log.Error("cannot start view", "view", name, "err", err)
		}
		if v.Pending != nil {
			if err := e.startView(ctx, v.Pending, true, nil); err != nil {
				s.log.Error("cannot resume the rebuild of a view", "view", name, "err", err)
			}
		}
	}
	e.started.Store(true)
	return nil
}

func (e *engine) stop() {
	e.cancel()
	e.mu.Lock()
	var waits []chan struct{}
	for _, v := range e.views {
		waits = append(waits, v.done)
	}
	for _, src := range e.sources {
		waits = append(waits, src.done)
	}
	e.mu.Unlock()
	for _, w := range waits {
		<-w
	}
	e.wg.Wait()
	e.mu.Lock()
	for _, src := range e.sources {
		src.log.Close()
	}
	e.mu.Unlock()
	e.logs.Close()
}

// durationOpt reads a duration option with a default.
func durationOpt(opts map[string]string, key string, def time.Duration) time.Duration {
	v, ok := opts[key]
	if !ok {
		return def
	}
	d, err := sql.ParseDuration(v)
	if err != nil {
		return def
	}
	return d
}

func (e *engine) startSource(src *catalog.Source) error {
	rt := &sourceRT{src: src, done: make(chan struct{}), pins: map[int][]int64{}, stats: newSourceStats()}
	schema := batch.SourceSchema(src)
	if src.Options["connector"] == "kafka" {
		kl, err := e.openKafka(src, schema)
		if err != nil {
			return err
		}
		rt.log = kl
	} else {
		el, err := e.logs.Log(src.OID, src.Name, src.Partitions, schema)
		if err != nil {
			return err
		}
		if m := e.srv.cat.Snapshot().Manifests[src.Name]; m != nil {
			for p, mk := range m.Marks {
				if p < el.Partitions() {
					el.EnsureNext(p, mk.Offset)
				}
			}
		}
		rt.log, rt.embedded = el, el
	}
	maxBytes := int64(256 << 20)
	if v, ok := src.Options["capture_size"]; ok {
		if n, err := parseByteSize(v); err == nil {
			maxBytes = n
		}
	}
	cap, err := batch.NewCapture(e.srv.cat, &captureInput{rt: rt}, batch.CaptureConfig{
		DataDir:     e.srv.cfg.DataDir,
		Source:      src,
		Interval:    durationOpt(src.Options, "capture_interval", 5*time.Minute),
		MaxBytes:    maxBytes,
		Compression: src.Options["compression"],
		Lateness:    src.Lateness,
		IdleTimeout: durationOpt(src.Options, "idle_timeout", 0),
		Logger:      e.srv.log,
		OnCommit:    func(m *catalog.Manifest) { e.captured(rt, m) },
		Start:       startOffsets(e.ctx, rt.log),
	})
	if err != nil {
		return err
	}
	rt.capture = cap
	ctx, cancel := context.WithCancel(e.ctx)
	rt.cancel = cancel
	e.mu.Lock()
	e.sources[src.Name] = rt
	e.mu.Unlock()
	go func() {
		defer close(rt.done)
		go e.compactLoop(ctx, rt)
		cap.Run(ctx)
	}()
	e.srv.log.Info("source started", "source", src.Name, "connector", src.Options["connector"], "partitions", rt.log.Partitions())
	return nil
}

// captureInput adapts a source log to batch.CaptureInput.
type captureInput struct{ rt *sourceRT }

func (c *captureInput) Partitions() int { return c.rt.log.Partitions() }

func (c *captureInput) HighWater(ctx context.Context, p int) (int64, error) {
	return c.rt.log.HighWater(ctx, p)
}

func (c *captureInput) Read(ctx context.Context, p int, from int64, maxRows int) ([]batch.Chunk, error) {
	wait := c.rt.embedded == nil // Kafka consumers need a moment to fetch
	rctx := ctx
	if wait {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
	}
	entries, err := c.rt.log.Read(rctx, p, from, 0, maxRows, wait)
	if err != nil && !(wait && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
		return nil, err
	}
	out := make([]batch.Chunk, len(entries))
	for i, en := range entries {
		ch := batch.Chunk{Partition: en.Partition, Offset: en.Offset, Next: en.Next, Rec: en.Rec, AppendedAt: en.AppendedAt}
		for _, r := range en.Rejected {
			ch.Rejected = append(ch.Rejected, catalog.RejectedEvent{Partition: r.Partition, Offset: r.Offset,
				ReceivedAt: time.UnixMicro(r.ReceivedAt).UTC(), Payload: r.Payload, Error: r.Error})
		}
		c.rt.stats.addRejected(int64(len(en.Rejected)))
		if c.rt.embedded == nil && en.Rec != nil {
			// Kafka: an event is accepted when capture decodes it (the
			// embedded log counts at INSERT/COPY).
			c.rt.stats.addEvents(en.Rec.NumRows())
		}
		out[i] = ch
	}
	return out, nil
}

// captured runs after each capture commit: it truncates the embedded log
// below what capture, every speed layer and every running scan still need.
func (e *engine) captured(rt *sourceRT, m *catalog.Manifest) {
	if rt.embedded == nil || m == nil || !e.started.Load() {
		return
	}
	for p := 0; p < rt.embedded.Partitions() && p < len(m.Marks); p++ {
		keep := m.Marks[p].Offset
		e.mu.Lock()
		for _, v := range e.views {
			if v.view.Source == rt.src.Name && v.speed != nil {
				if pos := v.speed.CheckpointPositions(); p < len(pos) && pos[p] < keep {
					keep = pos[p]
				}
			}
		}
		e.mu.Unlock()
		rt.pinMu.Lock()
		for _, off := range rt.pins[p] {
			keep = min(keep, off)
		}
		rt.pinMu.Unlock()
		if err := rt.embedded.Truncate(p, keep); err != nil {
			e.srv.log.Warn("log truncation failed", "source", rt.src.Name, "partition", p, "err", err)
		}
	}
}

// pin keeps partition p's log from offset off until the returned function
// is called.
func (rt *sourceRT) pin(p int, off int64) func() {
	rt.pinMu.Lock()
	rt.pins[p] = append(rt.pins[p], off)
	rt.pinMu.Unlock()
	return func() {
		rt.pinMu.Lock()
		defer rt.pinMu.Unlock()
		l := rt.pins[p]
		for i, v := range l {
			if v == off {
				rt.pins[p] = append(l[:i], l[i+1:]...)
				break
			}
		}
	}
}

func (e *engine) source(name string) (*sourceRT, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rt, ok := e.sources[name]
	return rt, ok
}

func (e *engine) stopSource(name string, deleteData bool) {
	e.mu.Lock()
	rt, ok := e.sources[name]
	delete(e.sources, name)
	e.mu.Unlock()
	if !ok {
		return
	}
	rt.cancel()
	<-rt.done
	rt.log.Close()
	if deleteData {
		if rt.embedded != nil {
			if err := e.logs.Drop(rt.src.OID); err != nil {
				e.srv.log.Warn("cannot drop the log", "source", name, "err", err)
			}
		}
		os.RemoveAll(batch.MasterDir(e.srv.cfg.DataDir, name))
		e.srv.cat.DeleteRecords(name, "")
	}
}

// compileView compiles a lambda view definition into its ViewPlan.
func (e *engine) compileView(ctx context.Context, v *catalog.View) (*exec.ViewPlan, error) {
	stmts, err := sql.Parse(v.Query)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("view %q: definition is not one query", v.Name)
	}
	q, ok := stmts[0].(*sql.Query)
	if !ok {
		return nil, fmt.Errorf("view %q: definition is not a query", v.Name)
	}
	opts := sql.Options{}
	for k, val := range v.Options {
		opts = append(opts, sql.Option{Key: k, Value: val})
	}
	w, _, err := viewWindow(opts)
	if err != nil {
		return nil, err
	}
	sess := e.srv.systemSession()
	b := &planner.Binder{Cat: e.srv.relations(sess), Ctx: ctx, Exec: sess.execCtx(ctx, nil), Pos: q.PositionAt}
	plan, _, err := e.srv.compileLambda(b, q, w)
	return plan, err
}

// startView starts a lambda view generation. A new view (or a rebuild)
// first runs a full batch run, then seeds its speed layer from the master
// dataset above B; a restarted view restores its speed checkpoint.
func (e *engine) startView(ctx context.Context, v *catalog.View, fresh bool, notice func(wire.Notice)) error {
	plan, err := e.compileView(ctx, v)
	if err != nil {
		return err
	}
	srt, ok := e.source(v.Source)
	if !ok {
		return sqlstate.New(sqlstate.UndefinedTable, "source %q of view %q is not running", v.Source, v.Name)
	}
	src := srt.src
	lateness := durationOpt(v.Options, "lateness", src.Lateness)
	idle := durationOpt(src.Options, "idle_timeout", 0)
	rt := &viewRT{name: v.Name, gen: v.Generation, view: v, plan: plan, cols: viewColumns(v),
		done: make(chan struct{}), runNow: make(chan chan error, 8), active: map[int64]int{},
		interval: durationOpt(v.Options, "batch_interval", 5*time.Minute)}
	rt.job = &batch.Job{Cat: e.srv.cat, DataDir: e.srv.cfg.DataDir, View: v.Name, Generation: v.Generation, Plan: plan,
		Source: src, Lateness: lateness, IdleTimeout: idle, Retention: durationOpt(v.Options, "retention", 0),
		Versions: e.versions, Logger: e.srv.log, Memory: e.srv.cfg.QueryMemory}
	progress := func(msg string) {
		if notice != nil {
			notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: msg})
		}
	}
	snap := e.srv.cat.Snapshot()
	bv := snap.Batch[v.Name]
	needRun := bv == nil || bv.Generation != v.Generation
	if needRun {
		if err := srt.capture.Flush(ctx); err != nil {
			return err
		}
		progress(fmt.Sprintf("building the batch layer of %s from the master dataset", v.Name))
		if _, err := rt.job.Run(ctx, batch.RunFull, progress); err != nil {
			return err
		}
	}
	// The speed layer: checkpoint, or seed from the master dataset.
	ckpt := filepath.Join(batch.ViewDir(e.srv.cfg.DataDir, v.Name), fmt.Sprintf("g%d", v.Generation), "speed.ckpt")
	snap = e.srv.cat.Snapshot()
	m := snap.Manifests[src.Name]
	var start []int64
	var clocks []exec.PartitionClock
	if m != nil {
		for _, mk := range m.Marks {
			start = append(start, mk.Offset)
			clocks = append(clocks, exec.PartitionClock{MaxTime: mk.MaxTime, LastAt: mk.LastAt})
		}
	}
	if len(start) == 0 {
		// Nothing committed yet: begin where capture began.
		start = srt.capture.StartOffsets()
	}
	if fresh || needRun {
		os.Remove(ckpt)
	}
	sp, err := stream.NewSpeed(stream.SpeedConfig{View: v.Name, Plan: plan, Log: srt.log, Lateness: lateness, IdleTimeout: idle,
		EmitClose: v.Options["emit"] == "close", Checkpoint: ckpt, Logger: e.srv.log}, start, clocks)
	if err != nil {
		return err
	}
	if _, statErr := os.Stat(ckpt); statErr != nil {
		// No checkpoint: fold the master rows of windows above B.
		b := int64(math.MinInt64)
		if cur := e.srv.cat.Snapshot().Batch[v.Name]; cur != nil && cur.Generation == v.Generation {
			b = cur.B
		}
		if err := e.seedSpeed(ctx, sp, src, m, plan, b); err != nil {
			return err
		}
	}
	rt.speed = sp
	vctx, cancel := context.WithCancel(e.ctx)
	rt.cancel = cancel
	e.mu.Lock()
	key := v.Name
	if v.Pending == nil && e.isPending(v) {
		key = v.Name + "\x00pending"
	}
	e.views[key] = rt
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		sp.Run(vctx)
	}()
	go func() {
		defer close(rt.done)
		e.batchLoop(vctx, rt)
	}()
	e.srv.log.Info("view started", "view", v.Name, "generation", v.Generation, "batch_interval", rt.interval)
	return nil
}

// isPending reports whether v is the pending replacement of its view.
func (e *engine) isPending(v *catalog.View) bool {
	cur := e.srv.cat.Snapshot().Views[v.Name]
	return cur != nil && cur.Pending != nil && cur.Pending.Generation == v.Generation
}

// seedSpeed folds the master rows of windows ending after B into a new
// speed layer.
func (e *engine) seedSpeed(ctx context.Context, sp *stream.Speed, src *catalog.Source, m *catalog.Manifest, plan *exec.ViewPlan, B int64) error {
	if m == nil || len(m.Files) == 0 {
		return nil
	}
	ft := batch.MasterTable(e.srv.cfg.DataDir, src, m)
	req := exec.ScanRequest{Columns: allCols(len(plan.SourceCols))}
	if B != math.MinInt64 {
		// window_end > B ⇔ window_start > B − size: events after B − size.
		from := B - plan.Size.Microseconds()
		if plan.Gap > 0 {
			// A session ending after B may have begun long before it: seed
			// a generous horizon (sessions longer than it are cut).
			from = B - max(24*time.Hour, 100*plan.Gap).Microseconds()
		}
		req.Bounds = []exec.Bound{{Col: plan.EventTime, Op: exec.OpGT, Value: typesTS(from)}}
	}
	scan := exec.NewScan(ft, req)
	defer scan.Close()
	for {
		rec, err := scan.Next(ctx)
		if err != nil {
			if errors.Is(err, errEOF) {
				return nil
			}
			return err
		}
		err = sp.Seed(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

func allCols(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// batchLoop runs the view's batch job every batch_interval and on demand.
func (e *engine) batchLoop(ctx context.Context, rt *viewRT) {
	t := time.NewTimer(rt.interval)
	defer t.Stop()
	fails := 0
	for {
		var waiter chan error
		select {
		case <-ctx.Done():
			e.drainRuns(rt, ctx.Err())
			return
		case waiter = <-rt.runNow:
		case <-t.C:
		}
		kind := batch.RunIncremental
		err := e.runBatch(ctx, rt, kind, nil)
		e.versions.Collect(rt.name)
		if waiter != nil {
			waiter <- err
		}
		next := e.viewInterval(rt)
		if err != nil && ctx.Err() == nil {
			fails++
			next = min(next, time.Duration(min(fails, 6))*5*time.Second) // retry failed runs sooner
		} else {
			fails = 0
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}

func (e *engine) viewInterval(rt *viewRT) time.Duration {
	if v := e.srv.cat.Snapshot().Views[rt.name]; v != nil {
		return durationOpt(v.Options, "batch_interval", 5*time.Minute)
	}
	return rt.interval
}

func (e *engine) drainRuns(rt *viewRT, err error) {
	for {
		select {
		case w := <-rt.runNow:
			w <- err
		default:
			return
		}
	}
}

// runBatch flushes capture and runs the job once, then prunes the speed
// layer below the published B.
func (e *engine) runBatch(ctx context.Context, rt *viewRT, kind string, progress func(string)) error {
	if srt, ok := e.source(rt.view.Source); ok {
		if err := srt.capture.Flush(ctx); err != nil {
			return err
		}
	}
	if _, err := rt.job.Run(ctx, kind, progress); err != nil {
		return err
	}
	e.afterPublish(rt)
	return nil
}

// afterPublish promotes a finished rebuild and prunes speed state the
// batch layer now covers (never below a running query's snapshot).
func (e *engine) afterPublish(rt *viewRT) {
	snap := e.srv.cat.Snapshot()
	bv := snap.Batch[rt.name]
	if bv == nil || bv.Generation != rt.gen {
		return
	}
	e.mu.Lock()
	if cur, ok := e.views[rt.name]; ok && cur != rt {
		if pend, ok := e.views[rt.name+"\x00pending"]; ok && pend == rt {
			// The replacement published: it serves from now on.
			delete(e.views, rt.name+"\x00pending")
			e.views[rt.name] = rt
			e.mu.Unlock()
			cur.cancel()
			go func() {
				<-cur.done
				os.RemoveAll(filepath.Join(batch.ViewDir(e.srv.cfg.DataDir, cur.name), fmt.Sprintf("g%d", cur.gen)))
			}()
			e.srv.log.Info("view replaced", "view", rt.name, "generation", rt.gen)
			e.mu.Lock()
		}
	}
	e.mu.Unlock()
	rt.snapMu.Lock()
	defer rt.snapMu.Unlock()
	bv = e.srv.cat.Snapshot().Batch[rt.name]
	if bv == nil || bv.Generation != rt.gen {
		return
	}
	rt.lastB = bv.B
	b := bv.B
	for active := range rt.active {
		b = min(b, active)
	}
	// Every query's release comes here: prune when B (or the oldest
	// running snapshot) moved, and otherwise at most once a second, for
	// windows a lagging speed layer folded below B since (a prune is a
	// pass over the whole state under the speed layer's lock).
	if b != math.MinInt64 && rt.speed != nil && (b > rt.prunedB || time.Since(rt.prunedAt) > time.Second) {
		rt.speed.Prune(b)
		rt.prunedB, rt.prunedAt = b, time.Now()
	}
}

// refresh runs a view's batch layer now (REFRESH VIEW [FULL]).
func (e *engine) refresh(ctx context.Context, name string, full bool, progress func(string)) (catalog.BatchRun, error) {
	e.mu.Lock()
	rt, ok := e.views[name]
	e.mu.Unlock()
	if !ok {
		return catalog.BatchRun{}, sqlstate.New(sqlstate.UndefinedTable, "view %q is not a running lambda view", name)
	}
	if srt, ok := e.source(rt.view.Source); ok {
		if err := srt.capture.Flush(ctx); err != nil {
			return catalog.BatchRun{}, err
		}
	}
	kind := batch.RunIncremental
	if full {
		kind = batch.RunFull
	}
	run, err := rt.job.Run(ctx, kind, progress)
	if err != nil {
		return run, err
	}
	e.afterPublish(rt)
	if full && rt.speed.Stats().DataGone {
		// The log lost events the speed layer needed; the master dataset
		// has them: rebuild the speed layer from it.
		if err := e.reseedSpeed(ctx, rt); err != nil {
			return run, err
		}
		progress(fmt.Sprintf("%s: speed layer rebuilt from the master dataset", name))
	}
	return run, nil
}

// reseedSpeed restarts a view's speed layer from the capture marks and
// the master dataset above the current B.
func (e *engine) reseedSpeed(ctx context.Context, rt *viewRT) error {
	srt, ok := e.source(rt.view.Source)
	if !ok {
		return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "source %q is not running", rt.view.Source)
	}
	if err := srt.capture.Flush(ctx); err != nil {
		return err
	}
	snap := e.srv.cat.Snapshot()
	m := snap.Manifests[srt.src.Name]
	var start []int64
	var clocks []exec.PartitionClock
	if m != nil {
		for _, mk := range m.Marks {
			start = append(start, mk.Offset)
			clocks = append(clocks, exec.PartitionClock{MaxTime: mk.MaxTime, LastAt: mk.LastAt})
		}
	}
	if len(start) == 0 {
		start = srt.capture.StartOffsets()
	}
	if err := rt.speed.Reset(start, clocks); err != nil {
		return err
	}
	b := int64(math.MinInt64)
	if bv := snap.Batch[rt.name]; bv != nil && bv.Generation == rt.gen {
		b = bv.B
	}
	if err := e.seedSpeed(ctx, rt.speed, srt.src, m, rt.plan, b); err != nil {
		return err
	}
	return rt.speed.SaveCheckpoint()
}

func (e *engine) view(name string) (*viewRT, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rt, ok := e.views[name]
	return rt, ok
}

func (e *engine) stopView(name string, deleteData bool) {
	e.mu.Lock()
	var stop []*viewRT
	for k, rt := range e.views {
		if rt.name == name {
			stop = append(stop, rt)
			delete(e.views, k)
		}
	}
	e.mu.Unlock()
	for _, rt := range stop {
		rt.cancel()
		<-rt.done
		select {
		case <-rt.speed.Stopped():
		case <-time.After(5 * time.Second):
		}
	}
	if deleteData {
		e.versions.Drop(name)
		os.RemoveAll(batch.ViewDir(e.srv.cfg.DataDir, name))
		e.srv.cat.DeleteRecords("", name)
	}
}

// lambdaSplit is the planner.LambdaView of a running view.
type lambdaSplit struct {
	e    *engine
	name string
	cols exec.Schema
}

func (l *lambdaSplit) WindowEndCol() int { return 1 }

func (l *lambdaSplit) Explain() (string, string) {
	rt, ok := l.e.view(l.name)
	if !ok {
		return "", ""
	}
	src := fmt.Sprintf("MasterScan %s (master dataset, Parquet)", rt.view.Source)
	bp := rt.plan.Describe(src) + "  -> write versioned Parquet by time bucket; publish with B\n"
	return bp, rt.speed.Explain()
}

// Split implements planner.LambdaView: B and the batch version from one
// catalog snapshot, and the speed windows above B taken while the
// snapshot is registered (so pruning waits for this query).
func (l *lambdaSplit) Split(ctx context.Context) (planner.Split, error) {
	rt, ok := l.e.view(l.name)
	if !ok {
		return planner.Split{}, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "view %q is not running", l.name)
	}
	// Read your writes: events acknowledged before the query started are
	// in the speed layer before its windows are read (bounded wait: a
	// lagging speed layer serves what it has).
	if srt, ok := l.e.source(rt.view.Source); ok && srt.embedded != nil {
		targets := make([]int64, srt.log.Partitions())
		for p := range targets {
			targets[p], _ = srt.log.HighWater(ctx, p)
		}
		rt.speed.WaitCaughtUp(ctx, targets, 5*time.Second)
	}
	// Read B, register this snapshot and pin its batch version in one
	// step: a publish that prunes the speed layer (afterPublish, under
	// the same lock) then sees this query's B.
	rt.snapMu.Lock()
	snap := l.e.srv.cat.Snapshot()
	bv := snap.Batch[l.name]
	sp := planner.Split{}
	if bv != nil && bv.Generation == rt.gen && bv.B != math.MinInt64 {
		sp.B, sp.HasB = typesTS(bv.B), true
	}
	key := int64(math.MinInt64)
	if sp.HasB {
		key = int64(sp.B)
	}
	rt.active[key]++
	releaseVersion := func() {}
	if bv != nil && bv.Generation == rt.gen {
		releaseVersion = l.e.versions.Acquire(l.name, bv.Version)
	}
	rt.snapMu.Unlock()
	if bv != nil && bv.Generation == rt.gen {
		phys := l.cols
		if n := len(phys); n > 0 && phys[n-1].Hidden {
			phys = phys[:n-1]
		}
		sp.Batch = batch.BatchTable(l.e.srv.cfg.DataDir, bv, phys)
	}
	release := func() {
		releaseVersion()
		rt.snapMu.Lock()
		rt.active[key]--
		if rt.active[key] <= 0 {
			delete(rt.active, key)
		}
		rt.snapMu.Unlock()
	}
	phys := l.cols
	if n := len(phys); n > 0 && phys[n-1].Hidden {
		phys = phys[:n-1]
	}
	// The speed windows are taken when the scan starts, with its bounds
	// (this snapshot's registration keeps every window above B until
	// release).
	rtab := &speedTable{recTable: recTable{name: fmt.Sprintf("speed(%s)", l.name), schema: phys}, speed: rt.speed, b: int64(sp.B), hasB: sp.HasB}
	sp.Speed = rtab
	if wm, ok := rt.speed.Watermark(); ok {
		sp.Watermark = typesTS(wm)
	}
	sp.Release = func() {
		rtab.Release()
		release()
		l.e.afterPublish(rt) // prune what this snapshot held back
	}
	return sp, nil
}

// sourceNames of running sources, sorted.
func (e *engine) sourceNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.sources))
	for n := range e.sources {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func isKafka(src *catalog.Source) bool { return strings.EqualFold(src.Options["connector"], "kafka") }

// compactLoop merges the small files of closed hours of a source's master
// dataset every minute. Replaced files are deleted after a grace period,
// so running scans that listed them finish first.
func (e *engine) compactLoop(ctx context.Context, rt *sourceRT) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m := e.srv.cat.Snapshot().Manifests[rt.src.Name]
		if m == nil || !m.WatermarkValid {
			continue
		}
		replaced, err := batch.Compact(ctx, e.srv.cat, e.srv.cfg.DataDir, rt.src, 8, m.Watermark)
		if err != nil && ctx.Err() == nil {
			e.srv.log.Warn("compaction failed", "source", rt.src.Name, "err", err)
		}
		if len(replaced) > 0 {
			e.srv.log.Info("compacted master files", "source", rt.src.Name, "replaced", len(replaced))
			time.AfterFunc(10*time.Minute, func() {
				for _, p := range replaced {
					os.Remove(p)
				}
			})
		}
	}
}
