package batch

import (
	"context"
	"errors"
	"fmt"
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
)

// Chunk is a run of log offsets of one partition, decoded: what capture
// reads. (The server adapts the stream package's log entries to it; batch
// never imports stream.)
type Chunk struct {
	Partition  int
	Offset     int64
	Next       int64
	Rec        arrow.Record // accepted rows (source columns); may be nil
	Rejected   []catalog.RejectedEvent
	AppendedAt int64 // µs
}

// CaptureInput is the log capture reads.
type CaptureInput interface {
	Partitions() int
	// Read returns chunks of partition p from offset from (non-blocking;
	// possibly none), up to about maxRows rows.
	Read(ctx context.Context, p int, from int64, maxRows int) ([]Chunk, error)
	// HighWater is the offset after the last acknowledged event of p.
	HighWater(ctx context.Context, p int) (int64, error)
}

// CaptureConfig configures a source's capture.
type CaptureConfig struct {
	DataDir     string
	Source      *catalog.Source
	Interval    time.Duration // close files at least this often (default 5m)
	MaxBytes    int64         // … or when this much is buffered (default 256 MiB)
	Compression string        // zstd (default) or snappy
	Lateness    time.Duration
	IdleTimeout time.Duration
	Logger      *slog.Logger
	// OnCommit is called after each manifest commit with the new marks
	// (the server truncates the embedded log and wakes batch jobs).
	OnCommit func(m *catalog.Manifest)
	// Start gives the first offset of each partition when the manifest
	// has no position for it yet (nil: 0).
	Start []int64
}

// Capture appends a source's accepted events to the immutable master
// dataset: Parquet files under master/<source>/event_date=…/hour=…/,
// written atomically (temp file, fsync, rename) and then recorded in the
// manifest together with the log offsets they cover, in one catalog step.
// After a crash, files that reached disk but not the manifest are deleted
// on restart and capture resumes from the manifest's offsets: every
// acknowledged event lands in the master dataset exactly once.
type Capture struct {
	cfg CaptureConfig
	cat *catalog.Catalog
	in  CaptureInput
	log *slog.Logger

	mu      sync.Mutex
	pos     []int64                // next offset to read, per partition
	clocks  []exec.PartitionClock  // event-time progress including buffered rows
	buf     map[string]*hourBuffer // "YYYY-MM-DD/HH" → rows
	bytes   int64
	started time.Time // when the oldest buffered row arrived
	flushes chan chan error
	stopped chan struct{}
	status  string
	lastErr error
	pending []catalog.RejectedEvent
}

type hourBuffer struct {
	date string
	hour int
	recs []arrow.Record
	min  int64
	max  int64
	rows int64
}

// NewCapture prepares the capture of a source, removing files a crash left
// outside the manifest.
func NewCapture(cat *catalog.Catalog, in CaptureInput, cfg CaptureConfig) (*Capture, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Minute
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 256 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Capture{cfg: cfg, cat: cat, in: in, log: cfg.Logger, buf: map[string]*hourBuffer{},
		flushes: make(chan chan error, 16), stopped: make(chan struct{}), status: "starting"}
	parts := in.Partitions()
	m := cat.Snapshot().Manifests[cfg.Source.Name]
	c.pos = make([]int64, parts)
	c.clocks = make([]exec.PartitionClock, parts)
	for p := range c.clocks {
		c.clocks[p] = exec.PartitionClock{MaxTime: exec.NoTime}
	}
	for p := 0; p < parts && p < len(cfg.Start); p++ {
		c.pos[p] = cfg.Start[p]
	}
	if m != nil {
		for p := 0; p < parts && p < len(m.Marks); p++ {
			c.pos[p] = m.Marks[p].Offset
			c.clocks[p] = exec.PartitionClock{MaxTime: m.Marks[p].MaxTime, LastAt: m.Marks[p].LastAt}
		}
	}
	if err := c.removeOrphans(m); err != nil {
		return nil, err
	}
	return c, nil
}

// MasterDir returns the directory of a source's master dataset.
func MasterDir(dataDir, source string) string { return filepath.Join(dataDir, "master", source) }

