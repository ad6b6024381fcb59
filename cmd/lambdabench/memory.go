package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/jackc/pgx/v5"

	"lambdasql/batch"
)

func isCheck(err error) bool { return errors.Is(err, errCheck) }

// short returns the start of a statement for error messages.
func short(q string) string {
	s := oneLine(q)
	if len(s) > 48 {
		s = s[:48] + "…"
	}
	return s
}

// subprocServer is bin/lambdasql serve running as a child process.
type subprocServer struct {
	cmd  *exec.Cmd
	dir  string
	url  string
	done chan error
}

func startSubproc(ctx context.Context, bin string) (*subprocServer, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("lambdasql binary %s: %w (run make build)", bin, err)
	}
	dir, err := os.MkdirTemp("", "lambdabench-serve-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "--data", filepath.Join(dir, "data"), "--listen", addr, "--http", "", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	s := &subprocServer{cmd: cmd, dir: dir, url: fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", addr), done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	err = waitFor(ctx, 60*time.Second, 50*time.Millisecond, "lambdasql to listen", func() (bool, error) {
		select {
		case err := <-s.done:
			s.done <- err
			return false, fmt.Errorf("lambdasql exited: %v\n%s", err, s.logTail())
		default:
		}
		c, err := pgx.Connect(ctx, s.url)
		if err != nil {
			return false, nil
		}
		c.Close(ctx)
		return true, nil
	})
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *subprocServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop sends SIGTERM, waits for a clean exit (killing after 60 s) and
// removes the data directory. It reports whether the exit was clean.
func (s *subprocServer) stop() (clean bool, took time.Duration) {
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		clean = err == nil
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	took = time.Since(start)
	os.RemoveAll(s.dir)
	return clean, took
}

// rss returns the process's resident set size and its peak, in bytes.
func (s *subprocServer) rss() (cur, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = v << 10
		case "VmHWM:":
			peak = v << 10
		}
	}
	return cur, peak, nil
}

// memoryBench runs bin/lambdasql serve, gives it an hour of telemetry
// from 10k devices (most backfilled from Parquet, the last minutes through
// COPY and a live trickle) with the demo's source and views, and reports
// the server's RSS along the way.
func memoryBench(ctx context.Context, o lambdaOpts) error {
	section(fmt.Sprintf("lambda (d): memory of bin/lambdasql serve with %d devices, 1-minute windows, one hour at %d events/s", numDevices, o.rssRate))
	srv, err := startSubproc(ctx, o.server)
	if err != nil {
		fmt.Printf("skipped: %v\n", err)
		return nil
	}
	clean := false
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	conn, err := pgx.Connect(ctx, srv.url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var t table
	t.add("after", "RSS", "peak RSS", "device_metrics speed state", "rows in device_metrics")
	mark := func(what string) error {
		cur, peak, err := srv.rss()
		if err != nil {
			return err
		}
		state, rows := "–", "–"
		var sb, n int64
		if conn.QueryRow(ctx, "SELECT speed_state_bytes FROM lambda_views WHERE name = 'device_metrics'").Scan(&sb) == nil {
			state = fmt.Sprintf("%.1f MiB", float64(sb)/(1<<20))
		}
		if conn.QueryRow(ctx, "SELECT count(*) FROM device_metrics").Scan(&n) == nil {
			rows = fmt.Sprint(n)
		}
		t.add(what, fmt.Sprintf("%.0f MiB", float64(cur)/(1<<20)), fmt.Sprintf("%.0f MiB", float64(peak)/(1<<20)), state, rows)
		return nil
	}
	if err := mark("start (empty data directory)"); err != nil {
		return err
	}
	for _, q := range append([]string{demoSourceSQL}, demoViewsSQL...) {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", short(q), err)
		}
	}
	now := time.Now().Truncate(time.Minute)
	hourStart := now.Add(-time.Hour)
	liveFrom := now.Add(-5 * time.Minute)
	// Backfill: [now-1h, now-5m) from Parquet straight into the master dataset.
	bfDir := filepath.Join(srv.dir, "backfill")
	bfRows := int64(liveFrom.Sub(hourStart).Seconds()) * int64(o.rssRate)
	start := time.Now()
	if err := writeBackfill(bfDir, bfRows, hourStart.UnixMicro(), liveFrom.Sub(hourStart)); err != nil {
		return err
	}
	fmt.Printf("generated %d events of backfill in %.1f s\n", bfRows, time.Since(start).Seconds())
	start = time.Now()
	tag, err := conn.Exec(ctx, fmt.Sprintf("COPY telemetry FROM '%s'", filepath.Join(bfDir, "*.parquet")))
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	if tag.RowsAffected() != bfRows {
		return fmt.Errorf("%w: backfill imported %d rows of %d", errCheck, tag.RowsAffected(), bfRows)
	}
	fmt.Printf("backfilled %d events in %.1f s\n", bfRows, time.Since(start).Seconds())
	start = time.Now()
	if err := refreshAll(ctx, conn); err != nil {
		return err
	}
	fmt.Printf("REFRESH VIEW of the three views over the backfill took %.1f s\n", time.Since(start).Seconds())
	if err := mark("backfill of 55 min, REFRESH VIEW of all three"); err != nil {
		return err
	}
	// The last five minutes through the log and the speed layer.
	liveRows := int(now.Sub(liveFrom).Seconds()) * o.rssRate
	csv := telemetryCSV(liveRows, liveFrom.UnixMicro(), now.Sub(liveFrom))
	for _, c := range splitCSV(csv, 100_000) {
		if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(c), "COPY telemetry FROM STDIN (FORMAT csv)"); err != nil {
			return fmt.Errorf("COPY: %w", err)
		}
	}
	// Wait for the speed layer to show them (those windows are above B).
	if err := waitFor(ctx, 2*time.Minute, 50*time.Millisecond, "the last 5 minutes in device_metrics", func() (bool, error) {
		var n int64
		err := conn.QueryRow(ctx, "SELECT coalesce(sum(event_count), 0)::bigint FROM device_metrics WHERE window_start >= $1", liveFrom).Scan(&n)
		return n >= int64(liveRows), err
	}); err != nil {
		return err
	}
	if err := mark(fmt.Sprintf("COPY of the last 5 min (%d events), visible", liveRows)); err != nil {
		return err
	}
	// Live: the configured rate, stamped now, in 100 ms batches.
	liveStart := time.Now()
	var liveN int
	tick := time.NewTicker(100 * time.Millisecond)
	per := max(1, o.rssRate/10)
	for i := 0; time.Since(liveStart) < o.rssLive; i++ {
		<-tick.C
		b := telemetryCSVSeeded(0x11fe+uint64(i), per, time.Now().UnixMicro()-int64(per), time.Duration(per)*time.Microsecond)
		if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(b), "COPY telemetry FROM STDIN (FORMAT csv)"); err != nil {
			tick.Stop()
			return fmt.Errorf("live COPY: %w", err)
		}
		liveN += per
	}
	tick.Stop()
	if err := mark(fmt.Sprintf("%s live at %d events/s", o.rssLive, o.rssRate)); err != nil {
		return err
	}
	start = time.Now()
	if err := refreshAll(ctx, conn); err != nil {
		return err
	}
	fmt.Printf("REFRESH VIEW of the three views took %.1f s\n", time.Since(start).Seconds())
	if err := mark("REFRESH VIEW of all three (batch layer caught up)"); err != nil {
		return err
	}
	var total int64
	if err := conn.QueryRow(ctx, "SELECT sum(event_count)::bigint FROM device_metrics").Scan(&total); err != nil {
		return err
	}
	want := bfRows + int64(liveRows) + int64(liveN)
	conn.Close(ctx)
	var took time.Duration
	clean, took = srv.stop()
	srv = nil
	fmt.Println()
	t.print()
	fmt.Printf("RSS from /proc/<pid>/status (VmRSS, VmHWM) of the server process; events in total: %d\n", want)
	fmt.Printf("shutdown on SIGTERM: %s in %.1f s\n", map[bool]string{true: "clean exit 0", false: "NOT clean"}[clean], took.Seconds())
	if total != want {
		return fmt.Errorf("%w: sum(event_count) over device_metrics is %d, %d events were ingested", errCheck, total, want)
	}
	fmt.Printf("check: sum(event_count) over device_metrics = %d\n", total)
	return nil
}

