package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/cockroachdb/pebble/v2"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
)

// LogStore holds the embedded logs of every embedded source in one pebble
// database (data/log). pebble's write-ahead log makes an append durable
// before it is acknowledged, and its commit pipeline groups concurrent
// synced writes into one fsync (group commit).
type LogStore struct {
	db *pebble.DB
	mu sync.Mutex
	// logs by source OID
	logs map[uint32]*EmbeddedLog
}

// OpenLogStore opens the log store in dataDir.
func OpenLogStore(dataDir string) (*LogStore, error) {
	db, err := pebble.Open(filepath.Join(dataDir, "log"), &pebble.Options{Logger: quietLogger{}, MemTableSize: 64 << 20})
	if err != nil {
		return nil, sqlstate.Wrap(fmt.Errorf("open event log: %w", err), sqlstate.IOError)
	}
	return &LogStore{db: db, logs: map[uint32]*EmbeddedLog{}}, nil
}

// Close closes the store.
func (s *LogStore) Close() error { return s.db.Close() }

// DB exposes the store's database to sibling stores in this package
// (rejected events, run history) that want the same durability.
func (s *LogStore) DB() *pebble.DB { return s.db }

// Key layout: 'e' | source OID (4) | partition (2) | first offset (8).
func entryKey(oid uint32, p int, off int64) []byte {
	k := make([]byte, 15)
	k[0] = 'e'
	binary.BigEndian.PutUint32(k[1:], oid)
	binary.BigEndian.PutUint16(k[5:], uint16(p))
	binary.BigEndian.PutUint64(k[7:], uint64(off))
	return k
}

func entryOffset(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[7:15])) }

// Log opens (or returns the open) embedded log of a source.
func (s *LogStore) Log(oid uint32, name string, partitions int, schema exec.Schema) (*EmbeddedLog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.logs[oid]; ok {
		return l, nil
	}
	l := &EmbeddedLog{store: s, oid: oid, name: name, schema: schema, arrow: schema.Arrow()}
	for p := 0; p < partitions; p++ {
		ps := &partState{}
		ps.cond = sync.NewCond(&ps.mu)
		// The next offset follows the last entry.
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: entryKey(oid, p, 0), UpperBound: entryKey(oid, p, math.MaxInt64)})
		if err != nil {
			return nil, err
		}
		if it.Last() {
			off := entryOffset(it.Key())
			n, _, err := decodeHeader(it.Value())
			if err != nil {
				it.Close()
				return nil, err
			}
			ps.next = off + int64(n)
		}
		if it.First() {
			ps.low = entryOffset(it.Key())
		} else {
			ps.low = ps.next
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
		ps.committed = ps.next
		l.parts = append(l.parts, ps)
	}
	s.logs[oid] = l
	return l, nil
}

// Drop deletes a source's log.
func (s *LogStore) Drop(oid uint32) error {
	s.mu.Lock()
	if l, ok := s.logs[oid]; ok {
		l.Close()
		delete(s.logs, oid)
	}
	s.mu.Unlock()
	lo := []byte{'e', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(lo[1:], oid)
	hi := []byte{'e', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hi[1:], oid+1)
	return s.db.DeleteRange(lo, hi, pebble.Sync)
}

// EmbeddedLog is an embedded source's log: partitioned and
// offset-addressed like a Kafka topic. Each append stores one Arrow record
// of rows under the offset of its first row.
type EmbeddedLog struct {
	store  *LogStore
	oid    uint32
	name   string
	schema exec.Schema
	arrow  *arrow.Schema
	parts  []*partState
	rr     atomic.Uint64 // round-robin partition choice
	closed atomic.Bool
}

type partState struct {
	mu        sync.Mutex
	cond      *sync.Cond
	next      int64 // next offset to assign
	committed int64 // every offset below is durable and readable
	low       int64
	pending   []*pendingAppend
}

type pendingAppend struct {
	off, n int64
	done   bool
}

// Partitions implements Log.
func (l *EmbeddedLog) Partitions() int { return len(l.parts) }

// Schema implements Log.
func (l *EmbeddedLog) Schema() exec.Schema { return l.schema }

// Status implements Log.
func (l *EmbeddedLog) Status() string { return "ok" }

// EnsureNext raises partition p's next offset to at least off (the
// capture marks and speed positions persisted elsewhere), so offsets are
// never reused even if the log lost its tail entries.
func (l *EmbeddedLog) EnsureNext(p int, off int64) {
	ps := l.parts[p]
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if off > ps.next && len(ps.pending) == 0 {
		ps.next, ps.committed = off, off
		if ps.low < off {
			ps.low = off
		}
	}
}

// NextPartition picks a partition for the next statement's rows (round
// robin across statements, so one statement's rows stay together).
func (l *EmbeddedLog) NextPartition() int { return int(l.rr.Add(1)-1) % len(l.parts) }

// Append durably appends rec's rows to partition p and returns the offset
// of the first. When it returns without error the rows are on disk.
func (l *EmbeddedLog) Append(p int, rec arrow.Record) (int64, error) {
	if l.closed.Load() {
		return 0, sqlstate.New(sqlstate.AdminShutdown, "the event log is closed")
	}
	n := rec.NumRows()
	if n == 0 {
		return 0, nil
	}
	var buf bytes.Buffer
	var hdr [12]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(n))
	binary.LittleEndian.PutUint64(hdr[4:], uint64(time.Now().UnixMicro()))
	buf.Write(hdr[:])
	w := ipc.NewWriter(&buf, ipc.WithSchema(l.arrow))
	if err := w.Write(rec); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	ps := l.parts[p]
	ps.mu.Lock()
	pa := &pendingAppend{off: ps.next, n: n}
	ps.next += n
	ps.pending = append(ps.pending, pa)
	ps.mu.Unlock()
	err := l.store.db.Set(entryKey(l.oid, p, pa.off), buf.Bytes(), pebble.Sync)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err != nil {
		// The offsets stay unused: later appends keep their numbers, and
		// readers skip the gap (no entry covers it).
		pa.done = true
		l.advance(ps)
		return 0, sqlstate.Wrap(fmt.Errorf("append to the event log: %w", err), sqlstate.IOError)
	}
	pa.done = true
	l.advance(ps)
	return pa.off, nil
}

