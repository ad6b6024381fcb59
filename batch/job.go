package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Run kinds.
const (
	RunIncremental = "incremental"
	RunFull        = "full"
)

// Job is the batch layer of one lambda view generation: it recomputes the
// windows touched by newly captured master files (or all of them), writes
// them as a new version of versioned Parquet files, and publishes the
// version together with its batch watermark B in one catalog step.
//
// Windows are grouped into buckets: a bucket covers the windows whose
// start falls in [b, b+Z), Z a multiple of the window grid of at least an
// hour. A bucket's file is recomputed from every master file overlapping
// its input range whenever a new file overlaps it, so late events reach
// the batch view in the next run, and re-running a range changes nothing.
type Job struct {
	Cat         *catalog.Catalog
	DataDir     string
	View        string
	Generation  int64
	Plan        *exec.ViewPlan
	Source      *catalog.Source
	Lateness    time.Duration
	IdleTimeout time.Duration
	Retention   time.Duration
	Versions    *Versions
	Logger      *slog.Logger
	// Memory is the per-run memory limit (0 = unlimited).
	Memory int64

	mu sync.Mutex // one run at a time
}

// bucketSize is the span Z of a bucket: a multiple of the grid of at
// least ten minutes. Smaller buckets make incremental runs cheaper (a run
// re-reads the input of the buckets it recomputes); larger ones mean fewer
// files.
func bucketSize(grid int64) int64 {
	const target = 600_000000
	if grid <= 0 {
		return target
	}
	if grid >= target {
		return grid
	}
	return grid * ((target + grid - 1) / grid)
}

// viewDir is where a view's batch files live.
func viewDir(dataDir, view string) string { return filepath.Join(dataDir, "views", view) }

// ViewDir returns the directory of a view's batch files.
func ViewDir(dataDir, view string) string { return viewDir(dataDir, view) }

// Run runs the batch layer once. progress receives human-readable progress
// lines (REFRESH sends them as NOTICEs). A failed run changes nothing
// visible.
func (j *Job) Run(ctx context.Context, kind string, progress func(string)) (catalog.BatchRun, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if progress == nil {
		progress = func(string) {}
	}
	run := catalog.BatchRun{View: j.View, RunID: j.Cat.LastRunID(j.View) + 1, Kind: kind, Started: time.Now().UTC(), Status: "running"}
	_ = j.Cat.PutRun(run)
	err := j.run(ctx, kind, &run, progress)
	run.Finished = time.Now().UTC()
	if err != nil {
		run.Status = "failed"
		run.Error = err.Error()
		if errors.Is(err, errNothingNew) {
			run.Status, run.Error = "skipped", ""
			err = nil
		}
	} else {
		run.Status = "succeeded"
	}
	if perr := j.Cat.PutRun(run); perr != nil && err == nil {
		err = perr
	}
	level := slog.LevelInfo
	if run.Status == "failed" {
		level = slog.LevelWarn
	}
	if run.Status != "skipped" || kind == RunFull {
		j.Logger.Log(ctx, level, "batch run", "view", j.View, "run", run.RunID, "kind", kind, "status", run.Status,
			"rows_in", run.RowsIn, "rows_out", run.RowsOut, "files", run.Files,
			"watermark", fmtMicros(run.Watermark), "duration", run.Finished.Sub(run.Started).Round(time.Millisecond), "err", run.Error)
	}
	return run, err
}

var errNothingNew = errors.New("nothing new to compute")

func fmtMicros(us int64) string {
	if us == 0 || us == math.MinInt64 {
		return ""
	}
	return time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
}

