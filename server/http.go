package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"lambdasql/catalog"
	"lambdasql/sql/sqlstate"
)

// The HTTP endpoints on cfg.HTTP (loopback by default):
//
//	GET  /                        the status page (HTML, refreshes itself every 5 s)
//	GET  /metrics                 Prometheus metrics (text exposition format)
//	GET  /healthz                 200 "ok", or 503 with a JSON list of problems
//	GET  /grafana/dashboard.json  a Grafana dashboard over /metrics and the SQL port
//	POST /ingest/{source}         JSON events (NDJSON or one JSON array) into an embedded source
//
// Other methods on these paths get 405 with an Allow header.

const (
	// maxIngestBodyBytes bounds one POST /ingest body: larger batches are
	// refused with 413 before they are decoded.
	maxIngestBodyBytes = 64 << 20
	// ingestChunk is how many events one IngestJSON call takes, so a large
	// body is appended as several log entries instead of one huge record.
	ingestChunk = 10000
	// httpShutdownTimeout bounds how long stopHTTP waits for running
	// requests (a status page query, an ingest batch) to finish.
	httpShutdownTimeout = 5 * time.Second
)

// httpState is what a server's HTTP side holds. The Server struct has no
// field for it, so it lives in httpStates keyed by the server.
type httpState struct {
	srv   *http.Server
	ln    net.Listener
	m     *metrics
	page  *statusPage
	serve chan struct{} // closed when Serve returned
}

var httpStates sync.Map // *Server → *httpState

// startHTTP serves metrics, health, the status page, the Grafana dashboard
// and JSON ingest on cfg.HTTP, and installs the metrics observer so every
// query reports its duration, outcome and layers.
func (s *Server) startHTTP() error {
	ln, err := net.Listen("tcp", s.cfg.HTTP)
	if err != nil {
		return fmt.Errorf("listen on %s (HTTP): %w", s.cfg.HTTP, err)
	}
	m := newMetrics(s)
	// Sessions read s.obs per query; setting it under sessMu orders the
	// write before every session that NewSession registers afterwards.
	s.sessMu.Lock()
	s.obs = m
	s.sessMu.Unlock()
	m.start()
	st := &httpState{ln: ln, m: m, page: newStatusPage(s), serve: make(chan struct{})}
	st.srv = &http.Server{
		Handler:           s.httpHandler(st),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	httpStates.Store(s, st)
	go func() {
		defer close(st.serve)
		if err := st.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	}()
	s.log.Info("HTTP listening", "addr", ln.Addr().String(), "status_page", "http://"+ln.Addr().String()+"/")
	return nil
}

// stopHTTP stops the demo generator (if one runs), then the HTTP server,
// waiting up to httpShutdownTimeout for running requests, then the
// metrics goroutines. It is safe to call when HTTP was never started.
func (s *Server) stopHTTP() {
	stopDemo(s)
	v, ok := httpStates.LoadAndDelete(s)
	if !ok {
		return
	}
	st := v.(*httpState)
	ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := st.srv.Shutdown(ctx); err != nil {
		st.srv.Close()
	}
	<-st.serve
	st.m.stop()
}

// HTTPAddr returns the address the HTTP endpoints listen on ("" when HTTP
// is off or stopped); with cfg.HTTP on port 0 it names the chosen port.
func (s *Server) HTTPAddr() string {
	v, ok := httpStates.Load(s)
	if !ok {
		return ""
	}
	return v.(*httpState).ln.Addr().String()
}

func (s *Server) httpHandler(st *httpState) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(st.m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /grafana/dashboard.json", serveGrafanaDashboard)
	mux.HandleFunc("POST /ingest/{source}", func(w http.ResponseWriter, r *http.Request) { s.serveIngest(w, r, st.m) })
	mux.HandleFunc("GET /{$}", st.page.serve)
	return mux
}

// HealthProblem is one reason /healthz fails.
type HealthProblem struct {
	Kind   string `json:"kind"` // catalog, source, view
	Name   string `json:"name,omitempty"`
	Status string `json:"status"`
}

// startGrace is how long a new source or view may show as stopped (its
// creation is still starting it) before /healthz counts it as a problem.
var startGrace = time.Minute

// Health checks that the catalog answers and that no source or view
// reports an error. It returns the problems found (none: healthy).
func (s *Server) Health() []HealthProblem {
	if err := s.probeCatalog(); err != nil {
		return []HealthProblem{{Kind: "catalog", Status: err.Error()}}
	}
	sources, views := s.Status()
	return s.healthOf(sources, views)
}

// healthOf is Health over statuses the caller already has (after
// probeCatalog succeeded).
func (s *Server) healthOf(sources []SourceStatus, views []ViewStatus) []HealthProblem {
	var problems []HealthProblem
	snap := s.cat.Snapshot()
	for _, src := range sources {
		if !unhealthyStatus(src.Status) {
			continue
		}
		if src.Status == "stopped" {
			if c := snap.Sources[src.Name]; c != nil && time.Since(c.Created) < startGrace {
				continue
			}
		}
		problems = append(problems, HealthProblem{Kind: "source", Name: src.Name, Status: src.Status})
	}
	for _, v := range views {
		if !v.Lambda || !unhealthyStatus(v.Status) {
			continue
		}
		if strings.HasPrefix(v.Status, "stopped") && viewStarting(v, snap.Views[v.Name]) {
			continue
		}
		problems = append(problems, HealthProblem{Kind: "view", Name: v.Name, Status: v.Status})
	}
	return problems
}

// viewStarting reports whether a stopped view is still being created: its
// first batch run is running or it was created moments ago.
func viewStarting(v ViewStatus, cv *catalog.View) bool {
	if v.LastRun != nil && v.LastRun.Status == "running" {
		return true
	}
	return cv != nil && time.Since(cv.Created) < startGrace
}

// probeCatalog reads the catalog store once (an empty key range), so a
// closed or broken store shows up as an error.
func (s *Server) probeCatalog() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("catalog store: %v", r)
		}
	}()
	if s.cat.Snapshot() == nil {
		return errors.New("catalog has no snapshot")
	}
	if _, _, err := s.cat.Rejected("\x00health", 1); err != nil {
		return fmt.Errorf("catalog store: %w", err)
	}
	return nil
}