// refreshAll runs REFRESH VIEW on the demo's three views.
func refreshAll(ctx context.Context, conn *pgx.Conn) error {
	for _, v := range []string{"device_metrics", "device_hourly", "user_activity"} {
		if _, err := conn.Exec(ctx, "REFRESH VIEW "+v); err != nil {
			return fmt.Errorf("REFRESH VIEW %s: %w", v, err)
		}
	}
	return nil
}

// telemetryCSVSeeded is telemetryCSV with its own seed.
func telemetryCSVSeeded(seed uint64, n int, fromMicros int64, span time.Duration) []byte {
	b := make([]byte, 0, n*112)
	step := max(1, span.Microseconds()/int64(n))
	for i := range n {
		ev := makeEvent(seed, int64(i), fromMicros+int64(i)*step)
		b = appendCSV(b, &ev)
	}
	return b
}

// writeBackfill writes rows telemetry events of the source's schema,
// stamped evenly over span from fromMicros, as Parquet files under dir
// (one per core, written in parallel).
func writeBackfill(dir string, rows int64, fromMicros int64, span time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	parts := int64(2)
	var wg sync.WaitGroup
	errs := make([]error, parts)
	step := span.Microseconds() / rows
	for p := range parts {
		lo, hi := rows*p/parts, rows*(p+1)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			schema := genSchema[:8]
			w, err := batch.CreateParquetFile(filepath.Join(dir, fmt.Sprintf("backfill-%d.parquet", p)), schema,
				batch.WriteOptions{Compression: "snappy"})
			if err != nil {
				errs[p] = err
				return
			}
			b := newGenBuilder(memory.NewGoAllocator(), schema)
			defer b.release()
			var buf []byte
			for s := lo; s < hi; s += genRecordRows {
				e := min(s+genRecordRows, hi)
				b.reserve(int(e - s))
				for i := s; i < e; i++ {
					ev := makeEvent(0xbacf, i, fromMicros+i*step)
					buf = b.append(buf, &ev)
				}
				rec := b.record()
				err := w.Write(rec)
				rec.Release()
				if err != nil {
					w.Abort()
					errs[p] = err
					return
				}
			}
			_, errs[p] = w.Commit()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