// advance moves committed over finished appends, in offset order.
func (l *EmbeddedLog) advance(ps *partState) {
	moved := false
	for len(ps.pending) > 0 && ps.pending[0].done {
		ps.committed = ps.pending[0].off + ps.pending[0].n
		ps.pending = ps.pending[1:]
		moved = true
	}
	if moved {
		ps.cond.Broadcast()
	}
}

// HighWater implements Log.
func (l *EmbeddedLog) HighWater(_ context.Context, p int) (int64, error) {
	ps := l.parts[p]
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.committed, nil
}

// LowWater implements Log.
func (l *EmbeddedLog) LowWater(_ context.Context, p int) (int64, error) {
	ps := l.parts[p]
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.low, nil
}

func decodeHeader(v []byte) (n uint32, at int64, err error) {
	if len(v) < 12 {
		return 0, 0, fmt.Errorf("event log entry is corrupt")
	}
	return binary.LittleEndian.Uint32(v[0:]), int64(binary.LittleEndian.Uint64(v[4:])), nil
}

// Read implements Log.
func (l *EmbeddedLog) Read(ctx context.Context, p int, from, until int64, maxRows int, wait bool) ([]Entry, error) {
	ps := l.parts[p]
	ps.mu.Lock()
	for wait && ps.committed <= from && !l.closed.Load() {
		if ctx.Err() != nil {
			ps.mu.Unlock()
			return nil, ctx.Err()
		}
		waitCond(ctx, ps.cond)
	}
	hw := ps.committed
	ps.mu.Unlock()
	if until > 0 && until < hw {
		hw = until
	}
	if from >= hw {
		return nil, ctx.Err()
	}
	it, err := l.store.db.NewIter(&pebble.IterOptions{LowerBound: entryKey(l.oid, p, 0), UpperBound: entryKey(l.oid, p, hw)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	// The entry covering from may start before it.
	if !it.SeekLT(entryKey(l.oid, p, from+1)) {
		it.First()
	}
	var out []Entry
	rows := 0
	for ; it.Valid(); it.Next() {
		off := entryOffset(it.Key())
		n, at, err := decodeHeader(it.Value())
		if err != nil {
			return out, err
		}
		next := off + int64(n)
		if next <= from {
			continue
		}
		rec, err := decodeIPC(it.Value()[12:])
		if err != nil {
			return out, fmt.Errorf("event log %s partition %d offset %d: %w", l.name, p, off, err)
		}
		start := off
		if from > off {
			// Start inside the entry.
			sl := rec.NewSlice(from-off, rec.NumRows())
			rec.Release()
			rec = sl
			start = from
		}
		if until > 0 && next > until {
			sl := rec.NewSlice(0, until-start)
			rec.Release()
			rec = sl
			next = until
		}
		out = append(out, Entry{Partition: p, Offset: start, Next: next, Rec: rec, AppendedAt: at})
		rows += int(rec.NumRows())
		if rows >= maxRows {
			break
		}
	}
	return out, nil
}

func decodeIPC(b []byte) (arrow.Record, error) {
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	if !r.Next() {
		if r.Err() != nil {
			return nil, r.Err()
		}
		return nil, fmt.Errorf("empty entry")
	}
	rec := r.Record()
	rec.Retain()
	return rec, nil
}

// waitCond waits on c (whose lock is held) until a broadcast or ctx ends.
func waitCond(ctx context.Context, c *sync.Cond) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.L.Lock()
		c.Broadcast()
		c.L.Unlock()
	})
	go func() {
		select {
		case <-done:
		case <-time.After(500 * time.Millisecond):
			c.L.Lock()
			c.Broadcast()
			c.L.Unlock()
		}
	}()
	c.Wait()
	close(done)
	stop()
}

