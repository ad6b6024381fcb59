package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func events(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, telemetryEvent(i))
	}
	return out
}

func userIDs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("user-%06d", i%50000))
	}
	return out
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestKafkaReadEarliest(t *testing.T) {
	c := newCluster(t)
	addrs := c.ListenAddrs()
	counts := []int{100, 50, 10}
	first := []int{0, 100, 150}
	for p, n := range counts {
		produce(t, addrs, int32(p), events(first[p], first[p]+n))
	}
	l := openLog(t, telemetryConfig(addrs))
	if l.Partitions() != 3 {
		t.Fatalf("partitions = %d, want 3", l.Partitions())
	}
	ctx := context.Background()
	for p, n := range counts {
		hw, err := l.HighWater(ctx, p)
		if err != nil || hw != int64(n) {
			t.Fatalf("partition %d high water = %d, %v; want %d", p, hw, err, n)
		}
		lw, err := l.LowWater(ctx, p)
		if err != nil || lw != 0 {
			t.Fatalf("partition %d low water = %d, %v; want 0", p, lw, err)
		}
		// -1 starts at the earliest offset.
		es, err := l.Read(ctx, p, -1, 0, 1000, true)
		if err != nil || len(es) == 0 || es[0].Offset != 0 {
			t.Fatalf("partition %d: read from -1 = %v, %v", p, es, err)
		}
		es = append(es, readTo(t, l, p, es[len(es)-1].Next, int64(n), 1000)...)
		ids, offs := rowsOf(es)
		if want := userIDs(first[p], first[p]+n); !slices.Equal(ids, want) {
			t.Fatalf("partition %d rows = %v, want %v", p, ids, want)
		}
		if !slices.Equal(offs, seq(0, int64(n))) {
			t.Fatalf("partition %d offsets = %v", p, offs)
		}
		for _, e := range es {
			if e.Offsets != nil || len(e.Rejected) != 0 || e.Partition != p || e.AppendedAt < time.Now().Add(-time.Hour).UnixMicro() {
				t.Fatalf("entry %+v", e)
			}
		}
		// The values arrive typed.
		rec := es[0].Rec
		ts := rec.Column(1).(*array.Timestamp).Value(0)
		wantTS, _ := ParseEventTimeString(fmt.Sprintf("2024-05-01T12:%02d:%02d.%06dZ", first[p]/60%60, first[p]%60, (first[p]*7919)%1000000))
		if int64(ts) != int64(wantTS) {
			t.Fatalf("event time = %d, want %d", ts, wantTS)
		}
		if temp := rec.Column(2).(*array.Float64).Value(0); temp != 15+float64(first[p]%2000)/100 {
			t.Fatalf("temperature = %v", temp)
		}
		releaseAll(es)
	}

	t.Run("until and maxRows", func(t *testing.T) {
		es, err := l.Read(ctx, 0, 5, 8, 1000, true)
		if err != nil || len(es) != 1 || es[0].Offset != 5 || es[0].Next != 8 || es[0].Rows() != 3 {
			t.Fatalf("read [5, 8) = %+v, %v", es, err)
		}
		releaseAll(es)
		es, err = l.Read(ctx, 0, 8, 0, 7, true)
		if err != nil || len(es) != 1 || es[0].Offset != 8 || es[0].Rows() > 7 || es[0].Next != 8+es[0].Rows() {
			t.Fatalf("read 7 from 8 = %+v, %v", es, err)
		}
		releaseAll(es)
		es, err = l.Read(ctx, 0, 9, 9, 10, true)
		if err != nil || len(es) != 0 {
			t.Fatalf("read [9, 9) = %+v, %v", es, err)
		}
	})
	t.Run("nothing new without wait", func(t *testing.T) {
		es, err := l.Read(ctx, 2, 10, 0, 100, false)
		if err != nil || len(es) != 0 {
			t.Fatalf("read at the high water = %+v, %v", es, err)
		}
	})
	t.Run("waiting read ends with its context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		es, err := l.Read(ctx, 2, 10, 0, 100, true)
		if !errors.Is(err, context.DeadlineExceeded) || len(es) != 0 {
			t.Fatalf("read = %+v, %v; want the context's error", es, err)
		}
	})
	t.Run("bad partition", func(t *testing.T) {
		_, err := l.Read(ctx, 3, 0, 0, 10, false)
		if sqlstate.CodeOf(err) != sqlstate.InvalidParameterValue {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("beyond the high water", func(t *testing.T) {
		_, err := l.Read(ctx, 1, 51, 0, 10, false)
		if !errors.Is(err, ErrOffsetOutOfRange) || sqlstate.CodeOf(err) != sqlstate.ObjectNotInPrerequisiteState {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestKafkaCursorReuse(t *testing.T) {
	c := newCluster(t)
	produce(t, c.ListenAddrs(), 0, events(0, 200))
	l := openLog(t, telemetryConfig(c.ListenAddrs()))
	ctx := context.Background()
	var cur *kafkaCursor
	for from := int64(0); from < 200; {
		es, err := l.Read(ctx, 0, from, 0, 30, true)
		if err != nil || len(es) != 1 {
			t.Fatalf("read from %d: %v, %v", from, es, err)
		}
		from = es[0].Next
		releaseAll(es)
		part := l.parts[0]
		part.mu.Lock()
		if len(part.cursors) != 1 || (cur != nil && part.cursors[0] != cur) {
			t.Fatalf("sequential reads use %d cursors (reused: %v)", len(part.cursors), cur == nil || part.cursors[0] == cur)
		}
		cur = part.cursors[0]
		part.mu.Unlock()
	}
	// A jump starts another consumer; the first stays for its reader.
	es := readTo(t, l, 0, 50, 60, 100)
	if ids, _ := rowsOf(es); !slices.Equal(ids, userIDs(50, 60)) {
		t.Fatalf("rows after the jump = %v", ids)
	}
	releaseAll(es)
	if n := len(l.parts[0].cursors); n != 2 {
		t.Fatalf("%d cursors after a jump, want 2", n)
	}
}

func TestKafkaReadLatest(t *testing.T) {
	c := newCluster(t)
	addrs := c.ListenAddrs()
	produce(t, addrs, 0, events(0, 20))
	cfg := telemetryConfig(addrs)
	cfg.Start = "latest"
	l := openLog(t, cfg)
	ctx := context.Background()
	start, err := l.StartOffset(ctx, 0)
	if err != nil || start != 20 {
		t.Fatalf("start = %d, %v; want 20", start, err)
	}
	es, err := l.Read(ctx, 0, -1, 0, 100, false)
	if err != nil || len(es) != 0 {
		t.Fatalf("read from latest = %+v, %v; want nothing", es, err)
	}
	type result struct {
		es  []Entry
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		es, err := l.Read(ctx, 0, start, 0, 100, true)
		done <- result{es, err}
	}()
	produce(t, addrs, 0, events(20, 25))
	r := <-done
	if r.err != nil || len(r.es) != 1 || r.es[0].Offset != 20 {
		t.Fatalf("waiting read = %+v, %v", r.es, r.err)
	}
	es = append(r.es, readTo(t, l, 0, r.es[0].Next, 25, 100)...)
	if ids, _ := rowsOf(es); !slices.Equal(ids, userIDs(20, 25)) {
		t.Fatalf("rows = %v", ids)
	}
	releaseAll(es)
}

func TestKafkaResumeAfterRestart(t *testing.T) {
	c := newCluster(t)
	addrs := c.ListenAddrs()
	for p := range 3 {
		produce(t, addrs, int32(p), events(p*100, p*100+60))
	}
	// The first run reads up to offset 25 and stores where it stopped.
	l1 := openLog(t, telemetryConfig(addrs))
	stored := make([]int64, 3)
	got := make([][]string, 3)
	for p := range 3 {
		es := readTo(t, l1, p, 0, 25, 10)
		got[p], _ = rowsOf(es)
		stored[p] = es[len(es)-1].Next
		releaseAll(es)
	}
	if err := l1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if st := l1.Status(); st != "closed" {
		t.Fatalf("status after Close = %q", st)
	}
	if _, err := l1.Read(context.Background(), 0, 25, 0, 10, false); sqlstate.CodeOf(err) != sqlstate.AdminShutdown {
		t.Fatalf("read after Close: %v", err)
	}
	// The second run continues from the stored offsets.
	l2 := openLog(t, telemetryConfig(addrs))
	for p := range 3 {
		es := readTo(t, l2, p, stored[p], 60, 1000)
		ids, _ := rowsOf(es)
		got[p] = append(got[p], ids...)
		releaseAll(es)
		if want := userIDs(p*100, p*100+60); !slices.Equal(got[p], want) {
			t.Fatalf("partition %d: rows over both runs = %v, want %v", p, got[p], want)
		}
	}
}

func TestKafkaRejectedEvents(t *testing.T) {
	c := newCluster(t)
	addrs := c.ListenAddrs()
	msgs := []string{
		0:  `{"device_id":"d0","event_timestamp":"2024-05-01T12:00:00Z","temperature":20.5,"location":{"site":"s0"}}`,
		1:  `{"device_id":"d1","event_timestamp":`,
		2:  `{"device_id":"d2","event_timestamp":"2024-05-01T12:00:00Z","temperature":true}`,
		3:  `{"event_timestamp":"2024-05-01T12:00:00Z","temperature":1}`,
		4:  `{"device_id":"d4","temperature":1}`,
		5:  `{"device_id":"d5","event_timestamp":"2030-01-01T00:00:00Z"}`,
		6:  `{"device_id":"d6","event_timestamp":1714564800}`,
		7:  `{"device_id":"d7","event_timestamp":1714564800123}`,
		8:  `{"device_id":"d8","event_timestamp":1714564800123456}`,
		9:  `{"device_id":"d9","event_timestamp":"2024-05-01 14:00:00+02"}`,
		10: `{"device_id":"d10","event_timestamp":"2024-05-01T12:00:00.5"}`,
		11: `{"device_id":"d11","event_timestamp":"2024-05-01T12:00:00.25+00:00","location":{"site":"s11","zone":"B"},"temperature":-3}`,
		12: `{"device_id":"d12","event_timestamp":null}`,
		13: `[1,2]`,
		14: `{"device_id":"d14","event_timestamp":1714564800.75,"energy_consumed":"1.5"}`,
	}
	var values [][]byte
	for _, m := range msgs {
		values = append(values, []byte(m))
	}
	produce(t, addrs, 0, values)

	cfg := telemetryConfig(addrs)
	cfg.Schema = append(cfg.Schema, exec.Column{Name: "site", Type: types.Text})
	cfg.NotNull = append(cfg.NotNull, false)
	cfg.JSONPaths = map[int][]string{6: {"location", "site"}}
	cfg.MaxFuture = 5 * time.Minute
	now := time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)
	cfg.Clock = func() time.Time { return now }
	l := openLog(t, cfg)
	es := readTo(t, l, 0, 0, int64(len(msgs)), 100)
	defer releaseAll(es)

	ids, offs := rowsOf(es)
	_ = ids
	if want := []int64{0, 6, 7, 8, 9, 10, 11, 14}; !slices.Equal(offs, want) {
		t.Fatalf("row offsets = %v, want %v", offs, want)
	}
	var devs, sites []string
	var times []int64
	for _, e := range es {
		if e.Rec == nil {
			continue
		}
		if e.Offsets == nil {
			t.Fatalf("entry [%d, %d) with rejected events has no Offsets", e.Offset, e.Next)
		}
		devs = append(devs, strCol(e.Rec, 0)...)
		sites = append(sites, strCol(e.Rec, 6)...)
		tsa := e.Rec.Column(1).(*array.Timestamp)
		for i := range tsa.Len() {
			times = append(times, int64(tsa.Value(i)))
		}
	}
	if want := []string{"d0", "d6", "d7", "d8", "d9", "d10", "d11", "d14"}; !slices.Equal(devs, want) {
		t.Fatalf("devices = %v", devs)
	}
	if want := []string{"s0", "<null>", "<null>", "<null>", "<null>", "<null>", "s11", "<null>"}; !slices.Equal(sites, want) {
		t.Fatalf("sites (nested path) = %v", sites)
	}
	base := int64(telemetryBase) * 1e6
	if want := []int64{base, base, base + 123000, base + 123456, base, base + 500000, base + 250000, base + 750000}; !slices.Equal(times, want) {
		t.Fatalf("event times = %v, want %v", times, want)
	}

	var rej []Rejected
	for _, e := range es {
		rej = append(rej, e.Rejected...)
	}
	wantRej := map[int64]string{
		1:  "malformed JSON",
		2:  `column "temperature" of type double precision cannot hold a JSON boolean (true)`,
		3:  `null value in column "device_id" violates not-null constraint`,
		4:  `event time column "event_timestamp" is missing`,
		5:  "event time 2030-01-01 00:00:00+00 is more than 5m0s ahead of the server clock",
		12: `event time column "event_timestamp" is null`,
		13: "not an object",
	}
	if len(rej) != len(wantRej) {
		t.Fatalf("rejected %d events, want %d: %+v", len(rej), len(wantRej), rej)
	}
	for _, r := range rej {
		want, ok := wantRej[r.Offset]
		if !ok || !strings.Contains(r.Error, want) {
			t.Errorf("rejected offset %d: %q, want it to contain %q", r.Offset, r.Error, want)
		}
		if r.Partition != 0 || string(r.Payload) != msgs[r.Offset] || r.ReceivedAt <= 0 {
			t.Errorf("rejected %+v", r)
		}
	}
}

// TestKafkaOutage stops the broker under a reader, checks that reads fail
// with ErrUnavailable and Status says so, then starts a broker with the
// same data on the same port and checks that reading resumes at exactly
// the requested offset.
func TestKafkaOutage(t *testing.T) {
	port := freePort(t)
	c1 := newCluster(t, kfake.Ports(port))
	addrs := c1.ListenAddrs()
	all := events(0, 40)
	produce(t, addrs, 0, all[:30])
	l := openLog(t, telemetryConfig(addrs))
	es := readTo(t, l, 0, 0, 10, 100)
	ids, _ := rowsOf(es)
	releaseAll(es)
	next := int64(10)

	c1.Close()
	// Reads go on with what was already fetched, then fail promptly.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	for {
		var es []Entry
		es, err = l.Read(ctx, 0, next, 0, 100, true)
		if err != nil {
			break
		}
		for _, e := range es {
			next = e.Next
		}
		more, _ := rowsOf(es)
		ids = append(ids, more...)
		releaseAll(es)
	}
	if !errors.Is(err, ErrUnavailable) || sqlstate.CodeOf(err) != sqlstate.ConnectionFailure {
		t.Fatalf("read during the outage: %v; want ErrUnavailable (08006)", err)
	}
	if st := l.Status(); !strings.HasPrefix(st, "reconnecting: ") || !strings.Contains(st, "attempt ") || !strings.Contains(st, "next in ") {
		t.Fatalf("status during the outage = %q", st)
	}
	if _, err := l.HighWater(ctx, 0); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("high water during the outage: %v", err)
	}
	if _, err := l.Read(ctx, 1, 0, 0, 100, false); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("read of another partition during the outage: %v", err)
	}
	// The log keeps trying, further apart.
	waitFor(t, 10*time.Second, "a third attempt", func() bool { return strings.Contains(l.Status(), "(attempt 3, next in ") })

	// The broker comes back on the same port with the same data and more.
	c2 := newCluster(t, kfake.Ports(port))
	produce(t, c2.ListenAddrs(), 0, all)
	waitFor(t, 20*time.Second, "the log to reconnect", func() bool { return l.Status() == "ok" })
	if hw, err := l.HighWater(ctx, 0); err != nil || hw != 40 {
		t.Fatalf("high water after the outage = %d, %v", hw, err)
	}
	es = readTo(t, l, 0, next, 40, 7)
	more, _ := rowsOf(es)
	releaseAll(es)
	ids = append(ids, more...)
	if want := userIDs(0, 40); !slices.Equal(ids, want) {
		t.Fatalf("rows across the outage = %v, want %v", ids, want)
	}
}

func TestKafkaErrors(t *testing.T) {
	c := newCluster(t)
	addrs := c.ListenAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("missing topic", func(t *testing.T) {
		cfg := telemetryConfig(addrs)
		cfg.Topic = "nope"
		_, err := NewKafkaLog(ctx, cfg)
		if sqlstate.CodeOf(err) != sqlstate.UndefinedObject || !strings.Contains(err.Error(), addrs[0]) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no broker", func(t *testing.T) {
		cfg := telemetryConfig([]string{fmt.Sprintf("127.0.0.1:%d", freePort(t))})
		_, err := NewKafkaLog(ctx, cfg)
		if sqlstate.CodeOf(err) != sqlstate.ConnectionFailure || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), cfg.Brokers[0]) {
			t.Fatalf("err = %v", err)
		}
	})
	for name, mutate := range map[string]func(*KafkaConfig){
		"no brokers":     func(c *KafkaConfig) { c.Brokers = nil },
		"no topic":       func(c *KafkaConfig) { c.Topic = "" },
		"bad start":      func(c *KafkaConfig) { c.Start = "middle" },
		"bad mechanism":  func(c *KafkaConfig) { c.SASL.Mechanism = "gssapi" },
		"event time":     func(c *KafkaConfig) { c.EventTime = 2 },
		"bad path":       func(c *KafkaConfig) { c.JSONPaths = map[int][]string{9: {"x"}} },
		"missing CA":     func(c *KafkaConfig) { c.TLS = KafkaTLS{Enabled: true, CAFile: "/nonexistent/ca.pem"} },
		"half a keypair": func(c *KafkaConfig) { c.TLS = KafkaTLS{Enabled: true, CertFile: "cert.pem"} },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := telemetryConfig(addrs)
			mutate(&cfg)
			_, err := NewKafkaLog(ctx, cfg)
			if code := sqlstate.CodeOf(err); code != sqlstate.InvalidParameterValue && code != sqlstate.DatatypeMismatch {
				t.Fatalf("err = %v (%s)", err, code)
			}
		})
	}
	t.Run("retention removed the offsets", func(t *testing.T) {
		produce(t, addrs, 2, events(0, 20))
		l := openLog(t, telemetryConfig(addrs))
		deleteRecords(t, addrs, 2, 12)
		low, err := l.LowWater(ctx, 2)
		if err != nil || low != 12 {
			t.Fatalf("low water = %d, %v; want 12", low, err)
		}
		_, err = l.Read(ctx, 2, 3, 0, 100, true)
		if !errors.Is(err, ErrOffsetOutOfRange) || sqlstate.CodeOf(err) != sqlstate.ObjectNotInPrerequisiteState || !strings.Contains(err.Error(), "no longer held") {
			t.Fatalf("read below the low water: %v", err)
		}
		es := readTo(t, l, 2, 12, 20, 100)
		if ids, _ := rowsOf(es); !slices.Equal(ids, userIDs(12, 20)) {
			t.Fatalf("rows from the low water = %v", ids)
		}
		releaseAll(es)
	})
}

// deleteRecords advances the low water of partition p to offset, as
// retention would.
func deleteRecords(t *testing.T, addrs []string, p int32, offset int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = testTopic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition = p
	rp.Offset = offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cl.Request(ctx, req)
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	for _, rt := range resp.(*kmsg.DeleteRecordsResponse).Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("delete records: error code %d", rp.ErrorCode)
			}
		}
	}
}