func (j *Job) run(ctx context.Context, kind string, run *catalog.BatchRun, progress func(string)) error {
	snap := j.Cat.Snapshot()
	view, ok := snap.Views[j.View]
	if !ok {
		return sqlstate.New(sqlstate.UndefinedTable, "view %q was dropped", j.View)
	}
	target := view
	if view.Pending != nil && view.Pending.Generation == j.Generation {
		target = view.Pending
	}
	if target.Generation != j.Generation {
		return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "view %q was replaced", j.View)
	}
	m := snap.Manifests[j.Source.Name]
	prev := snap.Batch[j.View]
	if prev != nil && prev.Generation != j.Generation {
		prev = nil // a rebuild starts from nothing
	}
	// The watermark B this run can publish.
	var clocks []exec.PartitionClock
	var seq int64
	var offsets []int64
	if m != nil {
		for _, mk := range m.Marks {
			clocks = append(clocks, exec.PartitionClock{MaxTime: mk.MaxTime, LastAt: mk.LastAt})
			offsets = append(offsets, mk.Offset)
		}
		seq = m.Seq
	}
	grid := j.Plan.Grid()
	var B int64
	hasB := false
	if wm, ok := exec.Watermark(clocks, j.Lateness, j.IdleTimeout, commitTime(m)); ok && len(clocks) > 0 {
		B, hasB = exec.AlignDown(wm, grid), true
		if j.Plan.Gap > 0 {
			// An on-time event may still extend a session that ended
			// within one gap of the watermark: such sessions are not final.
			B = wm - j.Plan.Gap.Microseconds()
		}
	}
	if prev != nil && (!hasB || prev.B > B) {
		B, hasB = prev.B, true // B never moves backwards
	}
	if !hasB {
		B = math.MinInt64
	}
	run.Watermark = B
	// Which buckets to recompute.
	Z := bucketSize(grid)
	size := j.Plan.Size.Microseconds()
	full := kind == RunFull || prev == nil
	buckets := map[int64]bool{}
	var files []catalog.MasterFile
	if m != nil {
		files = m.Files
	}
	if j.Plan.Gap > 0 {
		// Session windows are not aligned to a grid and a late event can
		// merge sessions across any span: every run recomputes them all.
		full = true
		if len(files) > 0 {
			buckets[0] = true
		}
		files = nil
	}
	for _, f := range files {
		if !full && f.Seq <= prev.Cutoff {
			continue
		}
		first := exec.AlignDown(f.MinTime, grid) - size + grid
		last := exec.AlignDown(f.MaxTime, grid)
		for b := exec.AlignDown(first, Z); b <= last; b += Z {
			buckets[b] = true
		}
	}
	if !full && len(buckets) == 0 && prev.B == B {
		return errNothingNew
	}
	order := make([]int64, 0, len(buckets))
	for b := range buckets {
		order = append(order, b)
	}
	sort.Slice(order, func(a, b int) bool { return order[a] < order[b] })
	version := int64(1)
	if prev != nil {
		version = prev.Version + 1
	}
	dir := filepath.Join(viewDir(j.DataDir, j.View), fmt.Sprintf("g%d", j.Generation), fmt.Sprintf("v%d", version))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sqlstate.Wrap(err, sqlstate.IOError)
	}
	var newFiles []catalog.BatchFile
	fail := func(err error) error {
		os.RemoveAll(dir)
		return err
	}
	// Buckets are independent: compute them on all cores, each with a
	// single-threaded scan so that its result does not depend on how
	// rows were split between workers (the same master dataset always
	// gives the same floats).
	type result struct {
		bf  *catalog.BatchFile
		in  int64
		err error
	}
	results := make([]result, len(order))
	sem := make(chan struct{}, max(1, exec.DefaultWorkers))
	var wg sync.WaitGroup
	var doneMu sync.Mutex
	done := 0
	var rowsRead int64
	for i, b := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, b int64) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				results[i] = result{err: err}
				return
			}
			bf, in, err := j.computeBucket(ctx, m, b, b+Z, dir)
			if err != nil {
				err = fmt.Errorf("bucket %s: %w", fmtMicros(b), err)
			}
			results[i] = result{bf: bf, in: in, err: err}
			doneMu.Lock()
			done++
			rowsRead += in
			d, r := done, rowsRead
			doneMu.Unlock()
			if len(order) > 1 && d%max(1, len(order)/10) == 0 || d == len(order) && len(order) > 3 {
				progress(fmt.Sprintf("%s: %d of %d time buckets recomputed (%d rows read)", j.View, d, len(order), r))
			}
		}(i, b)
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return fail(r.err)
		}
		run.RowsIn += r.in
		if r.bf != nil {
			run.RowsOut += r.bf.Rows
			newFiles = append(newFiles, *r.bf)
		}
	}
	// The new version: previous files outside the recomputed buckets, plus
	// the new files; buckets past the retention are dropped.
	var keep []catalog.BatchFile
	if prev != nil && !full {
		for _, f := range prev.Files {
			if !buckets[f.Bucket] {
				keep = append(keep, f)
			}
		}
	}
	keep = append(keep, newFiles...)
	if j.Retention > 0 && hasB {
		cut := B - j.Retention.Microseconds()
		var kept []catalog.BatchFile
		for _, f := range keep {
			if f.MaxEnd > cut {
				kept = append(kept, f)
			}
		}
		keep = kept
	}
	sort.Slice(keep, func(a, b int) bool { return keep[a].Bucket < keep[b].Bucket })
	run.Files = len(newFiles)
	nv := &catalog.BatchVersion{View: j.View, Generation: j.Generation, Version: version, B: B, Files: keep,
		Cutoff: seq, Offsets: offsets, Published: time.Now().UTC()}
	run.Version = version
	var superseded *catalog.BatchVersion
	err := j.Cat.Update(func(tx *catalog.Tx) error {
		v, ok := tx.Views[j.View]
		if !ok {
			return sqlstate.New(sqlstate.UndefinedTable, "view %q was dropped", j.View)
		}
		cur := tx.Batch[j.View]
		switch {
		case v.Generation == j.Generation && v.Pending == nil:
		case v.Pending != nil && v.Pending.Generation == j.Generation:
			// A rebuild completes: the replacement definition takes over,
			// with its batch version, in this same step.
			tx.Views[j.View] = v.Pending
		default:
			return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "view %q was replaced during the run", j.View)
		}
		if cur != nil && cur.Generation == j.Generation && prev != nil && cur.Version != prev.Version {
			return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "view %q got a newer batch version during the run", j.View)
		}
		superseded = cur
		tx.Batch[j.View] = nv
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if j.Versions != nil {
		j.Versions.Published(j.DataDir, j.View, superseded, nv)
	}
	return nil
}

