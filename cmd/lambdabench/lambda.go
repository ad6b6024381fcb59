package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The DESIGN example: source and view of the freshness benchmark.
const (
	designSourceSQL = `CREATE SOURCE telemetry (
  device_id        TEXT NOT NULL,
  event_timestamp  TIMESTAMPTZ NOT NULL,
  temperature      DOUBLE PRECISION,
  energy_consumed  DOUBLE PRECISION,
  user_id          TEXT,
  event_type       TEXT
) WITH (event_time = 'event_timestamp', lateness = '2m')`

	deviceMetricsSelect = `SELECT device_id,
       count(*)                AS event_count,
       avg(temperature)        AS avg_temperature,
       max(temperature)        AS max_temperature,
       min(temperature)        AS min_temperature,
       sum(energy_consumed)    AS total_energy,
       count(DISTINCT user_id) AS unique_users
FROM telemetry
GROUP BY device_id`

	// demoSourceSQL is the demo's source (lambdasql demo).
	demoSourceSQL = `CREATE SOURCE telemetry (` + sourceColumnsSQL + `
) WITH (event_time = 'event_timestamp', lateness = '2m', partitions = 2, idle_timeout = '30s',
        max_future = '10m', capture_interval = '15s')`

	pointQuery = `SELECT * FROM device_metrics WHERE device_id = $1 AND window_start >= now() - interval '1 hour'`
)

// demoViewsSQL are the demo's three views.
var demoViewsSQL = []string{
	`CREATE VIEW device_metrics WITH (window = '1m', batch_interval = '30s') AS ` + deviceMetricsSelect,
	`CREATE VIEW device_hourly WITH (window = '1h', batch_interval = '1m') AS
SELECT device_id,
       count(*)             AS event_count,
       avg(temperature)     AS avg_temperature,
       max(temperature)     AS max_temperature,
       min(temperature)     AS min_temperature,
       sum(energy_consumed) AS total_energy
FROM telemetry
GROUP BY device_id`,
	`CREATE VIEW user_activity WITH (window = '10m') AS
SELECT user_id,
       count(*) FILTER (WHERE event_type = 'login')             AS logins,
       count(*) FILTER (WHERE event_type = 'transaction')       AS transactions,
       avg(session_duration) FILTER (WHERE event_type = 'logout') AS avg_session_seconds,
       sum(revenue)                                             AS revenue
FROM telemetry
WHERE user_id IS NOT NULL
GROUP BY user_id`,
}

type lambdaOpts struct {
	samples       int
	rate          int
	sustainedRows int
	copyBatch     int
	pointDuration time.Duration
	clients       []int
	server        string
	rssRate       int
	rssLive       time.Duration
	noPG          bool
	copyClients   int
	cpuprofile    string
}

func cmdLambda(args []string) error {
	fs := flag.NewFlagSet("lambda", flag.ExitOnError)
	var o lambdaOpts
	fs.IntVar(&o.samples, "samples", 500, "freshness samples")
	fs.IntVar(&o.rate, "rate", 200, "freshness inserts per second")
	fs.IntVar(&o.sustainedRows, "sustained-rows", 4_000_000, "events COPYed in the sustained-rate benchmark")
	fs.IntVar(&o.copyBatch, "copy-batch", 200_000, "rows per COPY in the sustained-rate benchmark")
	fs.DurationVar(&o.pointDuration, "point-duration", 10*time.Second, "duration of each point-query run")
	clients := fs.String("clients", "1,8", "point-query client counts")
	fs.StringVar(&o.server, "server", "bin/lambdasql", "lambdasql binary run as a subprocess for the memory benchmark")
	fs.IntVar(&o.rssRate, "rss-rate", 1000, "events per second of the memory benchmark's generated hour")
	fs.DurationVar(&o.rssLive, "rss-live", 30*time.Second, "live ingest after the generated hour in the memory benchmark")
	fs.BoolVar(&o.noPG, "no-postgres", false, "skip the PostgreSQL reference")
	fs.IntVar(&o.copyClients, "copy-clients", 2, "concurrent COPY connections in the sustained-rate benchmark")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of lambdabench (in-process server and clients) during the lambdasql point queries")
	only := fs.String("only", "freshness,sustained,point,memory", "comma-separated parts to run")
	fs.Parse(args)
	for _, c := range strings.Split(*clients, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(c), &n); err != nil || n < 1 {
			return fmt.Errorf("bad --clients %q", *clients)
		}
		o.clients = append(o.clients, n)
	}
	if o.samples < 1 || o.rate < 1 || o.sustainedRows < 1 || o.copyBatch < 1 || o.rssRate < 1 || o.copyClients < 1 {
		return fmt.Errorf("counts and rates must be positive")
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		parts[strings.TrimSpace(p)] = true
	}
	ctx := context.Background()
	fmt.Println()
	fmt.Println("machine:", machineLine())
	var failed error
	if parts["freshness"] {
		if err := freshnessBench(ctx, o); err != nil {
			if !isCheck(err) {
				return err
			}
			failed = err
		}
	}
	if parts["sustained"] || parts["point"] {
		if err := sustainedAndPoint(ctx, o, parts["sustained"], parts["point"]); err != nil {
			if !isCheck(err) {
				return err
			}
			failed = err
		}
	}
	if parts["memory"] {
		if err := memoryBench(ctx, o); err != nil {
			if !isCheck(err) {
				return err
			}
			failed = err
		}
	}
	return failed
}