// unhealthyStatus reports whether a SourceStatus or ViewStatus status
// names a failure. "ok", "starting" and ordinary views are healthy;
// "stopped" means the catalog has the object but nothing runs it.
func unhealthyStatus(status string) bool {
	switch {
	case status == "ok", status == "starting", status == "ordinary view",
		strings.HasPrefix(status, "ok ("), strings.HasPrefix(status, "starting ("):
		return false
	}
	return true
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	problems := s.Health()
	if len(problems) == 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unhealthy", "problems": problems})
}

// ingestReply is the JSON body POST /ingest answers with.
type ingestReply struct {
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Error    string `json:"error,omitempty"`
	Code     string `json:"code,omitempty"` // SQLSTATE of Error
}

// serveIngest appends newline-delimited JSON events (or one JSON array of
// events) to an embedded source. Malformed events are not an HTTP error:
// they land in lambda_rejected and count as rejected. Only loopback
// clients may ingest: like the trusted SQL login, the endpoint has no
// authentication of its own.
func (s *Server) serveIngest(w http.ResponseWriter, r *http.Request, m *metrics) {
	source := r.PathValue("source")
	if !loopbackRequest(r) {
		writeJSON(w, http.StatusForbidden, ingestReply{Error: "ingest is accepted from loopback clients only", Code: pgerrcode.InsufficientPrivilege})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIngestBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, ingestReply{Error: fmt.Sprintf("the body exceeds %d bytes: send smaller batches", int64(maxIngestBodyBytes)), Code: sqlstate.ProgramLimitExceeded})
			return
		}
		writeJSON(w, http.StatusBadRequest, ingestReply{Error: "read the body: " + err.Error()})
		return
	}
	payloads, err := splitEvents(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ingestReply{Error: err.Error(), Code: sqlstate.InvalidTextRepresentation})
		return
	}
	var reply ingestReply
	for len(payloads) > 0 {
		n := min(len(payloads), ingestChunk)
		acc, rej, err := s.IngestJSON(r.Context(), source, payloads[:n])
		payloads = payloads[n:]
		reply.Accepted += acc
		reply.Rejected += rej
		m.ingested.WithLabelValues(source, "accepted").Add(float64(acc))
		m.ingested.WithLabelValues(source, "rejected").Add(float64(rej))
		if err != nil {
			reply.Error, reply.Code = err.Error(), sqlstate.CodeOf(err)
			writeJSON(w, ingestStatus(reply.Code), reply)
			return
		}
	}
	writeJSON(w, http.StatusOK, reply)
}

// ingestStatus maps an IngestJSON failure to an HTTP status.
func ingestStatus(code string) int {
	switch code {
	case sqlstate.UndefinedTable:
		return http.StatusNotFound
	case sqlstate.FeatureNotSupported, sqlstate.WrongObjectType:
		return http.StatusConflict
	case sqlstate.AdminShutdown, sqlstate.QueryCanceled:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// splitEvents splits an ingest body into one payload per event: a body
// whose first non-blank byte is '[' is a JSON array (it must be valid
// JSON as a whole); anything else is newline-delimited, one event per
// non-blank line, and a malformed line is just a rejected event.
func splitEvents(body []byte) ([][]byte, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("invalid JSON array: %v", err)
		}
		var out [][]byte
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fmt.Errorf("invalid JSON array at event %d: %v (send newline-delimited JSON to have malformed events recorded instead)", len(out)+1, err)
			}
			out = append(out, raw)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("invalid JSON array: %v", err)
		}
		if rest := bytes.TrimSpace(trimmed[dec.InputOffset():]); len(rest) > 0 {
			return nil, errors.New("invalid JSON array: data after the closing bracket")
		}
		return out, nil
	}
	var out [][]byte
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out, nil
}

func loopbackRequest(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