// removeOrphans deletes Parquet and temp files under the source's master
// directory that the manifest does not list.
func (c *Capture) removeOrphans(m *catalog.Manifest) error {
	known := map[string]bool{}
	if m != nil {
		for _, f := range m.Files {
			known[filepath.Clean(f.Path)] = true
		}
	}
	root := MasterDir(c.cfg.DataDir, c.cfg.Source.Name)
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(c.cfg.DataDir, path)
		if !known[filepath.Clean(rel)] {
			c.log.Info("removing file not in the manifest", "source", c.cfg.Source.Name, "file", rel)
			return os.Remove(path)
		}
		return nil
	})
}

// Status returns the capture state for lambda_sources.
func (c *Capture) Status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// StartOffsets returns where capture began reading each partition before
// anything was committed.
func (c *Capture) StartOffsets() []int64 {
	out := make([]int64, len(c.pos))
	copy(out, c.cfg.Start)
	return out
}

// Positions returns the next offset capture will read per partition
// (including buffered, not yet committed, rows).
func (c *Capture) Positions() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64{}, c.pos...)
}

// Run captures until ctx ends; it flushes what it buffered on the way out.
func (c *Capture) Run(ctx context.Context) {
	defer close(c.stopped)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	backoff := 100 * time.Millisecond
	for {
		var waiter chan error
		select {
		case <-ctx.Done():
			err := c.flush(context.Background())
			if err != nil {
				c.log.Error("final capture flush failed", "source", c.cfg.Source.Name, "err", err)
			}
			c.drainWaiters(ctx.Err())
			return
		case waiter = <-c.flushes:
		case <-tick.C:
		}
		err := c.poll(ctx, waiter != nil)
		if err == nil && (waiter != nil || c.due()) {
			err = c.flush(ctx)
		}
		if waiter != nil {
			waiter <- err
			// Serve every other waiter with the same flush.
		more:
			for {
				select {
				case w := <-c.flushes:
					w <- err
				default:
					break more
				}
			}
		}
		c.mu.Lock()
		if err != nil {
			c.status = "error: " + err.Error()
			c.lastErr = err
		} else {
			c.status = "ok"
			c.lastErr = nil
		}
		c.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			c.log.Warn("capture failed; retrying", "source", c.cfg.Source.Name, "err", err, "backoff", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
	}
}

func (c *Capture) drainWaiters(err error) {
	for {
		select {
		case w := <-c.flushes:
			w <- err
		default:
			return
		}
	}
}

// Flush captures every event acknowledged before the call and commits it
// to the manifest; it returns when the commit is durable.
func (c *Capture) Flush(ctx context.Context) error {
	w := make(chan error, 1)
	select {
	case c.flushes <- w:
	case <-c.stopped:
		return sqlstate.New(sqlstate.AdminShutdown, "capture of %q is stopped", c.cfg.Source.Name)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-w:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// due reports whether the buffer should be written now.
func (c *Capture) due() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) == 0 && len(c.pending) == 0 {
		return false
	}
	return c.bytes >= c.cfg.MaxBytes || time.Since(c.started) >= c.cfg.Interval
}

// poll reads what the log has beyond the read positions (all of it up to
// the high water when full is set).
func (c *Capture) poll(ctx context.Context, full bool) error {
	for p := 0; p < len(c.pos); p++ {
		hw := int64(-1)
		if full {
			var err error
			if hw, err = c.in.HighWater(ctx, p); err != nil {
				return err
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for rounds := 0; rounds < 1<<20; rounds++ {
			chunks, err := c.in.Read(ctx, p, c.pos[p], 64*1024)
			if err != nil {
				return err
			}
			if len(chunks) == 0 {
				// A flush must reach the high water; a remote log may need
				// a moment to deliver what it acknowledged.
				if hw >= 0 && c.pos[p] < hw && time.Now().Before(deadline) {
					continue
				}
				break
			}
			for i := range chunks {
				c.add(chunks[i])
			}
			if !full && c.bytesNow() >= c.cfg.MaxBytes {
				break
			}
			if hw >= 0 && c.pos[p] >= hw {
				break
			}
		}
	}
	return nil
}

func (c *Capture) bytesNow() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// add buffers one chunk by event date and hour.
func (c *Capture) add(ch Chunk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) == 0 && len(c.pending) == 0 {
		c.started = time.Now()
	}
	c.pending = append(c.pending, ch.Rejected...)
	if ch.Next > c.pos[ch.Partition] {
		c.pos[ch.Partition] = ch.Next
	}
	rec := ch.Rec
	if rec == nil || rec.NumRows() == 0 {
		if rec != nil {
			rec.Release()
		}
		return
	}
	et := rec.Column(c.cfg.Source.ColumnIndex(c.cfg.Source.EventTime))
	clock := &c.clocks[ch.Partition]
	if mt := exec.MaxTimeOf(et); mt > clock.MaxTime {
		clock.MaxTime = mt
	}
	if ch.AppendedAt > clock.LastAt {
		clock.LastAt = ch.AppendedAt
	}
	// Split the rows by hour.
	n := int(rec.NumRows())
	hours := map[int64][]int{}
	var order []int64
	tsArr, ok := et.(*array.Timestamp)
	if !ok {
		rec.Release()
		return
	}
	tsv := tsArr.TimestampValues()
	lastH, lastKnown := int64(0), false
	for i := 0; i < n; i++ {
		if tsArr.IsNull(i) {
			continue
		}
		h := exec.AlignDown(int64(tsv[i]), 3600_000000)
		if lastKnown && h == lastH {
			hours[h] = append(hours[h], i)
			continue
		}
		lastH, lastKnown = h, true
		if _, seen := hours[h]; !seen {
			order = append(order, h)
		}
		hours[h] = append(hours[h], i)
	}
	for _, h := range order {
		idx := hours[h]
		var part arrow.Record
		if len(idx) == n {
			rec.Retain()
			part = rec
		} else {
			part = exec.TakeRecord(rec, idx)
		}
		tm := time.UnixMicro(h).UTC()
		key := tm.Format("2006-01-02/15")
		b := c.buf[key]
		if b == nil {
			b = &hourBuffer{date: tm.Format("2006-01-02"), hour: tm.Hour(), min: math.MaxInt64, max: math.MinInt64}
			c.buf[key] = b
		}
		b.recs = append(b.recs, part)
		b.rows += part.NumRows()
		col := part.Column(c.cfg.Source.ColumnIndex(c.cfg.Source.EventTime))
		b.min = min(b.min, exec.MinTimeOf(col))
		b.max = max(b.max, exec.MaxTimeOf(col))
		c.bytes += exec.RecordSize(part)
	}
	rec.Release()
}

// flush writes the buffered hours as Parquet files and commits them with
// the read positions in one manifest step.
func (c *Capture) flush(ctx context.Context) error {
	c.mu.Lock()
	bufs := c.buf
	pos := append([]int64{}, c.pos...)
	clocks := append([]exec.PartitionClock{}, c.clocks...)
	rejected := c.pending
	c.mu.Unlock()
	snap := c.cat.Snapshot()
	m := snap.Manifests[c.cfg.Source.Name]
	committed := make([]int64, len(pos))
	if m != nil {
		for p := range committed {
			if p < len(m.Marks) {
				committed[p] = m.Marks[p].Offset
			}
		}
	}
	advanced := false
	for p := range pos {
		if pos[p] != committed[p] {
			advanced = true
		}
	}
	if !advanced && len(bufs) == 0 {
		return nil
	}
	stamp := time.Now().UnixNano()
	schema := sourceSchema(c.cfg.Source)
	keys := make([]string, 0, len(bufs))
	for k := range bufs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var files []catalog.MasterFile
	var written []string
	cleanup := func() {
		for _, w := range written {
			os.Remove(filepath.Join(c.cfg.DataDir, w))
		}
	}
	for i, k := range keys {
		b := bufs[k]
		rel := filepath.Join("master", c.cfg.Source.Name, "event_date="+b.date, fmt.Sprintf("hour=%02d", b.hour),
			fmt.Sprintf("part-%d-%03d.parquet", stamp, i))
		abs := filepath.Join(c.cfg.DataDir, rel)
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			cleanup()
			return sqlstate.Wrap(err, sqlstate.IOError)
		}
		st, err := WriteParquetFileAtomic(abs, schema, WriteOptions{Compression: c.cfg.Compression}, b.recs...)
		if err != nil {
			cleanup()
			return err
		}
		written = append(written, rel)
		from := make([]int64, len(pos))
		copy(from, committed)
		files = append(files, catalog.MasterFile{Path: rel, EventDate: b.date, Hour: b.hour, Rows: st.Rows, Bytes: st.Bytes,
			MinTime: b.min, MaxTime: b.max, From: from, To: append([]int64{}, pos...)})
	}
	var events []catalog.RejectedEvent
	for _, r := range rejected {
		r.Source = c.cfg.Source.Name
		events = append(events, r)
	}
	if err := c.cat.PutRejected(events); err != nil {
		cleanup()
		return err
	}
	var newManifest *catalog.Manifest
	err := c.cat.Update(func(tx *catalog.Tx) error {
		src, ok := tx.Sources[c.cfg.Source.Name]
		if !ok || src.OID != c.cfg.Source.OID {
			return sqlstate.New(sqlstate.UndefinedTable, "source %q was dropped", c.cfg.Source.Name)
		}
		old := tx.Manifests[c.cfg.Source.Name]
		nm := &catalog.Manifest{Source: c.cfg.Source.Name, Seq: 1}
		if old != nil {
			nm.Seq = old.Seq + 1
			nm.Files = append(nm.Files, old.Files...)
		}
		for _, f := range files {
			f.Seq = nm.Seq
			nm.Files = append(nm.Files, f)
		}
		for p := range pos {
			mk := catalog.PartitionMark{Offset: pos[p], MaxTime: clocks[p].MaxTime, LastAt: clocks[p].LastAt}
			if old != nil && p < len(old.Marks) {
				// A backfill may have advanced the clocks meanwhile.
				mk.MaxTime = max(mk.MaxTime, old.Marks[p].MaxTime)
				mk.LastAt = max(mk.LastAt, old.Marks[p].LastAt)
				clocks[p] = exec.PartitionClock{MaxTime: mk.MaxTime, LastAt: mk.LastAt}
			}
			nm.Marks = append(nm.Marks, mk)
		}
		nm.CommittedAt = time.Now().UnixMicro()
		wm, ok := exec.Watermark(clocks, c.cfg.Lateness, c.cfg.IdleTimeout, nm.CommittedAt)
		nm.Watermark, nm.WatermarkValid = wm, ok
		if old != nil && old.WatermarkValid && (!ok || old.Watermark > wm) {
			nm.Watermark, nm.WatermarkValid = old.Watermark, true // never backwards
		}
		tx.Manifests[c.cfg.Source.Name] = nm
		newManifest = nm
		return nil
	})
	if err != nil {
		cleanup()
		return err
	}
	// Committed: drop what was flushed from the buffer.
	c.mu.Lock()
	for _, k := range keys {
		if c.buf[k] == bufs[k] {
			for _, r := range c.buf[k].recs {
				r.Release()
			}
			delete(c.buf, k)
		}
	}
	c.pending = c.pending[len(rejected):]
	c.bytes = 0
	for _, b := range c.buf {
		for _, r := range b.recs {
			c.bytes += exec.RecordSize(r)
		}
	}
	c.started = time.Now()
	c.mu.Unlock()
	var rows int64
	for _, f := range files {
		rows += f.Rows
	}
	if len(files) > 0 || len(events) > 0 {
		c.log.Debug("captured", "source", c.cfg.Source.Name, "files", len(files), "rows", rows, "rejected", len(events), "seq", newManifest.Seq)
	}
	if c.cfg.OnCommit != nil {
		c.cfg.OnCommit(newManifest)
	}
	return nil
}

// sourceSchema is the Parquet schema of a source's master files.
func sourceSchema(src *catalog.Source) exec.Schema {
	s := make(exec.Schema, len(src.Columns))
	for i, c := range src.Columns {
		s[i] = exec.Column{Name: c.Name, Type: c.Type()}
	}
	return s
}

// SourceSchema is the schema of a source's rows (without _layer).
func SourceSchema(src *catalog.Source) exec.Schema { return sourceSchema(src) }
