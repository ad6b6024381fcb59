package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestDemoEndToEnd builds the binary and runs `lambdasql demo` as a user
// would: both layers of device_metrics fill, /healthz and /metrics
// answer, SIGTERM exits 0, and a restart on the same data directory keeps
// every event and keeps ingesting.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "lambdasql")
	buildCtx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(buildCtx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	pgAddr, httpAddr := freeAddr(t), freeAddr(t)
	args := []string{"demo", "--data", data, "--listen", pgAddr, "--http", httpAddr,
		"--demo-rate", "500", "--demo-devices", "200", "--demo-backfill", "30m"}

	p := startProc(t, bin, args...)
	conn := p.connect(t, pgAddr, 60*time.Second)
	// Both layers of device_metrics serve rows.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var batch, speed int64
		err := queryRow(conn, `SELECT count(*) FILTER (WHERE _layer = 'batch'), count(*) FILTER (WHERE _layer = 'speed') FROM device_metrics`, &batch, &speed)
		if err == nil && batch > 0 && speed > 0 {
			break
		}
		if time.Now().After(deadline) {
			p.fail(t, "device_metrics: batch %d speed %d rows after 60 s (last error: %v)", batch, speed, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The instructions are printed once every demo object exists.
	for {
		out := p.stdout()
		if strings.Contains(out, "psql -h 127.0.0.1 -p "+portOf(pgAddr)+" -U lambdasql") &&
			strings.Contains(out, "http://"+httpAddr+"/") && strings.Contains(out, "lambda_rejected") {
			break
		}
		if time.Now().After(deadline) {
			p.fail(t, "the demo's instructions are missing from stdout:\n%s", out)
		}
		time.Sleep(250 * time.Millisecond)
	}

	code, body := httpGet(t, "http://"+httpAddr+"/healthz")
	if code != http.StatusOK {
		p.fail(t, "/healthz = %d %s", code, body)
	}
	code, body = httpGet(t, "http://"+httpAddr+"/metrics")
	if code != http.StatusOK {
		p.fail(t, "/metrics = %d", code)
	}
	for _, name := range []string{
		"lambdasql_source_events_total", "lambdasql_source_events_per_second", "lambdasql_source_backlog_events",
		"lambdasql_source_rejected_events_total", "lambdasql_view_freshness_seconds", "lambdasql_view_batch_watermark_seconds",
		"lambdasql_view_stream_watermark_seconds", "lambdasql_batch_run_duration_seconds_bucket", "lambdasql_batch_runs_total",
		"lambdasql_view_late_events_total", "lambdasql_view_out_of_order_ratio", "lambdasql_query_duration_seconds_bucket",
		"lambdasql_connections_active", `view="device_metrics"`, `source="telemetry"`,
	} {
		if !strings.Contains(body, name) {
			p.fail(t, "/metrics lacks %s", name)
		}
	}
	if code, body := httpGet(t, "http://"+httpAddr+"/"); code != http.StatusOK || !strings.Contains(body, "device_metrics") {
		p.fail(t, "status page = %d", code)
	}

	var before int64
	if err := queryRow(conn, `SELECT count(*) FROM telemetry`, &before); err != nil {
		p.fail(t, "count: %v", err)
	}
	conn.Close(context.Background())
	p.stop(t, 15*time.Second)

	// Restart on the same data directory.
	p = startProc(t, bin, args...)
	conn = p.connect(t, pgAddr, 60*time.Second)
	var after int64
	if err := queryRow(conn, `SELECT count(*) FROM telemetry`, &after); err != nil {
		p.fail(t, "count after restart: %v", err)
	}
	if after < before {
		p.fail(t, "count(*) FROM telemetry = %d after the restart, %d before: events were lost", after, before)
	}
	// The generator resumed and its events are visible.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var now int64
		err := queryRow(conn, `SELECT count(*) FROM telemetry`, &now)
		if err == nil && now > after {
			break
		}
		if time.Now().After(deadline) {
			p.fail(t, "count(*) FROM telemetry stayed at %d for 30 s after the restart (err %v): events ingested after a restart are not visible", after, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	conn.Close(context.Background())
	p.stop(t, 15*time.Second)
}

// proc is a running lambdasql process; it is killed at cleanup if the
// test did not stop it.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	err  bytes.Buffer
	done chan struct{}
	werr error
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout = lockedWriter{&p.mu, &p.out}
	p.cmd.Stderr = lockedWriter{&p.mu, &p.err}
	p.cmd.Env = append(os.Environ(), "LAMBDASQL_LOG_LEVEL=info")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.werr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.err.String()
	if len(s) > 8000 {
		s = "…" + s[len(s)-8000:]
	}
	return s
}

// fail kills the process and fails the test with its log.
func (p *proc) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
	t.Fatalf("%s\n--- lambdasql log ---\n%s", fmt.Sprintf(format, args...), p.logs())
}

// connect waits until the server accepts a connection.
func (p *proc) connect(t *testing.T, addr string, d time.Duration) *pgx.Conn {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		select {
		case <-p.done:
			p.fail(t, "lambdasql exited early: %v", p.werr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", addr))
		cancel()
		if err == nil {
			return conn
		}
		if time.Now().After(deadline) {
			p.fail(t, "cannot connect to %s within %s: %v", addr, d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires exit status 0 within d.
func (p *proc) stop(t *testing.T, d time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.fail(t, "SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(d):
		p.fail(t, "lambdasql did not exit within %s of SIGTERM", d)
	}
	if p.werr != nil {
		var ee *exec.ExitError
		if errors.As(p.werr, &ee) {
			t.Fatalf("lambdasql exited with %v after SIGTERM\n%s", ee, p.logs())
		}
		t.Fatal(p.werr)
	}
}

func queryRow(conn *pgx.Conn, q string, dest ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return conn.QueryRow(ctx, q).Scan(dest...)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func TestPrintDemoHelp(t *testing.T) {
	var b bytes.Buffer
	printDemoHelp(&b, "127.0.0.1:6543", "127.0.0.1:9090")
	out := b.String()
	for _, want := range []string{"psql -h 127.0.0.1 -p 6543 -U lambdasql", "http://127.0.0.1:9090/", "_layer", "FROM lambda_views", "FROM lambda_rejected"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo help lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printDemoHelp(&b, "127.0.0.1:6543", "")
	if strings.Contains(b.String(), "Status page") {
		t.Error("the help names a status page with HTTP off")
	}
}
