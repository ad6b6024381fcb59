package batch

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Backfill imports history into a source's master dataset directly:
// records (of the source's schema, already validated) are split by event
// hour into Parquet files that are recorded in the manifest in one step at
// the end: all or nothing. The imported event times advance the source's
// clocks, so the batch watermark can cover the history.
type Backfill struct {
	cat     *catalog.Catalog
	dataDir string
	src     *catalog.Source
	schema  exec.Schema
	et      int
	stamp   int64
	open    map[int64]*backfillFile
	done    []catalog.MasterFile
	written []string
	rows    int64
	maxTime int64
	limit   int64 // rows per file
}

type backfillFile struct {
	hour     int64
	w        *ParquetFile
	rel      string
	rows     int64
	min, max int64
}

// NewBackfill starts a backfill of src.
func NewBackfill(cat *catalog.Catalog, dataDir string, src *catalog.Source) *Backfill {
	return &Backfill{cat: cat, dataDir: dataDir, src: src, schema: sourceSchema(src), et: src.ColumnIndex(src.EventTime),
		stamp: time.Now().UnixNano(), open: map[int64]*backfillFile{}, maxTime: math.MinInt64, limit: 4 << 20}
}

// Rows returns the rows added so far.
func (b *Backfill) Rows() int64 { return b.rows }

// Add appends validated rows.
func (b *Backfill) Add(rec arrow.Record) error {
	et, ok := rec.Column(b.et).(*array.Timestamp)
	if !ok {
		return sqlstate.New(sqlstate.InternalError, "backfill: event time is not a timestamp")
	}
	tv := et.TimestampValues()
	byHour := map[int64][]int{}
	var order []int64
	for i, t := range tv {
		h := exec.AlignDown(int64(t), 3600_000000)
		if _, ok := byHour[h]; !ok {
			order = append(order, h)
		}
		byHour[h] = append(byHour[h], i)
	}
	for _, h := range order {
		idx := byHour[h]
		part := rec
		if len(idx) != int(rec.NumRows()) {
			part = exec.TakeRecord(rec, idx)
		} else {
			rec.Retain()
		}
		err := b.write(h, part)
		part.Release()
		if err != nil {
			return err
		}
	}
	b.rows += rec.NumRows()
	return nil
}

func (b *Backfill) write(h int64, rec arrow.Record) error {
	f := b.open[h]
	if f == nil {
		tm := time.UnixMicro(h).UTC()
		rel := filepath.Join("master", b.src.Name, "event_date="+tm.Format("2006-01-02"), fmt.Sprintf("hour=%02d", tm.Hour()),
			fmt.Sprintf("backfill-%d-%d.parquet", b.stamp, len(b.done)+len(b.open)))
		abs := filepath.Join(b.dataDir, rel)
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return sqlstate.Wrap(err, sqlstate.IOError)
		}
		w, err := CreateParquetFile(abs, b.schema, WriteOptions{})
		if err != nil {
			return err
		}
		f = &backfillFile{hour: h, w: w, rel: rel, min: math.MaxInt64, max: math.MinInt64}
		b.open[h] = f
	}
	if err := f.w.Write(rec); err != nil {
		return err
	}
	col := rec.Column(b.et)
	f.min = min(f.min, exec.MinTimeOf(col))
	f.max = max(f.max, exec.MaxTimeOf(col))
	b.maxTime = max(b.maxTime, f.max)
	f.rows += rec.NumRows()
	if f.rows >= b.limit {
		return b.close(f)
	}
	return nil
}

func (b *Backfill) close(f *backfillFile) error {
	delete(b.open, f.hour)
	st, err := f.w.Commit()
	if err != nil {
		return err
	}
	b.written = append(b.written, f.rel)
	tm := time.UnixMicro(f.hour).UTC()
	b.done = append(b.done, catalog.MasterFile{Path: f.rel, EventDate: tm.Format("2006-01-02"), Hour: tm.Hour(),
		Rows: st.Rows, Bytes: st.Bytes, MinTime: f.min, MaxTime: f.max})
	return nil
}

// Abort discards everything written.
func (b *Backfill) Abort() {
	for _, f := range b.open {
		f.w.Abort()
	}
	b.open = nil
	for _, rel := range b.written {
		os.Remove(filepath.Join(b.dataDir, rel))
	}
}

// Commit records every file in the manifest in one step.
func (b *Backfill) Commit() error {
	hours := make([]int64, 0, len(b.open))
	for h := range b.open {
		hours = append(hours, h)
	}
	sort.Slice(hours, func(i, j int) bool { return hours[i] < hours[j] })
	for _, h := range hours {
		if err := b.close(b.open[h]); err != nil {
			b.Abort()
			return err
		}
	}
	if len(b.done) == 0 {
		return nil
	}
	err := b.cat.Update(func(tx *catalog.Tx) error {
		src, ok := tx.Sources[b.src.Name]
		if !ok || src.OID != b.src.OID {
			return sqlstate.New(sqlstate.UndefinedTable, "source %q was dropped", b.src.Name)
		}
		old := tx.Manifests[b.src.Name]
		nm := &catalog.Manifest{Source: b.src.Name, Seq: 1, CommittedAt: time.Now().UnixMicro()}
		if old != nil {
			cp := *old
			nm = &cp
			nm.Seq = old.Seq + 1
			nm.Files = append([]catalog.MasterFile{}, old.Files...)
			nm.Marks = append([]catalog.PartitionMark{}, old.Marks...)
			nm.CommittedAt = time.Now().UnixMicro()
		}
		for len(nm.Marks) < b.src.Partitions {
			nm.Marks = append(nm.Marks, catalog.PartitionMark{MaxTime: math.MinInt64})
		}
		for i := range nm.Marks {
			if b.maxTime > nm.Marks[i].MaxTime {
				nm.Marks[i].MaxTime = b.maxTime
			}
			nm.Marks[i].LastAt = max(nm.Marks[i].LastAt, nm.CommittedAt)
		}
		for _, f := range b.done {
			f.Seq = nm.Seq
			nm.Files = append(nm.Files, f)
		}
		tx.Manifests[b.src.Name] = nm
		return nil
	})
	if err != nil {
		b.Abort()
	}
	return err
}

// ConvertRecord casts rec's columns to the source schema by name: columns
// missing from rec are NULL. It fails with 42804 when a column cannot be
// converted.
func ConvertRecord(ec *exec.Ctx, rec arrow.Record, in exec.Schema, target exec.Schema) (arrow.Record, error) {
	pos := map[string]int{}
	for i, c := range in {
		pos[c.Name] = i
	}
	n := rec.NumRows()
	cols := make([]arrow.Array, len(target))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, tc := range target {
		j, ok := pos[tc.Name]
		if !ok {
			cols[i] = array.MakeArrayOfNull(exec.Alloc, tc.Type.Arrow(), int(n))
			continue
		}
		src := rec.Column(j)
		if types.Equal(in[j].Type, tc.Type) {
			src.Retain()
			cols[i] = src
			continue
		}
		cast, err := exec.NewCast(&exec.ColRef{Idx: j, T: in[j].Type, Name: tc.Name}, tc.Type)
		if err != nil {
			release()
			return nil, sqlstate.New(sqlstate.DatatypeMismatch, "column %q is %s in the file but %s in the source", tc.Name, in[j].Type.Name, tc.Type.Name)
		}
		a, err := exec.EvalArray(ec, cast, rec)
		if err != nil {
			release()
			return nil, err
		}
		cols[i] = a
	}
	out := array.NewRecord(target.Arrow(), cols, n)
	release()
	return out, nil
}

var _ = io.EOF
