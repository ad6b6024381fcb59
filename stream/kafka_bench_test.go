package stream

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkJSONDecode measures the decoder alone on 8192 telemetry events
// of ~235 bytes per op, one goroutine.
func BenchmarkJSONDecode(b *testing.B) {
	const n = 8192
	schema, notNull := telemetrySchema()
	d, err := NewJSONDecoder(schema, notNull, 1, nil, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Release()
	msgs := make([][]byte, n)
	offs := make([]int64, n)
	ats := make([]int64, n)
	size := 0
	for i := range msgs {
		msgs[i] = telemetryEvent(i)
		offs[i] = int64(i)
		ats[i] = 1
		size += len(msgs[i])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		rec, _, rej := d.Decode(msgs, offs, ats)
		if rec == nil || rec.NumRows() != n || len(rej) != 0 {
			b.Fatalf("decoded %v, rejected %v", rec, rej)
		}
		rec.Release()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// cpuTime is the CPU time the process used so far (user and system). On a
// shared, loaded machine wall-clock rates understate the code; rates per
// CPU-second do not depend on what else runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkKafkaJSON measures consumption end to end: a KafkaLog reading
// 200k pre-produced ~235-byte telemetry events from all 3 partitions of an
// in-process kfake broker (which shares the CPUs), decoding them into
// Arrow records, with 2 reader goroutines taking turns on the partitions.
// Each op reads everything from offset 0, starting fresh consumers.
func BenchmarkKafkaJSON(b *testing.B) {
	const events = 200_000
	c := newCluster(b)
	addrs := c.ListenAddrs()
	var per [3][][]byte
	for i := range events {
		per[i%3] = append(per[i%3], telemetryEvent(i))
	}
	for p := range per {
		produce(b, addrs, int32(p), per[p])
	}
	l := openLog(b, telemetryConfig(addrs))
	ctx := context.Background()
	var hw [3]int64
	for p := range hw {
		var err error
		if hw[p], err = l.HighWater(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	type task struct {
		p    int
		from int64
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		var rows atomic.Int64
		tasks := make(chan task, len(hw))
		var left sync.WaitGroup
		left.Add(len(hw))
		for p := range hw {
			tasks <- task{p, 0}
		}
		go func() {
			left.Wait()
			close(tasks)
		}()
		var workers sync.WaitGroup
		for range 2 {
			workers.Go(func() {
				for t := range tasks {
					es, err := l.Read(ctx, t.p, t.from, hw[t.p], 8192, true)
					if err != nil {
						b.Error(err)
						left.Done()
						continue
					}
					for i := range es {
						rows.Add(es[i].Rows())
						t.from = es[i].Next
						es[i].Release()
					}
					if t.from < hw[t.p] {
						tasks <- t
					} else {
						left.Done()
					}
				}
			})
		}
		workers.Wait()
		if rows.Load() != events {
			b.Fatalf("read %d rows, want %d", rows.Load(), events)
		}
	}
	perSec := float64(events) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(perSec/float64(min(runtime.GOMAXPROCS(0), runtime.NumCPU())), "events/s/core")
	// The broker's CPU is included: it runs in this process.
	b.ReportMetric(float64(events)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
}
