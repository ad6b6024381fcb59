package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/batch"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

// genFiles is the number of Parquet files of the engine data set. File k
// holds days daysPerFile*k … daysPerFile*k+daysPerFile-1, sorted by
// event_timestamp, so row-group statistics prune a one-day query to one
// file.
const (
	genFiles    = 10
	daysPerFile = 3
	// genVersion changes whenever the generator's output changes, which
	// invalidates cached data sets.
	genVersion = 1
	// genSeed seeds the engine data set.
	genSeed = 0x1a3bda5d
	// genMetaFile records what a data directory holds.
	genMetaFile = "lambdabench.json"
	// genRecordRows is the rows of one Arrow record handed to the writer.
	genRecordRows = 64 << 10
)

// genSchema is the engine data set's schema.
var genSchema = exec.Schema{
	{Name: "device_id", Type: types.Text},
	{Name: "event_timestamp", Type: types.TimestampTZ},
	{Name: "temperature", Type: types.Float8},
	{Name: "energy_consumed", Type: types.Float8},
	{Name: "user_id", Type: types.Text},
	{Name: "event_type", Type: types.Text},
	{Name: "session_duration", Type: types.Int4},
	{Name: "revenue", Type: types.Float8},
	{Name: "event_date", Type: types.Date},
}

// genMeta is the content of genMetaFile.
type genMeta struct {
	Version int   `json:"version"`
	Rows    int64 `json:"rows"`
	Files   int   `json:"files"`
	Seed    int64 `json:"seed"`
}

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	rows := fs.Int64("rows", 10_000_000, "rows to generate (split over 10 files)")
	out := fs.String("out", "testdata/bench", "output directory")
	force := fs.Bool("force", false, "regenerate even when a matching data set exists")
	fs.Parse(args)
	if *rows < genFiles {
		return fmt.Errorf("--rows must be at least %d", genFiles)
	}
	start := time.Now()
	made, err := ensureDataset(*out, *rows, *force)
	if err != nil {
		return err
	}
	if made {
		fmt.Printf("generated %d rows in %d files under %s in %.1f s\n", *rows, genFiles, *out, time.Since(start).Seconds())
	} else {
		fmt.Printf("data set of %d rows under %s is up to date (cached)\n", *rows, *out)
	}
	return nil
}

// genPaths returns the file names of the data set under dir.
func genPaths(dir string) []string {
	paths := make([]string, genFiles)
	for k := range paths {
		paths[k] = filepath.Join(dir, fmt.Sprintf("telemetry-%02d.parquet", k))
	}
	return paths
}

// ensureDataset makes sure dir holds the data set of rows rows and
// reports whether it had to be generated. A data set is reused when the
// meta file matches and the files' footers hold the right row counts.
func ensureDataset(dir string, rows int64, force bool) (bool, error) {
	if !force {
		if ok, err := datasetValid(dir, rows); err != nil {
			return false, err
		} else if ok {
			return false, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	os.Remove(filepath.Join(dir, genMetaFile))
	paths := genPaths(dir)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if err := writeGenFile(paths[k], k, rows); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for k := range paths {
		next <- k
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	meta, _ := json.Marshal(genMeta{Version: genVersion, Rows: rows, Files: genFiles, Seed: genSeed})
	return true, os.WriteFile(filepath.Join(dir, genMetaFile), append(meta, '\n'), 0o644)
}

// datasetValid reports whether dir holds the current generator's data set
// of rows rows.
func datasetValid(dir string, rows int64) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, genMetaFile))
	if err != nil {
		return false, nil
	}
	var m genMeta
	if json.Unmarshal(b, &m) != nil || m.Version != genVersion || m.Rows != rows || m.Files != genFiles || m.Seed != genSeed {
		return false, nil
	}
	paths := genPaths(dir)
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false, nil
		}
	}
	t, err := batch.OpenParquet(paths)
	if err != nil {
		return false, nil
	}
	tasks, err := t.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0}})
	if err != nil {
		return false, err
	}
	var n int64
	for _, task := range tasks {
		n += task.Rows()
	}
	return n == rows, nil
}

// fileRows returns the first row and the row count of file k of a data
// set of rows rows.
func fileRows(k int, rows int64) (first, n int64) {
	per := rows / genFiles
	extra := rows % genFiles
	first = int64(k)*per + min(int64(k), extra)
	n = per
	if int64(k) < extra {
		n++
	}
	return first, n
}

// genTimestamp returns the event time of row i (0-based within file k of
// n rows): evenly spread over the file's days, ascending.
func genTimestamp(k int, i, n int64) int64 {
	span := int64(daysPerFile) * 86400 * 1e6
	start := epoch.UnixMicro() + int64(k)*span
	// i*span can pass 2^63 only for absurd row counts; split the product.
	return start + (i/n)*span + (i%n)*span/n
}

// writeGenFile writes file k of the data set.
func writeGenFile(path string, k int, rows int64) error {
	first, n := fileRows(k, rows)
	w, err := batch.CreateParquetFile(path, genSchema, batch.WriteOptions{Compression: "snappy", RowGroupRows: 1 << 20})
	if err != nil {
		return err
	}
	alloc := memory.NewGoAllocator()
	b := newGenBuilder(alloc, genSchema)
	defer b.release()
	var buf []byte
	for lo := int64(0); lo < n; lo += genRecordRows {
		hi := min(lo+genRecordRows, n)
		b.reserve(int(hi - lo))
		for i := lo; i < hi; i++ {
			ev := makeEvent(genSeed, first+i, genTimestamp(k, i, n))
			buf = b.append(buf, &ev)
		}
		rec := b.record()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			w.Abort()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if _, err := w.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// genBuilder builds Arrow records of genSchema, or of its first eight
// columns (the telemetry source's, without event_date).
type genBuilder struct {
	rb   *array.RecordBuilder
	date bool
}

func newGenBuilder(alloc memory.Allocator, schema exec.Schema) *genBuilder {
	return &genBuilder{rb: array.NewRecordBuilder(alloc, schema.Arrow()), date: len(schema) > 8}
}

func (g *genBuilder) reserve(n int) { g.rb.Reserve(n) }

// append adds ev; buf is scratch space for the string columns and is
// returned for reuse.
func (g *genBuilder) append(buf []byte, ev *event) []byte {
	f := g.rb.Fields()
	buf = appendDeviceID(buf[:0], ev.device)
	f[0].(*array.StringBuilder).BinaryBuilder.Append(buf)
	f[1].(*array.TimestampBuilder).Append(arrow.Timestamp(ev.tsMicros))
	f[2].(*array.Float64Builder).Append(ev.temperature)
	f[3].(*array.Float64Builder).Append(ev.energy)
	buf = appendUserID(buf[:0], ev.user)
	f[4].(*array.StringBuilder).BinaryBuilder.Append(buf)
	f[5].(*array.StringBuilder).Append(eventTypes[ev.typ])
	if ev.hasSession {
		f[6].(*array.Int32Builder).Append(ev.session)
	} else {
		f[6].AppendNull()
	}
	if ev.hasRevenue {
		f[7].(*array.Float64Builder).Append(ev.revenue)
	} else {
		f[7].AppendNull()
	}
	if g.date {
		f[8].(*array.Date32Builder).Append(arrow.Date32(floorDiv(ev.tsMicros, 86400*1e6)))
	}
	return buf
}

func (g *genBuilder) record() arrow.Record { return g.rb.NewRecord() }

func (g *genBuilder) release() { g.rb.Release() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