// freshnessBench measures INSERT acknowledgement → visible in the view.
func freshnessBench(ctx context.Context, o lambdaOpts) error {
	section(fmt.Sprintf("lambda (a): freshness, %d single-event INSERTs at %d/s, each a new device", o.samples, o.rate))
	ls, err := startInproc()
	if err != nil {
		return err
	}
	defer ls.close()
	conn, err := ls.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{designSourceSQL,
		`CREATE VIEW device_metrics WITH (window = '1m', batch_interval = '5s') AS ` + deviceMetricsSelect} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", short(q), err)
		}
	}
	const pollers = 2
	type pending struct {
		id  string
		ack time.Time
	}
	var (
		mu       sync.Mutex
		queue    [pollers][]pending
		lats     []time.Duration
		polls    int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		pollErr  error
		visibleN int
	)
	for w := range pollers {
		pc, err := ls.connect(ctx)
		if err != nil {
			return err
		}
		defer pc.Close(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				items := slices.Clone(queue[w])
				mu.Unlock()
				if len(items) == 0 {
					time.Sleep(200 * time.Microsecond)
					continue
				}
				var seen []string
				for _, it := range items {
					start := time.Now()
					rows, err := pc.Query(ctx, `SELECT event_count FROM device_metrics WHERE device_id = $1`, it.id)
					if err != nil {
						mu.Lock()
						pollErr = err
						mu.Unlock()
						return
					}
					found := false
					for rows.Next() {
						found = true
					}
					err = rows.Err()
					rows.Close()
					if err != nil {
						mu.Lock()
						pollErr = err
						mu.Unlock()
						return
					}
					mu.Lock()
					polls++
					if found {
						lats = append(lats, start.Sub(it.ack))
						visibleN++
					}
					mu.Unlock()
					if found {
						seen = append(seen, it.id)
					}
				}
				if len(seen) > 0 {
					mu.Lock()
					queue[w] = slices.DeleteFunc(queue[w], func(p pending) bool { return slices.Contains(seen, p.id) })
					mu.Unlock()
				}
			}
		}()
	}
	var insertLats []time.Duration
	tick := time.NewTicker(time.Second / time.Duration(o.rate))
	started := time.Now()
	var insertErr error
	for i := range o.samples {
		<-tick.C
		ev := makeEvent(0xf7e5, int64(i), 0)
		id := fmt.Sprintf("fresh-%06d", i)
		t0 := time.Now()
		_, err := conn.Exec(ctx, `INSERT INTO telemetry (device_id, event_timestamp, temperature, energy_consumed, user_id, event_type)
VALUES ($1, $2, $3, $4, $5, $6)`, id, t0, ev.temperature, ev.energy, userID(ev.user), eventTypes[ev.typ])
		ack := time.Now()
		if err != nil {
			insertErr = err
			break
		}
		insertLats = append(insertLats, ack.Sub(t0))
		mu.Lock()
		queue[i%pollers] = append(queue[i%pollers], pending{id: id, ack: ack})
		mu.Unlock()
	}
	tick.Stop()
	insertSecs := time.Since(started).Seconds()
	// Wait for the stragglers, bounded.
	waitFor(ctx, 30*time.Second, 10*time.Millisecond, "freshness samples", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return visibleN == len(insertLats) || pollErr != nil, nil
	})
	close(stop)
	wg.Wait()
	if insertErr != nil {
		return fmt.Errorf("INSERT: %w", insertErr)
	}
	if pollErr != nil {
		return fmt.Errorf("freshness poll: %w", pollErr)
	}
	p50, p99 := percentile(lats, 50), percentile(lats, 99)
	var t table
	t.add("measure", "p50", "p99", "max", "samples")
	t.add("INSERT acknowledged → visible in device_metrics", fmtMillis(p50), fmtMillis(p99), fmtMillis(percentile(lats, 100)), fmt.Sprint(len(lats)))
	t.add("INSERT round trip (acknowledgement)", fmtMillis(percentile(insertLats, 50)), fmtMillis(percentile(insertLats, 99)),
		fmtMillis(percentile(insertLats, 100)), fmt.Sprint(len(insertLats)))
	fmt.Println()
	t.print()
	verdict := "met"
	if p99 >= 250*time.Millisecond {
		verdict = "NOT met"
	}
	fmt.Printf("target p99 < 250 ms: %s. %d inserts in %.1f s (%.0f/s); %d point polls by %d pollers (resolution ≈ one poll pass)\n",
		verdict, len(insertLats), insertSecs, float64(len(insertLats))/insertSecs, polls, pollers)
	if missing := len(insertLats) - len(lats); missing > 0 {
		return fmt.Errorf("%w: %d of %d inserted events never became visible in device_metrics within 30 s", errCheck, missing, len(insertLats))
	}
	return nil
}

