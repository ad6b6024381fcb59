package batch

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// telemetrySchema is the IoT telemetry of the seeds and PERF-NOTES.
var telemetrySchema = exec.Schema{
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

// writeTelemetry writes rows of generated telemetry to path (one row
// group, snappy), deterministic in seed.
func writeTelemetry(tb testing.TB, path string, rows int, seed uint64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 42))
	f, err := CreateParquetFile(path, telemetrySchema, WriteOptions{Compression: "snappy"})
	if err != nil {
		tb.Fatal(err)
	}
	events := []string{"view", "click", "purchase", "login", "logout"}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	b := array.NewRecordBuilder(memory.DefaultAllocator, telemetrySchema.Arrow())
	defer b.Release()
	const chunk = 65536
	for done := 0; done < rows; done += chunk {
		n := min(chunk, rows-done)
		for i := range n {
			us := start + int64(done+i)*40_000 + rng.Int64N(1_000_000)
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("device-%05d", rng.IntN(10_000)))
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(us))
			b.Field(2).(*array.Float64Builder).Append(15 + rng.Float64()*20)
			b.Field(3).(*array.Float64Builder).Append(rng.Float64() * 5)
			b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("user-%06d", rng.IntN(100_000)))
			b.Field(5).(*array.StringBuilder).Append(events[rng.IntN(len(events))])
			b.Field(6).(*array.Int32Builder).Append(int32(rng.IntN(3600)))
			if rng.IntN(10) == 0 {
				b.Field(7).AppendNull()
			} else {
				b.Field(7).(*array.Float64Builder).Append(rng.Float64() * 100)
			}
			b.Field(8).(*array.Date32Builder).Append(arrow.Date32(us / 86_400_000_000))
		}
		rec := b.NewRecord()
		err := f.Write(rec)
		rec.Release()
		if err != nil {
			f.Abort()
			tb.Fatal(err)
		}
	}
	if _, err := f.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// telemetryRow is the GenericReader projection of the benchmark columns.
type telemetryRow struct {
	DeviceID       *string  `parquet:"device_id,optional"`
	EventDate      *int32   `parquet:"event_date,optional,date"`
	Temperature    *float64 `parquet:"temperature,optional"`
	EnergyConsumed *float64 `parquet:"energy_consumed,optional"`
	UserID         *string  `parquet:"user_id,optional"`
}

// BenchmarkParquetScan reads device_id, event_date, temperature,
// energy_consumed and user_id of 2M telemetry rows (2 files of one
// 1M-row row group, snappy) on 2 goroutines: through ParquetTable (page
// decode into Arrow) and, as an in-run reference, parquet-go's row API.
func BenchmarkParquetScan(b *testing.B) {
	dir := b.TempDir()
	const perFile = 1_000_000
	var paths []string
	var size int64
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("telemetry-%d.parquet", i))
		writeTelemetry(b, p, perFile, uint64(i))
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
		paths = append(paths, p)
	}
	const rows = 2 * perFile
	cols := []int{0, 8, 2, 3, 4}

	b.Run("pages", func(b *testing.B) {
		tbl, err := OpenParquet(paths)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(size)
		start := time.Now()
		for b.Loop() {
			tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: cols})
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			err = runTasksConcurrently(context.Background(), tasks, 2, func(rec arrow.Record) { n += rec.NumRows() })
			if err != nil || n != rows {
				b.Fatalf("read %d rows: %v", n, err)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	})

	b.Run("GenericReader", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		start := time.Now()
		for b.Loop() {
			var wg sync.WaitGroup
			var mu sync.Mutex
			var total int64
			errs := make([]error, len(paths))
			for i, p := range paths {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := readGeneric(p)
					errs[i] = err
					mu.Lock()
					total += n
					mu.Unlock()
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
			if total != rows {
				b.Fatalf("read %d rows", total)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	})
}

func readGeneric(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := pq.NewGenericReader[telemetryRow](f)
	defer r.Close()
	buf := make([]telemetryRow, 8192)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