func commitTime(m *catalog.Manifest) int64 {
	if m == nil {
		return 0
	}
	return m.CommittedAt
}

// batchPageBytes is the page size of batch view files: small pages make
// the page index selective for point queries (a view's rows are few and
// wide compared with the master dataset's). The files are written without
// dictionaries too: a point query would read a whole column's dictionary
// page to decode the one data page it needs.
const batchPageBytes = 8 << 10

// computeBucket recomputes the windows starting in [b0, b1) from the
// master dataset and writes them to one file (nil when no window has
// rows). It returns the rows read.
func (j *Job) computeBucket(ctx context.Context, m *catalog.Manifest, b0, b1 int64, dir string) (*catalog.BatchFile, int64, error) {
	p := j.Plan
	grid := p.Grid()
	lo, hi := b0, b1-grid+p.Size.Microseconds() // event times whose windows start in the bucket
	session := p.Gap > 0
	if session {
		lo, hi = math.MinInt64, math.MaxInt64
	}
	ft := MasterTable(j.DataDir, j.Source, m)
	etCol := p.EventTime
	wt := p.SourceCols[etCol].Type
	var bounds []exec.Bound
	if !session {
		bounds = []exec.Bound{{Col: etCol, Op: exec.OpGE, Value: types.TimestampD(lo)}, {Col: etCol, Op: exec.OpLT, Value: types.TimestampD(hi)}}
	}
	scan := exec.NewScan(ft, exec.ScanRequest{Columns: p.NeededCols, Bounds: bounds})
	scan.SetWorkers(1) // deterministic: rows fold in file order (buckets run in parallel)
	var op exec.Operator = scan
	if len(p.NeededCols) != len(p.SourceCols) {
		op = &exec.StepOp{Child: op, Step: &exec.WidenStep{Have: p.NeededCols, Full: p.SourceCols}}
	}
	if !session {
		// Exact range filter on event time (bounds only prune).
		rangePred, err := timeRange(etCol, wt, lo, hi, p.SourceCols[etCol].Name)
		if err != nil {
			return nil, 0, err
		}
		op = &exec.StepOp{Child: op, Step: &exec.FilterStep{Pred: rangePred, Out: p.SourceCols}}
	}
	// rows_in counts each event once: in the bucket its event time falls in
	// (hopping buckets read a window's length past their end as well).
	in := &countStep{col: etCol, below: b1, out: p.SourceCols}
	if session {
		in.below = math.MaxInt64
	}
	op = &exec.StepOp{Child: op, Step: in}
	op = &exec.StepOp{Child: op, Step: p.Assign()}
	for _, s := range p.Pre {
		op = &exec.StepOp{Child: op, Step: s}
	}
	if session {
		op = &exec.SessionAssign{Child: op, KeyCols: p.SessionKeys(), StartCol: p.Keys[0], EndCol: p.Keys[1], Gap: p.Gap.Microseconds()}
	}
	agg := exec.NewHashAggregate(op, p.Keys, p.Aggs, p.AggOut)
	op = agg
	for _, s := range p.Post {
		op = &exec.StepOp{Child: op, Step: s}
	}
	if !session {
		// Keep the windows that start in the bucket (hopping windows of edge
		// events spill into neighbours, which compute them themselves).
		wsPred, err := timeRange(0, p.Out[0].Type, b0, b1, "window_start")
		if err != nil {
			return nil, 0, err
		}
		op = &exec.StepOp{Child: op, Step: &exec.FilterStep{Pred: wsPred, Out: p.Out}}
	}
	// Rows clustered by the view's keys, then window: a query for one key
	// (a device's last hour) reads a page or two of each column, found
	// through the page index, instead of the whole file.
	var order []exec.SortKey
	for k := 2; k < len(p.Keys); k++ {
		for c := range p.Out {
			if p.OutKey(c) == k {
				order = append(order, exec.SortKey{Col: c})
				break
			}
		}
	}
	if len(order) > 0 {
		op = &exec.Sort{Child: op, Keys: append(order, exec.SortKey{Col: 0}), Limit: -1}
	}
	ec := exec.NewCtx()
	ec.Mem = exec.NewMemTracker(j.Memory)
	ctx = exec.WithExecCtx(ctx, ec)
	defer op.Close()
	path := filepath.Join(dir, fmt.Sprintf("bucket-%d.parquet", b0))
	var w *ParquetFile
	var rows int64
	minEnd, maxEnd := int64(math.MaxInt64), int64(math.MinInt64)
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			if w != nil {
				w.Abort()
			}
			return nil, in.n, err
		}
		if w == nil {
			if w, err = CreateParquetFile(path, p.Out, WriteOptions{Compression: "snappy", PageBufferBytes: batchPageBytes, NoDictionary: true}); err != nil {
				rec.Release()
				return nil, in.n, err
			}
		}
		we := rec.Column(1)
		minEnd = min(minEnd, exec.MinTimeOf(we))
		maxEnd = max(maxEnd, exec.MaxTimeOf(we))
		rows += rec.NumRows()
		err = w.Write(rec)
		rec.Release()
		if err != nil {
			w.Abort()
			return nil, in.n, err
		}
	}
	if w == nil {
		return nil, in.n, nil
	}
	if _, err := w.Commit(); err != nil {
		return nil, in.n, err
	}
	rel, _ := filepath.Rel(j.DataDir, path)
	return &catalog.BatchFile{Path: rel, Rows: rows, Bucket: b0, MinEnd: minEnd, MaxEnd: maxEnd}, in.n, nil
}