// sustainedAndPoint runs (b) and then (c) on the data (b) leaves.
func sustainedAndPoint(ctx context.Context, o lambdaOpts, sustained, point bool) error {
	ls, err := startInproc()
	if err != nil {
		return err
	}
	defer ls.close()
	conn, err := ls.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range append([]string{demoSourceSQL}, demoViewsSQL...) {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", short(q), err)
		}
	}
	n := o.sustainedRows
	if !sustained {
		n = min(n, 1_000_000)
	}
	// Events stamped over the last ten minutes, in order: every window
	// is open or recent, none is late, none is beyond max_future.
	now := time.Now()
	csv := telemetryCSV(n, now.Add(-10*time.Minute).UnixMicro(), 10*time.Minute)
	chunks := splitCSV(csv, o.copyBatch)
	var failed error
	if sustained {
		section(fmt.Sprintf("lambda (b): sustained ingest through the speed layer: %d events COPYed in batches of %d by %d clients, 3 views",
			n, o.copyBatch, o.copyClients))
	}
	copyConns := make([]*pgx.Conn, o.copyClients)
	for i := range copyConns {
		c, err := ls.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		copyConns[i] = c
	}
	start := time.Now()
	// Client i copies chunks i, i+clients, …: the batches of one client
	// stay in time order, and the clients together stay within seconds of
	// each other, far inside the 2-minute lateness.
	var (
		wg      sync.WaitGroup
		copyErr = make([]error, len(copyConns))
	)
	for i, c := range copyConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := i; k < len(chunks); k += len(copyConns) {
				if _, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(chunks[k]), "COPY telemetry FROM STDIN (FORMAT csv)"); err != nil {
					copyErr[i] = fmt.Errorf("COPY: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	copied := time.Since(start)
	if err := errors.Join(copyErr...); err != nil {
		return err
	}
	views := []string{"device_metrics", "device_hourly", "user_activity"}
	// A view has absorbed the COPY when its speed layer folded or counted
	// as late every event (late ones can only happen when the clients
	// drift more than the lateness apart).
	absorbed := map[string]time.Duration{}
	var late int64
	err = waitFor(ctx, 10*time.Minute, 5*time.Millisecond, "the speed layer", func() (bool, error) {
		_, vs := ls.srv.Status()
		for _, v := range vs {
			if _, done := absorbed[v.Name]; !done && slices.Contains(views, v.Name) && v.SpeedRows+v.LateEvents >= int64(n) {
				absorbed[v.Name] = time.Since(start)
				late = max(late, v.LateEvents)
			}
		}
		return len(absorbed) == len(views), nil
	})
	if err != nil {
		return err
	}
	all := time.Duration(0)
	for _, d := range absorbed {
		all = max(all, d)
	}
	if sustained {
		var t table
		t.add("stage", "seconds", "events/s")
		t.add("COPY acknowledged", fmt.Sprintf("%.2f", copied.Seconds()), fmtRate(float64(n)/copied.Seconds()))
		for _, v := range views {
			t.add("in the speed layer of "+v, fmt.Sprintf("%.2f", absorbed[v].Seconds()), fmtRate(float64(n)/absorbed[v].Seconds()))
		}
		t.add("all three views", fmt.Sprintf("%.2f", all.Seconds()), fmtRate(float64(n)/all.Seconds()))
		fmt.Println()
		t.print()
		fmt.Printf("sustained: %s events/s through source → 3 speed views (%s events/s/core); measured by the speed layers' row counters\n",
			fmtRate(float64(n)/all.Seconds()), fmtRate(float64(n)/all.Seconds()/2))
	}
	if late > 0 {
		fmt.Printf("%d events arrived late in the speed layer (the COPY clients drifted apart); the count check is skipped\n", late)
	}
	// The split must count every event exactly once.
	for _, v := range []string{"device_metrics", "device_hourly"} {
		if late > 0 {
			break
		}
		var sum int64
		if err := conn.QueryRow(ctx, "SELECT coalesce(sum(event_count), 0)::bigint FROM "+v).Scan(&sum); err != nil {
			return fmt.Errorf("sum over %s: %w", v, err)
		}
		if sum != int64(n) {
			fmt.Printf("CHECK FAILED: sum(event_count) over %s (merged batch + speed) is %d, %d events were copied\n", v, sum, n)
			failed = fmt.Errorf("%w: %s counts %d events of %d", errCheck, v, sum, n)
		} else if sustained {
			fmt.Printf("check: sum(event_count) over %s = %d (every event counted once across the layers)\n", v, sum)
		}
	}
	if point {
		if err := pointBench(ctx, ls, conn, o); err != nil {
			return err
		}
	}
	return failed
}

// splitCSV cuts csv into chunks of about rows lines each.
func splitCSV(csv []byte, rows int) [][]byte {
	var out [][]byte
	for len(csv) > 0 {
		end, n := 0, 0
		for end < len(csv) && n < rows {
			i := bytes.IndexByte(csv[end:], '\n')
			if i < 0 {
				end = len(csv)
				break
			}
			end += i + 1
			n++
		}
		out = append(out, csv[:end])
		csv = csv[end:]
	}
	return out
}

// pointBench measures the prepared point query at each client count, in
// lambdasql and in PostgreSQL over the same rows in an indexed table.
func pointBench(ctx context.Context, ls *inproc, conn *pgx.Conn, o lambdaOpts) error {
	section("lambda (c): point queries on device_metrics vs PostgreSQL 15 (indexed table, same rows)")
	fmt.Println("query:", pointQuery)
	devices := make([]string, numDevices)
	for i := range devices {
		devices[i] = deviceID(i)
	}
	var pg *pgCluster
	var pgConn *pgx.Conn
	if !o.noPG {
		var err error
		pg, err = startPG(ctx)
		if err != nil {
			fmt.Printf("PostgreSQL reference skipped: %v\n", err)
		} else {
			defer pg.stop()
			pgConn, err = pg.connect(ctx)
			if err != nil {
				return err
			}
			defer pgConn.Close(ctx)
			rows, err := copyViewToPG(ctx, conn, pgConn, "device_metrics")
			if err != nil {
				return err
			}
			fmt.Printf("PostgreSQL %s: %d rows of device_metrics copied into a table indexed on (device_id, window_start)\n", pg.version, rows)
			if err := comparePoint(ctx, conn, pgConn, devices); err != nil {
				return err
			}
		}
	}
	var t table
	t.add("clients", "lambdasql p50", "p99", "queries/s", "PostgreSQL p50", "p99", "queries/s", "throughput ratio")
	if o.cpuprofile != "" {
		stop, err := startProfile(o.cpuprofile)
		if err != nil {
			return err
		}
		_, _, err = pointLoad(ctx, ls.url, 1, min(o.pointDuration, 5*time.Second), devices)
		stop()
		if err != nil {
			return err
		}
		fmt.Printf("CPU profile of one client's lambdasql point queries (server and client in this process): %s\n", o.cpuprofile)
	}
	for _, c := range o.clients {
		lat, qps, err := pointLoad(ctx, ls.url, c, o.pointDuration, devices)
		if err != nil {
			return fmt.Errorf("lambdasql point queries: %w", err)
		}
		row := []string{fmt.Sprint(c), fmtMillis(percentile(lat, 50)), fmtMillis(percentile(lat, 99)), fmt.Sprintf("%.0f", qps)}
		if pg != nil {
			plat, pqps, err := pointLoad(ctx, pg.url, c, o.pointDuration, devices)
			if err != nil {
				return fmt.Errorf("PostgreSQL point queries: %w", err)
			}
			row = append(row, fmtMillis(percentile(plat, 50)), fmtMillis(percentile(plat, 99)), fmt.Sprintf("%.0f", pqps), ratio(qps, pqps))
		} else {
			row = append(row, "–", "–", "–", "–")
		}
		t.add(row...)
	}
	fmt.Println()
	t.print()
	fmt.Printf("%s per run; prepared statement, random device of %d; ratio = lambdasql / PostgreSQL queries/s; clients run in lambdabench on the same 2 cores\n",
		o.pointDuration, numDevices)
	return nil
}

// pgTypeNames maps the OIDs a view's columns can have to PostgreSQL type
// names.
var pgTypeNames = map[uint32]string{16: "boolean", 20: "bigint", 21: "smallint", 23: "integer", 25: "text", 700: "real",
	701: "double precision", 1043: "varchar", 1082: "date", 1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1700: "numeric"}

// copyViewToPG copies every row of a lambdasql view into a new indexed
// PostgreSQL table of the same name and column types.
func copyViewToPG(ctx context.Context, from, to *pgx.Conn, view string) (int64, error) {
	rows, err := from.Query(ctx, "SELECT * FROM "+view+" LIMIT 0")
	if err != nil {
		return 0, err
	}
	fds := rows.FieldDescriptions()
	rows.Close()
	var cols []string
	for _, fd := range fds {
		tn, ok := pgTypeNames[fd.DataTypeOID]
		if !ok {
			return 0, fmt.Errorf("column %s of %s has type OID %d, which lambdabench cannot map", fd.Name, view, fd.DataTypeOID)
		}
		cols = append(cols, fmt.Sprintf("%q %s", fd.Name, tn))
	}
	var buf bytes.Buffer
	if _, err := from.PgConn().CopyTo(ctx, &buf, "COPY (SELECT * FROM "+view+") TO STDOUT"); err != nil {
		return 0, fmt.Errorf("COPY %s TO STDOUT: %w", view, err)
	}
	if _, err := to.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", view, strings.Join(cols, ", "))); err != nil {
		return 0, err
	}
	tag, err := to.PgConn().CopyFrom(ctx, &buf, "COPY "+view+" FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("PostgreSQL COPY %s: %w", view, err)
	}
	for _, q := range []string{"CREATE INDEX ON " + view + " (device_id, window_start)", "VACUUM ANALYZE " + view} {
		if _, err := to.Exec(ctx, q); err != nil {
			return 0, err
		}
	}
	return tag.RowsAffected(), nil
}

