package server

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"lambdasql/catalog"
	"lambdasql/sql/sqlstate"
)

// Metric families. Gauges and totals that describe sources and views are
// computed at scrape time from Status(); counters and histograms of events
// (queries, end-to-end latency, batch runs) are fed as they happen.
//
// Labels: source (a source's name), view (a view's name), layer (batch,
// speed, both or none: which layers of lambda views a query read), outcome
// (ok, error, canceled) and status (a batch run's final status).

// Histogram buckets, in seconds.
var (
	queryBuckets   = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	runBuckets     = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
)

// metrics is a server's Prometheus instrumentation: a private registry
// (never the global one, so several servers in one process — tests — do
// not collide) holding the Go and process collectors, the scrape-time
// status collector and the event-fed vectors. It implements observer.
type metrics struct {
	srv *Server
	reg *prometheus.Registry

	queryDur *prometheus.HistogramVec // layer, outcome
	queries  *prometheus.CounterVec   // layer, outcome
	e2e      *prometheus.HistogramVec // view
	ingested *prometheus.CounterVec   // source, result: events through POST /ingest

	status *statusCollector

	// Latency drains: one goroutine per running lambda view reads its
	// ViewLatencies channel into e2e.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	drains map[string]*latencyDrain // view → drain; owned by the manager goroutine
}

// latencyDrain reads one view generation's latency channel.
type latencyDrain struct {
	ch   <-chan time.Duration
	stop chan struct{}
}

// newMetrics builds the registry of s. Call start to begin draining
// latency samples and stop to end it.
func newMetrics(s *Server) *metrics {
	m := &metrics{
		srv:    s,
		reg:    prometheus.NewRegistry(),
		drains: map[string]*latencyDrain{},
		queryDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lambdasql_query_duration_seconds",
			Help:    "Duration of queries returning rows, from execution start to the last row, by the lambda-view layers they read (batch, speed, both, none) and outcome.",
			Buckets: queryBuckets,
		}, []string{"layer", "outcome"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lambdasql_queries_total",
			Help: "Queries returning rows, by the lambda-view layers they read (batch, speed, both, none) and outcome (ok, error, canceled).",
		}, []string{"layer", "outcome"}),
		e2e: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lambdasql_view_end_to_end_latency_seconds",
			Help:    "Time from an event's acknowledgement to its visibility in the view's speed layer (sampled per log entry).",
			Buckets: latencyBuckets,
		}, []string{"view"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lambdasql_http_ingest_events_total",
			Help: "Events received through POST /ingest/<source>, by result (accepted, rejected).",
		}, []string{"source", "result"}),
	}
	m.status = newStatusCollector(s)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.queryDur, m.queries, m.e2e, m.ingested, m.status,
	)
	// Every layer/outcome pair exists from the start, so rate() and the
	// dashboard see zeros instead of missing series.
	for _, l := range []string{"batch", "speed", "both", "none"} {
		for _, o := range []string{"ok", "error", "canceled"} {
			m.queries.WithLabelValues(l, o)
		}
	}
	return m
}

// QueryDone implements observer.
func (m *metrics) QueryDone(d time.Duration, err error, layers []string) {
	layer := layerLabel(layers)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if isCanceled(err) {
			outcome = "canceled"
		}
	}
	m.queryDur.WithLabelValues(layer, outcome).Observe(d.Seconds())
	m.queries.WithLabelValues(layer, outcome).Inc()
}

// layerLabel names the layers a query read: batch, speed, both or none
// (no lambda view, or a view with no published batch version read in
// batch mode).
func layerLabel(layers []string) string {
	var b, s bool
	for _, l := range layers {
		switch l {
		case "batch":
			b = true
		case "speed":
			s = true
		}
	}
	switch {
	case b && s:
		return "both"
	case b:
		return "batch"
	case s:
		return "speed"
	}
	return "none"
}

func isCanceled(err error) bool { return sqlstate.CodeOf(err) == sqlstate.QueryCanceled }

// start begins draining the latency samples of every running lambda view.
func (m *metrics) start() {
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		// One watcher for the server's life: the catalog keeps every
		// channel Watch returns, and this one receives after each update.
		watch := m.srv.cat.Watch()
		for {
			m.syncDrains()
			m.sampleRates()
			select {
			case <-m.ctx.Done():
				for name, d := range m.drains {
					close(d.stop)
					delete(m.drains, name)
				}
				return
			case <-tick.C:
			case <-watch: // a view was created, replaced or dropped, or B moved
			}
		}
	}()
}