// Truncate implements Truncater.
func (l *EmbeddedLog) Truncate(p int, before int64) error {
	ps := l.parts[p]
	ps.mu.Lock()
	low := ps.low
	ps.mu.Unlock()
	if before <= low {
		return nil
	}
	// Delete whole entries ending at or before `before`.
	it, err := l.store.db.NewIter(&pebble.IterOptions{LowerBound: entryKey(l.oid, p, 0), UpperBound: entryKey(l.oid, p, math.MaxInt64)})
	if err != nil {
		return err
	}
	end := int64(-1)
	if it.SeekLT(entryKey(l.oid, p, before+1)) {
		off := entryOffset(it.Key())
		n, _, _ := decodeHeader(it.Value())
		if off+int64(n) <= before {
			end = off + 1 // this entry too
		} else {
			end = off
		}
		// Never delete the newest entry: the next offset after a restart
		// is derived from it, and offsets must never be reused.
		if it.Last() && entryOffset(it.Key()) < end {
			end = entryOffset(it.Key())
		}
	}
	it.Close()
	if end <= 0 {
		return nil
	}
	if err := l.store.db.DeleteRange(entryKey(l.oid, p, 0), entryKey(l.oid, p, end), pebble.NoSync); err != nil {
		return err
	}
	ps.mu.Lock()
	if before > ps.low {
		ps.low = min(before, ps.committed)
	}
	ps.mu.Unlock()
	return nil
}

// Close implements Log: waiting readers return.
func (l *EmbeddedLog) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	for _, ps := range l.parts {
		ps.mu.Lock()
		ps.cond.Broadcast()
		ps.mu.Unlock()
	}
	return nil
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

var (
	_ Log       = (*EmbeddedLog)(nil)
	_ Truncater = (*EmbeddedLog)(nil)
)

// ipcSize estimates the bytes of rec's Arrow IPC encoding: its buffers
// plus room for the message framing.
func ipcSize(rec arrow.Record) int {
	n := 1024
	for _, c := range rec.Columns() {
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				n += buf.Len() + 8
			}
		}
	}
	return n
}

// AppendMany durably appends several records to partition p in one atomic
// write: either all of them are in the log or none. It returns the offset
// of the first row.
func (l *EmbeddedLog) AppendMany(p int, recs []arrow.Record) (int64, error) {
	if l.closed.Load() {
		return 0, sqlstate.New(sqlstate.AdminShutdown, "the event log is closed")
	}
	var total int64
	for _, r := range recs {
		total += r.NumRows()
	}
	if total == 0 {
		return 0, nil
	}
	ps := l.parts[p]
	ps.mu.Lock()
	pa := &pendingAppend{off: ps.next, n: total}
	ps.next += total
	ps.pending = append(ps.pending, pa)
	ps.mu.Unlock()
	// Size the batch (and the encode buffer) from the records' buffers:
	// growing a large batch copies it over and over.
	size, maxRec := 0, 0
	for _, rec := range recs {
		n := ipcSize(rec)
		size += n + 64
		maxRec = max(maxRec, n)
	}
	// (Slices of large arrays overstate it: cap the guess.)
	b := l.store.db.NewBatchWithSize(min(size, 256<<20))
	now := uint64(time.Now().UnixMicro())
	off := pa.off
	var err error
	var buf bytes.Buffer
	buf.Grow(min(maxRec, 64<<20))
	for _, rec := range recs {
		n := rec.NumRows()
		if n == 0 {
			continue
		}
		buf.Reset()
		var hdr [12]byte
		binary.LittleEndian.PutUint32(hdr[0:], uint32(n))
		binary.LittleEndian.PutUint64(hdr[4:], now)
		buf.Write(hdr[:])
		w := ipc.NewWriter(&buf, ipc.WithSchema(l.arrow))
		if err = w.Write(rec); err != nil {
			break
		}
		if err = w.Close(); err != nil {
			break
		}
		if err = b.Set(entryKey(l.oid, p, off), buf.Bytes(), nil); err != nil {
			break
		}
		off += n
	}
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	b.Close()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	pa.done = true
	l.advance(ps)
	if err != nil {
		return 0, sqlstate.Wrap(fmt.Errorf("append to the event log: %w", err), sqlstate.IOError)
	}
	return pa.off, nil
}
