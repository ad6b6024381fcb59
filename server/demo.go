package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// DemoConfig configures the demo generator.
type DemoConfig struct {
	// Rate is the events per second the generator sends; 0 means 2000.
	Rate int
	// Devices is the number of simulated devices; 0 means 10000.
	Devices int
	// Backfill is how much history is generated into the master dataset
	// on first start; 0 means none (lambdasql demo's flag defaults to 3h).
	Backfill time.Duration
}

const (
	defaultDemoRate    = 2000
	defaultDemoDevices = 10000
	// maxBackfillEvents caps the generated history: past it the history
	// is sparser than the live stream rather than slow to build (3 h at
	// 2000 events/s would be 21.6 M events, minutes of batch work on a
	// small machine before the first query).
	maxBackfillEvents = 1_500_000
	// backfillFileEvents is the events per generated Parquet file, which
	// bounds the memory the generation holds.
	backfillFileEvents = 250_000
	demoSource         = "telemetry"
)

// The demo objects, created through SQL exactly as a user would.
var (
	demoSourceSQL = `CREATE SOURCE telemetry (
  device_id        TEXT NOT NULL,
  event_timestamp  TIMESTAMPTZ NOT NULL,
  temperature      DOUBLE PRECISION,
  energy_consumed  DOUBLE PRECISION,
  user_id          TEXT,
  event_type       TEXT,
  session_duration INTEGER,
  revenue          DOUBLE PRECISION
) WITH (event_time = 'event_timestamp', lateness = '2m', partitions = 2, idle_timeout = '30s',
        max_future = '10m', capture_interval = '15s')`

	demoViews = []struct{ name, sql string }{
		{"device_metrics", `CREATE VIEW device_metrics WITH (window = '1m', batch_interval = '30s') AS
SELECT device_id,
       count(*)                AS event_count,
       avg(temperature)        AS avg_temperature,
       max(temperature)        AS max_temperature,
       min(temperature)        AS min_temperature,
       sum(energy_consumed)    AS total_energy,
       count(DISTINCT user_id) AS unique_users
FROM telemetry
GROUP BY device_id`},
		{"device_hourly", `CREATE VIEW device_hourly WITH (window = '1h', batch_interval = '1m') AS
SELECT device_id,
       count(*)             AS event_count,
       avg(temperature)     AS avg_temperature,
       max(temperature)     AS max_temperature,
       min(temperature)     AS min_temperature,
       sum(energy_consumed) AS total_energy
FROM telemetry
GROUP BY device_id`},
		{"user_activity", `CREATE VIEW user_activity WITH (window = '10m') AS
SELECT user_id,
       count(*) FILTER (WHERE event_type = 'login')             AS logins,
       count(*) FILTER (WHERE event_type = 'transaction')       AS transactions,
       avg(session_duration) FILTER (WHERE event_type = 'logout') AS avg_session_seconds,
       sum(revenue)                                             AS revenue
FROM telemetry
WHERE user_id IS NOT NULL
GROUP BY user_id`},
	}

	// demoColumns is the telemetry schema the generator writes.
	demoColumns = []struct {
		name string
		fam  types.Family
	}{
		{"device_id", types.FamString}, {"event_timestamp", types.FamTimestampTZ}, {"temperature", types.FamFloat},
		{"energy_consumed", types.FamFloat}, {"user_id", types.FamString}, {"event_type", types.FamString},
		{"session_duration", types.FamInt}, {"revenue", types.FamFloat},
	}
)

// demoRun is a running demo generator.
type demoRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	demosMu sync.Mutex
	demos   = map[*Server]*demoRun{}
)