// stop ends the drains and waits for them. It may be called once, after
// start.
func (m *metrics) stop() {
	if m.cancel != nil {
		m.cancel()
		m.wg.Wait()
	}
}

// sampleRates feeds each source's events-per-second window once per
// manager tick, so events/s is meaningful on the first scrape or page view
// (the window is otherwise sampled only when Status is called).
func (m *metrics) sampleRates() {
	e := m.srv.engine
	e.mu.Lock()
	rts := make([]*sourceRT, 0, len(e.sources))
	for _, rt := range e.sources {
		rts = append(rts, rt)
	}
	e.mu.Unlock()
	for _, rt := range rts {
		rt.stats.rate(rt.stats.events.Load())
	}
}

// syncDrains starts a drain for every running lambda view generation
// whose latency channel is not drained yet and stops those of views that
// are gone; it runs on the manager goroutine only.
func (m *metrics) syncDrains() {
	snap := m.srv.cat.Snapshot()
	seen := map[string]bool{}
	for _, name := range snap.ViewNames() {
		v := snap.Views[name]
		if !v.Lambda {
			continue
		}
		ch := m.srv.ViewLatencies(name)
		if ch == nil {
			continue
		}
		seen[name] = true
		if d := m.drains[name]; d != nil {
			if d.ch == ch {
				continue
			}
			close(d.stop) // the view was rebuilt: a new speed layer, a new channel
		}
		d := &latencyDrain{ch: ch, stop: make(chan struct{})}
		m.drains[name] = d
		obs := m.e2e.WithLabelValues(name)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			for {
				select {
				case <-d.stop:
					return
				case lat := <-d.ch:
					obs.Observe(lat.Seconds())
				}
			}
		}()
	}
	for name, d := range m.drains {
		if !seen[name] {
			close(d.stop)
			delete(m.drains, name)
			if _, exists := snap.Views[name]; !exists {
				m.e2e.DeleteLabelValues(name)
			}
		}
	}
}

// statusCollector turns Status(), the batch run history and the wire
// counters into metrics at scrape time. Batch run histograms and counters
// are fed from the run history: a cursor per view remembers the last
// finished run counted, so each run is observed once per process.
type statusCollector struct {
	srv *Server

	mu      sync.Mutex // serializes syncRuns
	cursors map[string]runCursor
	runDur  *prometheus.HistogramVec // view
	runs    *prometheus.CounterVec   // view, status
	rowsIn  *prometheus.CounterVec   // view
	rowsOut *prometheus.CounterVec   // view

	descs []*prometheus.Desc
	d     statusDescs
}

type runCursor struct {
	id      int64
	started time.Time
}

type statusDescs struct {
	buildInfo *prometheus.Desc

	srcInfo, srcUp, srcPartitions, srcEvents, srcRate, srcBacklog, srcRejected *prometheus.Desc
	srcWatermark, srcMasterFiles, srcMasterRows                                *prometheus.Desc

	viewInfo, viewUp, viewB, viewFresh, viewWatermark, viewLag, viewWindows, viewStateBytes *prometheus.Desc
	viewSpeedRows, viewLate, viewOOO, viewOOOShare, viewVersion, viewBatchFiles             *prometheus.Desc
	lastRunRowsIn, lastRunRowsOut, lastRunDuration, lastSuccess                             *prometheus.Desc

	connActive, connAccepted, connRejected, authFailures, cancels, statements, errors, bytesIn, bytesOut *prometheus.Desc
}