// comparePoint checks that both systems answer the point query alike for
// a sample of devices.
func comparePoint(ctx context.Context, ls, pg *pgx.Conn, devices []string) error {
	q := pointQuery + " ORDER BY window_start"
	var total int
	for i := 0; i < len(devices); i += len(devices) / 20 {
		a, err := pgRows(ctx, ls, q, devices[i])
		if err != nil {
			return err
		}
		b, err := pgRows(ctx, pg, q, devices[i])
		if err != nil {
			return err
		}
		if len(a) != len(b) {
			return fmt.Errorf("%w: point query for %s: lambdasql %d rows, PostgreSQL %d", errCheck, devices[i], len(a), len(b))
		}
		for j := range a {
			if err := equalRow(a[j], b[j]); err != nil {
				return fmt.Errorf("%w: point query for %s, row %d: %v", errCheck, devices[i], j, err)
			}
		}
		total += len(a)
	}
	if total == 0 {
		return fmt.Errorf("%w: the point query returned no rows for 20 devices", errCheck)
	}
	fmt.Printf("check: both systems return the same %d rows for 20 sampled devices\n", total)
	return nil
}

func pgRows(ctx context.Context, conn *pgx.Conn, q string, args ...any) ([][]any, error) {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		for i := range v {
			v[i] = canon(v[i])
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// pointLoad runs the point query from clients connections for d and
// returns every latency and the throughput.
func pointLoad(ctx context.Context, url string, clients int, d time.Duration, devices []string) ([]time.Duration, float64, error) {
	conns := make([]*pgx.Conn, clients)
	for i := range conns {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return nil, 0, err
		}
		defer c.Close(ctx)
		conns[i] = c
		// Prepare (and warm) before the clock starts.
		if _, err := pgRows(ctx, c, pointQuery, devices[i%len(devices)]); err != nil {
			return nil, 0, err
		}
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      []time.Duration
		empty    int
		firstErr error
	)
	start := time.Now()
	deadline := start.Add(d)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 0x9017))
			lat := make([]time.Duration, 0, 1<<16)
			localEmpty := 0
			for time.Now().Before(deadline) {
				dev := devices[rng.IntN(len(devices))]
				t0 := time.Now()
				rows, err := c.Query(ctx, pointQuery, dev)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				n := 0
				for rows.Next() {
					n++
				}
				err = rows.Err()
				rows.Close()
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
				if n == 0 {
					localEmpty++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			empty += localEmpty
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if empty == len(all) {
		return nil, 0, fmt.Errorf("%w: every point query returned no rows", errCheck)
	}
	return all, float64(len(all)) / elapsed.Seconds(), nil
}