// timeRange builds "col >= lo AND col < hi" over a timestamp column.
// countStep counts the rows whose event time is below a bound and passes
// every row on.
type countStep struct {
	col   int
	below int64
	n     int64
	out   exec.Schema
}

func (c *countStep) Apply(_ *exec.Ctx, rec arrow.Record) (arrow.Record, error) {
	ts, ok := rec.Column(c.col).(*array.Timestamp)
	if !ok || c.below == math.MaxInt64 {
		c.n += rec.NumRows()
	} else {
		for i, v := range ts.TimestampValues() {
			if int64(v) < c.below && ts.IsValid(i) {
				c.n++
			}
		}
	}
	rec.Retain()
	return rec, nil
}

func (c *countStep) Schema() exec.Schema { return c.out }
func (c *countStep) String() string      { return "Count" }

func timeRange(col int, t *types.T, lo, hi int64, name string) (exec.Expr, error) {
	ge, _, err := exec.Resolve(">=", []*types.T{t, t})
	if err != nil {
		return nil, err
	}
	lt, _, err := exec.Resolve("<", []*types.T{t, t})
	if err != nil {
		return nil, err
	}
	c := &exec.ColRef{Idx: col, T: t, Name: name}
	return &exec.BoolOp{And: true, Args: []exec.Expr{
		exec.NewCall(ge, []exec.Expr{c, &exec.Const{Value: types.TimestampD(lo), T: t}}),
		exec.NewCall(lt, []exec.Expr{c, &exec.Const{Value: types.TimestampD(hi), T: t}}),
	}}, nil
}

