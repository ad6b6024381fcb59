package stream

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

const testTopic = "telemetry"

// telemetrySchema is the seeds' telemetry source.
func telemetrySchema() (exec.Schema, []bool) {
	return exec.Schema{
		{Name: "device_id", Type: types.Text},
		{Name: "event_timestamp", Type: types.TimestampTZ},
		{Name: "temperature", Type: types.Float8},
		{Name: "energy_consumed", Type: types.Float8},
		{Name: "user_id", Type: types.Text},
		{Name: "event_type", Type: types.Text},
	}, []bool{true, true, false, false, false, false}
}

// telemetryBase is the event time of event 0: 2024-05-01 12:00:00 UTC.
const telemetryBase = 1714564800

// telemetryEvent is event i of the benchmark stream: ~235 bytes of JSON,
// one event per second from telemetryBase, with fields lambdasql ignores.
func telemetryEvent(i int) []byte {
	return fmt.Appendf(nil, `{"device_id":"device-%05d","event_timestamp":"2024-05-01T%02d:%02d:%02d.%06dZ","temperature":%.4f,"energy_consumed":%.6f,"user_id":"user-%06d","event_type":"%s","firmware":"v2.3.1","location":{"site":"plant-%d","zone":"B"}}`,
		i%1000, 12+i/3600%12, i/60%60, i%60, (i*7919)%1000000, 15+float64(i%2000)/100, float64(i%997)/1000, i%50000,
		[]string{"temperature_reading", "energy_reading", "status_update"}[i%3], i%9)
}

func testLogger() *slog.Logger {
	if os.Getenv("LAMBDASQL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newCluster starts a one-broker kfake cluster with the 3-partition
// telemetry topic, closed when the test ends.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(3, testTopic)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// produce writes values to partition p of the topic and waits for the
// acknowledgements.
func produce(t testing.TB, addrs []string, p int32, values [][]byte, opts ...kgo.Opt) {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(testTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(4 << 20)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("kgo: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Value: v, Partition: p}
	}
	const chunk = 10000
	for i := 0; i < len(recs); i += chunk {
		if err := cl.ProduceSync(ctx, recs[i:min(i+chunk, len(recs))]...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

func telemetryConfig(addrs []string) KafkaConfig {
	schema, notNull := telemetrySchema()
	return KafkaConfig{
		Brokers:   addrs,
		Topic:     testTopic,
		Schema:    schema,
		NotNull:   notNull,
		EventTime: 1,
		Logger:    testLogger(),
	}
}

func openLog(t testing.TB, cfg KafkaConfig) *KafkaLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := NewKafkaLog(ctx, cfg)
	if err != nil {
		t.Fatalf("NewKafkaLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// readTo reads partition p from offset from until offset end, checking
// that entries follow one another, and returns them.
func readTo(t testing.TB, l Log, p int, from, end int64, maxRows int) []Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []Entry
	for from < end {
		es, err := l.Read(ctx, p, from, end, maxRows, true)
		if err != nil {
			t.Fatalf("read partition %d from %d: %v", p, from, err)
		}
		for _, e := range es {
			if e.Offset != from {
				t.Fatalf("entry starts at %d, want %d", e.Offset, from)
			}
			if e.Next <= e.Offset || e.Next > end {
				t.Fatalf("entry [%d, %d) outside [%d, %d)", e.Offset, e.Next, from, end)
			}
			from = e.Next
			out = append(out, e)
		}
	}
	return out
}

func releaseAll(es []Entry) {
	for i := range es {
		es[i].Release()
	}
}

// strCol returns column c of rec as strings ("<null>" for NULL).
func strCol(rec arrow.Record, c int) []string {
	a := rec.Column(c).(*array.String)
	out := make([]string, a.Len())
	for i := range out {
		if a.IsNull(i) {
			out[i] = "<null>"
		} else {
			out[i] = a.Value(i)
		}
	}
	return out
}

// rowsOf lists the user_id of every row of es (unique per telemetry
// event below 50000) with its offset.
func rowsOf(es []Entry) (ids []string, offsets []int64) {
	for _, e := range es {
		if e.Rec == nil {
			continue
		}
		ids = append(ids, strCol(e.Rec, 4)...)
		if e.Offsets != nil {
			offsets = append(offsets, e.Offsets...)
		} else {
			for i := range e.Rec.NumRows() {
				offsets = append(offsets, e.Offset+i)
			}
		}
	}
	return ids, offsets
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