func newStatusCollector(s *Server) *statusCollector {
	src := []string{"source"}
	view := []string{"view"}
	d := statusDescs{
		buildInfo: prometheus.NewDesc("lambdasql_build_info", "Always 1; labels name the lambdasql version and the PostgreSQL version it reports.", []string{"version", "server_version"}, nil),

		srcInfo:        prometheus.NewDesc("lambdasql_source_info", "Always 1 for each source; labels name its connector.", []string{"source", "connector"}, nil),
		srcUp:          prometheus.NewDesc("lambdasql_source_up", "1 when the source's log and capture are healthy, 0 otherwise (see the status page or lambda_sources for why).", src, nil),
		srcPartitions:  prometheus.NewDesc("lambdasql_source_partitions", "Partitions of the source's log.", src, nil),
		srcEvents:      prometheus.NewDesc("lambdasql_source_events_total", "Events accepted by the source since the server started.", src, nil),
		srcRate:        prometheus.NewDesc("lambdasql_source_events_per_second", "Events accepted per second over the last minute.", src, nil),
		srcBacklog:     prometheus.NewDesc("lambdasql_source_backlog_events", "Events acknowledged but not yet captured into the master dataset.", src, nil),
		srcRejected:    prometheus.NewDesc("lambdasql_source_rejected_events_total", "Malformed events recorded in lambda_rejected for the source.", src, nil),
		srcWatermark:   prometheus.NewDesc("lambdasql_source_stream_watermark_seconds", "The source's stream watermark (max event time − lateness), as Unix seconds.", src, nil),
		srcMasterFiles: prometheus.NewDesc("lambdasql_source_master_files", "Parquet files in the source's master dataset.", src, nil),
		srcMasterRows:  prometheus.NewDesc("lambdasql_source_master_rows", "Rows in the source's master dataset.", src, nil),

		viewInfo:       prometheus.NewDesc("lambdasql_view_info", "Always 1 for each lambda view; labels name its source and window.", []string{"view", "source", "window"}, nil),
		viewUp:         prometheus.NewDesc("lambdasql_view_up", "1 when the view's speed layer runs without error, 0 otherwise.", view, nil),
		viewB:          prometheus.NewDesc("lambdasql_view_batch_watermark_seconds", "The view's batch watermark B, as Unix seconds: the batch layer is complete for windows ending at or before it.", view, nil),
		viewFresh:      prometheus.NewDesc("lambdasql_view_freshness_seconds", "Data freshness of the batch layer: now − B.", view, nil),
		viewWatermark:  prometheus.NewDesc("lambdasql_view_stream_watermark_seconds", "The view's stream watermark in the speed layer, as Unix seconds.", view, nil),
		viewLag:        prometheus.NewDesc("lambdasql_view_processing_lag_seconds", "Time between the acknowledgement of the last event the speed layer folded and when it folded it.", view, nil),
		viewWindows:    prometheus.NewDesc("lambdasql_view_speed_windows", "Windows held in the speed layer's state.", view, nil),
		viewStateBytes: prometheus.NewDesc("lambdasql_view_speed_state_bytes", "Approximate bytes of the speed layer's window state.", view, nil),
		viewSpeedRows:  prometheus.NewDesc("lambdasql_view_speed_rows_total", "Rows folded into the speed layer (after the view's WHERE).", view, nil),
		viewLate:       prometheus.NewDesc("lambdasql_view_late_events_total", "Events the speed layer dropped because their window had closed (the batch layer still counts them).", view, nil),
		viewOOO:        prometheus.NewDesc("lambdasql_view_out_of_order_events_total", "Events older than the newest event already seen on their partition.", view, nil),
		viewOOOShare:   prometheus.NewDesc("lambdasql_view_out_of_order_ratio", "Out-of-order events as a share of the events the speed layer processed (0–1).", view, nil),
		viewVersion:    prometheus.NewDesc("lambdasql_view_batch_version", "The published batch view version.", view, nil),
		viewBatchFiles: prometheus.NewDesc("lambdasql_view_batch_files", "Parquet files of the published batch view version.", view, nil),

		lastRunRowsIn:   prometheus.NewDesc("lambdasql_batch_last_run_rows_in", "Master dataset rows read by the view's last finished batch run.", view, nil),
		lastRunRowsOut:  prometheus.NewDesc("lambdasql_batch_last_run_rows_out", "Rows written by the view's last finished batch run.", view, nil),
		lastRunDuration: prometheus.NewDesc("lambdasql_batch_last_run_duration_seconds", "Duration of the view's last finished batch run.", view, nil),
		lastSuccess:     prometheus.NewDesc("lambdasql_batch_last_success_timestamp_seconds", "When the view's last successful batch run finished, as Unix seconds.", view, nil),

		connActive:   prometheus.NewDesc("lambdasql_connections_active", "Client connections open now.", nil, nil),
		connAccepted: prometheus.NewDesc("lambdasql_connections_accepted_total", "TCP connections accepted on the PostgreSQL port.", nil, nil),
		connRejected: prometheus.NewDesc("lambdasql_connections_rejected_total", "Connections closed before a session started (too many clients, failed authentication, protocol errors).", nil, nil),
		authFailures: prometheus.NewDesc("lambdasql_auth_failures_total", "Failed authentication attempts.", nil, nil),
		cancels:      prometheus.NewDesc("lambdasql_cancel_requests_total", "CancelRequest packets received.", nil, nil),
		statements:   prometheus.NewDesc("lambdasql_statements_total", "Statements executed over the PostgreSQL protocol.", nil, nil),
		errors:       prometheus.NewDesc("lambdasql_error_responses_total", "ErrorResponse messages sent to clients.", nil, nil),
		bytesIn:      prometheus.NewDesc("lambdasql_network_received_bytes_total", "PostgreSQL protocol bytes received.", nil, nil),
		bytesOut:     prometheus.NewDesc("lambdasql_network_sent_bytes_total", "PostgreSQL protocol bytes sent.", nil, nil),
	}
	c := &statusCollector{
		srv:     s,
		cursors: map[string]runCursor{},
		d:       d,
		runDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lambdasql_batch_run_duration_seconds",
			Help:    "Duration of batch runs that did work (succeeded or failed; skipped runs found nothing new).",
			Buckets: runBuckets,
		}, []string{"view"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lambdasql_batch_runs_total",
			Help: "Finished batch runs by status (succeeded, failed, skipped): the success rate is succeeded / (succeeded + failed).",
		}, []string{"view", "status"}),
		rowsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lambdasql_batch_rows_in_total",
			Help: "Master dataset rows read by finished batch runs.",
		}, []string{"view"}),
		rowsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lambdasql_batch_rows_out_total",
			Help: "Batch view rows written by finished batch runs.",
		}, []string{"view"}),
	}
	c.descs = []*prometheus.Desc{d.buildInfo,
		d.srcInfo, d.srcUp, d.srcPartitions, d.srcEvents, d.srcRate, d.srcBacklog, d.srcRejected, d.srcWatermark, d.srcMasterFiles, d.srcMasterRows,
		d.viewInfo, d.viewUp, d.viewB, d.viewFresh, d.viewWatermark, d.viewLag, d.viewWindows, d.viewStateBytes,
		d.viewSpeedRows, d.viewLate, d.viewOOO, d.viewOOOShare, d.viewVersion, d.viewBatchFiles,
		d.lastRunRowsIn, d.lastRunRowsOut, d.lastRunDuration, d.lastSuccess,
		d.connActive, d.connAccepted, d.connRejected, d.authFailures, d.cancels, d.statements, d.errors, d.bytesIn, d.bytesOut}
	return c
}

