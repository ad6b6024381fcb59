package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produce writes JSON events to a kfake topic.
func produce(t *testing.T, addrs []string, topic string, partition int32, msgs ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range msgs {
		r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(m)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKafkaSourceEndToEnd(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "telemetry"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addrs := cluster.ListenAddrs()
	dir := t.TempDir()
	s := startServer(t, dir)
	c := connect(t, s)
	ctx := context.Background()
	var good []string
	for i := 0; i < 40; i++ {
		good = append(good, fmt.Sprintf(`{"device_id":"d%d","event_timestamp":"2024-01-01T00:%02d:%02dZ","temperature":%d.5}`, i%4, i/10, i%60, 20+i%5))
	}
	bad := []string{`{"device_id":`, `{"device_id":"d1","event_timestamp":"2024-01-01T00:00:01Z","temperature":"hot"}`, `{"event_timestamp":"2024-01-01T00:00:01Z"}`}
	produce(t, addrs, "telemetry", 0, append(append([]string{}, good[:20]...), bad...)...)
	produce(t, addrs, "telemetry", 1, good[20:]...)
	_, err = c.Exec(ctx, fmt.Sprintf(`CREATE SOURCE telemetry (device_id TEXT NOT NULL, event_timestamp TIMESTAMPTZ NOT NULL, temperature DOUBLE PRECISION)
		WITH (connector = 'kafka', brokers = '%s', topic = 'telemetry', format = 'json', event_time = 'event_timestamp', lateness = '1m', capture_interval = '200ms')`, addrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `CREATE VIEW m WITH (window = '1m') AS SELECT device_id, count(*) AS n FROM telemetry GROUP BY device_id`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var n, rejected int64
	for time.Now().Before(deadline) {
		c.QueryRow(ctx, "SELECT count(*) FROM telemetry").Scan(&n)
		c.QueryRow(ctx, "SELECT count(*) FROM lambda_rejected WHERE source = 'telemetry'").Scan(&rejected)
		if n == 40 && rejected == 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 40 || rejected != 3 {
		rows, _ := c.Query(ctx, "SELECT partition, \"offset\", left(payload, 40), error FROM lambda_rejected")
		for rows.Next() {
			v, _ := rows.Values()
			t.Log(v...)
		}
		rows.Close()
		rows, _ = c.Query(ctx, "SELECT device_id, event_timestamp, _layer FROM telemetry ORDER BY event_timestamp")
		for rows.Next() {
			v, _ := rows.Values()
			t.Log(v...)
		}
		rows.Close()
		t.Fatalf("source has %d rows (want 40), %d rejected (want 3)", n, rejected)
	}
	var total int64
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.QueryRow(ctx, "SELECT coalesce(sum(n), 0) FROM m").Scan(&total)
		if total == 40 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if total != 40 {
		rows, _ := c.Query(ctx, "SELECT window_start, device_id, n, _layer FROM m ORDER BY 1, 2")
		for rows.Next() {
			v, _ := rows.Values()
			t.Log(v...)
		}
		rows.Close()
		rows, _ = c.Query(ctx, "SELECT batch_watermark, stream_watermark, speed_windows, late_events, status FROM lambda_views")
		for rows.Next() {
			v, _ := rows.Values()
			t.Log(v...)
		}
		rows.Close()
		t.Fatalf("view counts %d events, want 40", total)
	}
	// lambda_sources counts what the Kafka source accepted and rejected.
	var events, srcRejected int64
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.QueryRow(ctx, "SELECT events, rejected FROM lambda_sources WHERE name = 'telemetry'").Scan(&events, &srcRejected)
		if events == 40 && srcRejected == 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if events != 40 || srcRejected != 3 {
		t.Fatalf("lambda_sources: %d events, %d rejected; want 40 and 3", events, srcRejected)
	}
	var reason string
	if err := c.QueryRow(ctx, "SELECT error FROM lambda_rejected WHERE payload LIKE '%hot%'").Scan(&reason); err != nil || reason == "" {
		t.Fatalf("rejected reason: %q %v", reason, err)
	}
	// A restart resumes from the stored offsets: nothing lost or doubled.
	if _, err := c.Exec(ctx, "REFRESH VIEW m"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	s.Close()
	produce(t, addrs, "telemetry", 1, `{"device_id":"d9","event_timestamp":"2024-01-01T00:09:00Z","temperature":1}`)
	s2 := startServer(t, dir)
	c2 := connect(t, s2)
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c2.QueryRow(ctx, "SELECT count(*) FROM telemetry").Scan(&n)
		if n == 41 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 41 {
		t.Fatalf("after restart the source has %d rows, want 41", n)
	}
	var distinct int64
	c2.QueryRow(ctx, "SELECT count(*) FROM (SELECT DISTINCT device_id, event_timestamp FROM telemetry) x").Scan(&distinct)
	if distinct != 41 {
		t.Fatalf("duplicates after restart: %d distinct of %d", distinct, n)
	}
}