// StartDemo creates the demo objects on first start and starts the
// telemetry generator; call it after Start. On a data directory without
// the source "telemetry" it creates the source, backfills cfg.Backfill of
// generated history into the master dataset (COPY … FROM Parquet), then
// creates the views device_metrics, device_hourly and user_activity, whose
// first batch runs cover that history. Objects that exist are kept as
// they are (a restart only resumes the generator). The generator runs
// until the server closes; it sends JSON events through IngestJSON every
// 100 ms, including some out-of-order, late and malformed ones.
func StartDemo(s *Server, cfg DemoConfig) error {
	if cfg.Rate <= 0 {
		cfg.Rate = defaultDemoRate
	}
	if cfg.Devices <= 0 {
		cfg.Devices = defaultDemoDevices
	}
	if cfg.Backfill < 0 {
		return sqlstate.New(sqlstate.InvalidParameterValue, "demo backfill must not be negative")
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &demoRun{cancel: cancel, done: make(chan struct{})}
	demosMu.Lock()
	if demos[s] != nil {
		demosMu.Unlock()
		cancel()
		return errors.New("the demo already runs on this server")
	}
	demos[s] = run
	demosMu.Unlock()
	if err := setupDemo(ctx, s, cfg); err != nil {
		cancel()
		close(run.done)
		demosMu.Lock()
		delete(demos, s)
		demosMu.Unlock()
		return err
	}
	gen := newDemoGenerator(cfg.Devices, time.Now().UnixNano())
	go func() {
		defer close(run.done)
		gen.run(ctx, s, cfg.Rate)
	}()
	s.log.Info("demo generator running", "source", demoSource, "events_per_sec", cfg.Rate, "devices", cfg.Devices)
	return nil
}

// stopDemo stops the demo generator of s, if any, and waits for it.
func stopDemo(s *Server) {
	demosMu.Lock()
	run := demos[s]
	delete(demos, s)
	demosMu.Unlock()
	if run != nil {
		run.cancel()
		<-run.done
	}
}

// setupDemo creates whatever demo objects are missing.
func setupDemo(ctx context.Context, s *Server, cfg DemoConfig) error {
	snap := s.cat.Snapshot()
	src := snap.Sources[demoSource]
	created := false
	if src == nil {
		if _, _, err := s.internalQuery(ctx, demoSourceSQL, nil); err != nil {
			return fmt.Errorf("demo: create source %s: %w", demoSource, err)
		}
		created = true
		s.log.Info("demo: created source", "source", demoSource)
		src = s.cat.Snapshot().Sources[demoSource]
		if src == nil {
			return errors.New("demo: the source vanished after CREATE SOURCE")
		}
	}
	if err := checkDemoSource(src); err != nil {
		return err
	}
	// History goes in before the views exist, so their first batch run
	// covers it. A first start that died half-way (source created, no
	// view, empty master dataset) backfills on the next start.
	if cfg.Backfill > 0 && (created || demoNeedsHistory(s.cat.Snapshot())) {
		if err := backfillDemo(ctx, s, src, cfg); err != nil {
			return err
		}
	}
	for _, v := range demoViews {
		if _, ok := s.cat.Snapshot().Views[v.name]; ok {
			continue
		}
		start := time.Now()
		notice := func(n wire.Notice) { s.log.Info("demo: "+n.Message, "view", v.name) }
		if _, _, err := s.internalQuery(ctx, v.sql, notice); err != nil {
			return fmt.Errorf("demo: create view %s: %w", v.name, err)
		}
		s.log.Info("demo: created view", "view", v.name, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// checkDemoSource verifies that an existing source "telemetry" has the
// columns the generator writes.
func checkDemoSource(src *catalog.Source) error {
	for _, want := range demoColumns {
		i := src.ColumnIndex(want.name)
		if i < 0 {
			return sqlstate.New(sqlstate.DatatypeMismatch, "demo: source %q exists without column %q: use another data directory for the demo", src.Name, want.name)
		}
		if got := src.Columns[i].Type().Family; got != want.fam {
			return sqlstate.New(sqlstate.DatatypeMismatch, "demo: column %q of source %q is %s, the demo writes another type: use another data directory for the demo",
				want.name, src.Name, src.Columns[i].Type().Name)
		}
	}
	if src.EventTime != "event_timestamp" {
		return sqlstate.New(sqlstate.DatatypeMismatch, "demo: source %q has event time %q, not event_timestamp: use another data directory for the demo", src.Name, src.EventTime)
	}
	return nil
}

// demoNeedsHistory reports whether the demo source has no history and no
// demo view yet.
func demoNeedsHistory(snap *catalog.Snapshot) bool {
	for _, v := range demoViews {
		if _, ok := snap.Views[v.name]; ok {
			return false
		}
	}
	m := snap.Manifests[demoSource]
	return m == nil || len(m.Files) == 0
}

// backfillDemo writes generated history to Parquet files in a temporary
// directory and imports them with COPY telemetry FROM '<dir>/*.parquet',
// the backfill path straight into the master dataset.
func backfillDemo(ctx context.Context, s *Server, src *catalog.Source, cfg DemoConfig) error {
	start := time.Now()
	total := int64(cfg.Rate) * int64(cfg.Backfill/time.Second)
	total = max(min(total, maxBackfillEvents), 1)
	dir, err := os.MkdirTemp("", "lambdasql-demo-history-")
	if err != nil {
		return fmt.Errorf("demo: backfill: %w", err)
	}
	defer os.RemoveAll(dir)
	schema := batch.SourceSchema(src)
	gen := newDemoGenerator(cfg.Devices, 42)
	end := start.UTC()
	from := end.Add(-cfg.Backfill)
	span := end.Sub(from)
	var written int64
	for file := 0; written < total; file++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(total-written, backfillFileEvents)
		// Events are spread evenly over the history, in time order.
		b := newEventBuilder(schema)
		for i := int64(0); i < n; i++ {
			at := from.Add(time.Duration(float64(span) * float64(written+i) / float64(total)))
			ev := gen.event(at)
			b.add(&ev)
		}
		rec := b.record()
		path := filepath.Join(dir, fmt.Sprintf("history-%04d.parquet", file))
		_, err := batch.WriteParquetFileAtomic(path, schema, batch.WriteOptions{}, rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("demo: backfill: write %s: %w", path, err)
		}
		written += n
	}
	copySQL := fmt.Sprintf("COPY %s FROM '%s'", quoteIdent(src.Name), filepath.Join(dir, "*.parquet"))
	if _, _, err := s.internalQuery(ctx, copySQL, nil); err != nil {
		return fmt.Errorf("demo: backfill: %w", err)
	}
	// History denser than maxBackfillEvents allows is thinned out: say so,
	// since per-window counts then step up where the live stream begins.
	s.log.Info("demo: backfilled history", "events", written, "from", from.Format(time.RFC3339), "to", end.Format(time.RFC3339),
		"events_per_sec", math.Round(float64(written)/span.Seconds()*10)/10, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