// Describe implements prometheus.Collector.
func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	c.runDur.Describe(ch)
	c.runs.Describe(ch)
	c.rowsIn.Describe(ch)
	c.rowsOut.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	d := &c.d
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	counter := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v, labels...)
	}
	gauge(d.buildInfo, 1, Version, ServerVersion)

	sources, views := c.srv.Status()
	for _, s := range sources {
		gauge(d.srcInfo, 1, s.Name, connectorName(s.Connector))
		gauge(d.srcUp, boolFloat(!unhealthyStatus(s.Status)), s.Name)
		gauge(d.srcPartitions, float64(s.Partitions), s.Name)
		counter(d.srcEvents, float64(s.Events), s.Name)
		gauge(d.srcRate, s.EventsPerSec, s.Name)
		gauge(d.srcBacklog, float64(s.Backlog), s.Name)
		counter(d.srcRejected, float64(s.Rejected), s.Name)
		if s.HasWatermark {
			gauge(d.srcWatermark, unixSeconds(s.Watermark), s.Name)
		}
		gauge(d.srcMasterFiles, float64(s.MasterFiles), s.Name)
		gauge(d.srcMasterRows, float64(s.MasterRows), s.Name)
	}
	lambda := map[string]bool{}
	for _, v := range views {
		if !v.Lambda {
			continue
		}
		lambda[v.Name] = true
		gauge(d.viewInfo, 1, v.Name, v.Source, v.Window)
		gauge(d.viewUp, boolFloat(!unhealthyStatus(v.Status)), v.Name)
		if v.HasB {
			gauge(d.viewB, unixSeconds(v.B), v.Name)
			gauge(d.viewFresh, v.Freshness.Seconds(), v.Name)
		}
		if v.HasWatermark {
			gauge(d.viewWatermark, unixSeconds(v.StreamWatermark), v.Name)
		}
		gauge(d.viewLag, v.SpeedLag.Seconds(), v.Name)
		gauge(d.viewWindows, float64(v.SpeedWindows), v.Name)
		gauge(d.viewStateBytes, float64(v.SpeedStateBytes), v.Name)
		counter(d.viewSpeedRows, float64(v.SpeedRows), v.Name)
		counter(d.viewLate, float64(v.LateEvents), v.Name)
		counter(d.viewOOO, float64(v.OutOfOrder), v.Name)
		gauge(d.viewOOOShare, outOfOrderShare(v), v.Name)
		gauge(d.viewVersion, float64(v.BatchVersion), v.Name)
		gauge(d.viewBatchFiles, float64(v.BatchFiles), v.Name)
	}

	last := c.syncRuns(lambda)
	for view, r := range last {
		if r.finished != nil {
			gauge(d.lastRunRowsIn, float64(r.finished.RowsIn), view)
			gauge(d.lastRunRowsOut, float64(r.finished.RowsOut), view)
			gauge(d.lastRunDuration, r.finished.Finished.Sub(r.finished.Started).Seconds(), view)
		}
		if r.success != nil {
			gauge(d.lastSuccess, unixSeconds(r.success.Finished), view)
		}
	}
	c.runDur.Collect(ch)
	c.runs.Collect(ch)
	c.rowsIn.Collect(ch)
	c.rowsOut.Collect(ch)

	if w := c.srv.wire; w != nil {
		st := w.Stats()
		gauge(d.connActive, float64(st.ConnectionsActive))
		counter(d.connAccepted, float64(st.ConnectionsAccepted))
		counter(d.connRejected, float64(st.ConnectionsRejected))
		counter(d.authFailures, float64(st.AuthFailures))
		counter(d.cancels, float64(st.CancelRequests))
		counter(d.statements, float64(st.Statements))
		counter(d.errors, float64(st.Errors))
		counter(d.bytesIn, float64(st.BytesIn))
		counter(d.bytesOut, float64(st.BytesOut))
	}
}