// BatchTable is a published batch version as a table: its files, pruned
// by window_end ranges.
func BatchTable(dataDir string, v *catalog.BatchVersion, out exec.Schema) *FileTable {
	t := &FileTable{Name: fmt.Sprintf("batch(%s v%d)", v.View, v.Version), DataDir: dataDir, Cols: out, TimeCol: 1}
	for _, f := range v.Files {
		t.Files = append(t.Files, TimedFile{Path: f.Path, MinTime: f.MinEnd, MaxTime: f.MaxEnd, Rows: f.Rows})
	}
	return t
}

// Versions tracks which batch versions running queries read, and deletes
// a superseded version's files once no query reads it.
type Versions struct {
	mu      sync.Mutex
	readers map[string]map[int64]int // view → version → readers
	garbage []garbageFiles
	log     *slog.Logger
}

type garbageFiles struct {
	view    string
	version int64 // files may be deleted when no reader holds a version ≤ this
	paths   []string
	after   time.Time // … and not before this (a reader may be between reading the catalog and Acquire)
}

// NewVersions returns an empty registry.
func NewVersions(log *slog.Logger) *Versions {
	return &Versions{readers: map[string]map[int64]int{}, log: log}
}

// Acquire marks a version as read until release is called.
func (v *Versions) Acquire(view string, version int64) (release func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := v.readers[view]
	if m == nil {
		m = map[int64]int{}
		v.readers[view] = m
	}
	m[version]++
	var once sync.Once
	return func() {
		once.Do(func() {
			v.mu.Lock()
			defer v.mu.Unlock()
			m[version]--
			if m[version] <= 0 {
				delete(m, version)
			}
			v.collect(view)
		})
	}
}

// Published records that nv replaced old: old's files that nv does not
// keep become garbage.
func (v *Versions) Published(dataDir, view string, old, nv *catalog.BatchVersion) {
	if old == nil {
		return
	}
	keep := map[string]bool{}
	for _, f := range nv.Files {
		keep[f.Path] = true
	}
	var paths []string
	for _, f := range old.Files {
		if !keep[f.Path] {
			paths = append(paths, filepath.Join(dataDir, f.Path))
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.garbage = append(v.garbage, garbageFiles{view: view, version: old.Version, paths: paths, after: time.Now().Add(30 * time.Second)})
	v.collect(view)
}

// collect deletes garbage no reader can still see. Called with v.mu held.
func (v *Versions) collect(view string) {
	oldest := int64(math.MaxInt64)
	for ver := range v.readers[view] {
		oldest = min(oldest, ver)
	}
	var rest []garbageFiles
	for _, g := range v.garbage {
		if g.view == view && g.version < oldest && time.Now().After(g.after) {
			for _, p := range g.paths {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && v.log != nil {
					v.log.Warn("cannot remove an old batch file", "file", p, "err", err)
				}
			}
			continue
		}
		rest = append(rest, g)
	}
	v.garbage = rest
}

// Collect deletes whatever garbage of view has become collectable.
func (v *Versions) Collect(view string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.collect(view)
}

// Drop forgets a view (its directory is removed by the caller).
func (v *Versions) Drop(view string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var rest []garbageFiles
	for _, g := range v.garbage {
		if g.view != view {
			rest = append(rest, g)
		}
	}
	v.garbage = rest
}

var _ arrow.Record