// lastRuns is a view's most recent finished and successful runs.
type lastRuns struct {
	finished, success *catalog.BatchRun
}

// syncRuns feeds every run finished since the last scrape into the run
// vectors and returns the latest finished and successful run per lambda
// view. Series of views that no longer exist are deleted.
func (c *statusCollector) syncRuns(lambda map[string]bool) map[string]lastRuns {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]lastRuns{}
	runs, err := c.srv.cat.Runs("")
	if err != nil {
		return out
	}
	byView := map[string][]catalog.BatchRun{}
	for _, r := range runs {
		byView[r.View] = append(byView[r.View], r)
	}
	for view, rs := range byView {
		// rs is in run id order.
		cur := c.cursors[view]
		if cur.id > 0 {
			// A dropped and recreated view numbers its runs from 1 again:
			// the run under the cursor is then another run (or gone).
			same := false
			for _, r := range rs {
				if r.RunID == cur.id {
					same = r.Started.Equal(cur.started)
					break
				}
			}
			if !same {
				cur = runCursor{}
			}
		}
		var lr lastRuns
		for i := range rs {
			r := &rs[i]
			if r.Status == "running" {
				// Later runs cannot have finished before this one
				// (a view's runs are serialized).
				break
			}
			lr.finished = r
			if r.Status == "succeeded" {
				lr.success = r
			}
			if r.RunID <= cur.id {
				continue
			}
			cur = runCursor{id: r.RunID, started: r.Started}
			c.runs.WithLabelValues(view, r.Status).Inc()
			if r.Status == "skipped" {
				continue
			}
			c.runDur.WithLabelValues(view).Observe(r.Finished.Sub(r.Started).Seconds())
			c.rowsIn.WithLabelValues(view).Add(float64(r.RowsIn))
			c.rowsOut.WithLabelValues(view).Add(float64(r.RowsOut))
		}
		c.cursors[view] = cur
		if lambda[view] {
			out[view] = lr
		}
	}
	for view := range c.cursors {
		if _, ok := byView[view]; !ok && !lambda[view] {
			delete(c.cursors, view)
			c.runDur.DeleteLabelValues(view)
			c.rowsIn.DeleteLabelValues(view)
			c.rowsOut.DeleteLabelValues(view)
			for _, st := range []string{"succeeded", "failed", "skipped"} {
				c.runs.DeleteLabelValues(view, st)
			}
		}
	}
	return out
}

// outOfOrderShare is the view's out-of-order events over the events its
// speed layer processed, clamped to [0, 1] (the out-of-order count is
// taken before the view's WHERE, the row count after it).
func outOfOrderShare(v ViewStatus) float64 {
	total := v.SpeedRows + v.LateEvents
	if v.OutOfOrder > total {
		total = v.OutOfOrder
	}
	if total == 0 {
		return 0
	}
	return float64(v.OutOfOrder) / float64(total)
}

func connectorName(c string) string {
	if c == "" {
		return "embedded"
	}
	return c
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
