package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"lambdasql/sql/sqlstate"
)

const ingestSeed = 0x17e57

func cmdIngest(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	rows := fs.Int("rows", 2_000_000, "rows per COPY")
	runs := fs.Int("runs", 3, "COPY runs per system (the median is reported)")
	kafkaEvents := fs.Int("kafka-events", 1_000_000, "JSON events pre-produced to Kafka (0 skips Kafka)")
	partitions := fs.Int("partitions", 1, "partitions of the embedded source")
	noPG := fs.Bool("no-postgres", false, "skip the PostgreSQL reference")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of lambdabench (the in-process server and the client) during lambdasql's first COPY run, through capture")
	fs.Parse(args)
	if *rows < 1 || *runs < 1 {
		return fmt.Errorf("--rows and --runs must be positive")
	}
	ctx := context.Background()
	section("ingest: COPY FROM STDIN (CSV) into lambdasql vs PostgreSQL 15 COPY into an unindexed table")
	fmt.Println("machine:", machineLine())
	csv := telemetryCSV(*rows, time.Now().Add(-2*time.Hour).UnixMicro(), 2*time.Hour)
	fmt.Printf("%d rows, %.1f MB of CSV generated in memory; %d runs each\n", *rows, float64(len(csv))/1e6, *runs)

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

	var ack, master []float64
	for r := range *runs {
		name := fmt.Sprintf("ingest_%d", r+1)
		// capture_interval 1s: capture closes files soon after the COPY, so
		// the time to the master dataset measures capture, not a timer.
		if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE SOURCE %s (%s) WITH (event_time = 'event_timestamp', partitions = %d, capture_interval = '1s')`,
			name, sourceColumnsSQL, *partitions)); err != nil {
			return fmt.Errorf("create source: %w", err)
		}
		stopProfile := func() {}
		if r == 0 && *cpuprofile != "" {
			if stopProfile, err = startProfile(*cpuprofile); err != nil {
				return err
			}
		}
		start := time.Now()
		tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(csv), "COPY "+name+" FROM STDIN (FORMAT csv)")
		if err != nil {
			stopProfile()
			return fmt.Errorf("COPY into lambdasql: %w", err)
		}
		acked := time.Since(start)
		if tag.RowsAffected() != int64(*rows) {
			return fmt.Errorf("%w: lambdasql COPY acknowledged %d rows, sent %d", errCheck, tag.RowsAffected(), *rows)
		}
		if err := waitFor(ctx, 10*time.Minute, 20*time.Millisecond, "capture of "+name, func() (bool, error) {
			var backlog, masterRows int64
			err := conn.QueryRow(ctx, "SELECT backlog, master_rows FROM lambda_sources WHERE name = $1", name).Scan(&backlog, &masterRows)
			if err != nil {
				return false, err
			}
			if masterRows > int64(*rows) {
				return false, fmt.Errorf("%w: master dataset of %s holds %d rows, %d were copied", errCheck, name, masterRows, *rows)
			}
			return backlog == 0 && masterRows == int64(*rows), nil
		}); err != nil {
			stopProfile()
			return err
		}
		durable := time.Since(start)
		stopProfile()
		ack = append(ack, float64(*rows)/acked.Seconds())
		master = append(master, float64(*rows)/durable.Seconds())
		fmt.Printf("  lambdasql run %d: acknowledged in %.2f s, in the master dataset after %.2f s\n", r+1, acked.Seconds(), durable.Seconds())
	}

	var pgRates []float64
	pgVersion := ""
	if !*noPG {
		pg, err := startPG(ctx)
		if err != nil {
			fmt.Printf("  PostgreSQL reference skipped: %v\n", err)
		} else {
			defer pg.stop()
			pgVersion = pg.version
			pgRates, err = pgCopyRuns(ctx, pg, csv, *rows, *runs)
			if err != nil {
				return err
			}
		}
	}
	var t table
	t.add("system", "rows/s (median)", "vs PostgreSQL COPY")
	pgMed := median(pgRates)
	t.add("lambdasql COPY, acknowledged (appended to its log)", fmtRate(median(ack)), ratio(median(ack), pgMed))
	t.add("lambdasql COPY → in the master dataset (Parquet)", fmtRate(median(master)), ratio(median(master), pgMed))
	if pgVersion != "" {
		t.add("PostgreSQL "+pgVersion+" COPY (unindexed table)", fmtRate(pgMed), "1.00")
	}
	fmt.Println()
	t.print()
	fmt.Println("ratio = lambdasql / PostgreSQL (above 1.0: lambdasql ingests faster)")

	if *kafkaEvents > 0 {
		if err := kafkaBench(ctx, ls, conn, *kafkaEvents); err != nil {
			return err
		}
	}
	return nil
}

// telemetryCSV generates n CSV rows stamped evenly over [fromMicros,
// fromMicros+span).
func telemetryCSV(n int, fromMicros int64, span time.Duration) []byte {
	b := make([]byte, 0, n*112)
	step := span.Microseconds() / int64(n)
	for i := range n {
		ev := makeEvent(ingestSeed, int64(i), fromMicros+int64(i)*step)
		b = appendCSV(b, &ev)
	}
	return b
}

// pgCopyRuns copies csv into fresh unindexed tables of PostgreSQL.
func pgCopyRuns(ctx context.Context, pg *pgCluster, csv []byte, rows, runs int) ([]float64, error) {
	conn, err := pg.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var rates []float64
	for r := range runs {
		name := fmt.Sprintf("ingest_%d", r+1)
		ddl := strings.ReplaceAll(sourceColumnsSQL, "DOUBLE PRECISION", "double precision")
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", name, ddl)); err != nil {
			return nil, fmt.Errorf("PostgreSQL create table: %w", err)
		}
		start := time.Now()
		tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(csv), "COPY "+name+" FROM STDIN (FORMAT csv)")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL COPY: %w", err)
		}
		d := time.Since(start)
		if tag.RowsAffected() != int64(rows) {
			return nil, fmt.Errorf("%w: PostgreSQL COPY reported %d rows, sent %d", errCheck, tag.RowsAffected(), rows)
		}
		rates = append(rates, float64(rows)/d.Seconds())
		fmt.Printf("  PostgreSQL run %d: COPY committed in %.2f s\n", r+1, d.Seconds())
		if _, err := conn.Exec(ctx, "DROP TABLE "+name); err != nil {
			return nil, err
		}
	}
	return rates, nil
}

const kafkaTopic = "telemetry"

// kafkaBench pre-produces JSON events to an in-process kfake broker with
// three partitions and measures how fast a lambdasql Kafka source
// captures them. When this build has no Kafka connector (0A000) it says
// so, and measures JSON ingest through Server.IngestJSON instead.
func kafkaBench(ctx context.Context, ls *inproc, conn *pgx.Conn, n int) error {
	section(fmt.Sprintf("ingest: Kafka JSON, %d events pre-produced to 3 partitions of an in-process kfake broker", n))
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, kafkaTopic))
	if err != nil {
		return fmt.Errorf("start kfake: %w", err)
	}
	defer cluster.Close()
	addrs := cluster.ListenAddrs()
	payloads := telemetryJSON(n)
	var bytesTotal int
	for _, p := range payloads {
		bytesTotal += len(p)
	}
	fmt.Printf("average event %d bytes; broker %s\n", bytesTotal/n, strings.Join(addrs, ","))
	if err := produce(ctx, addrs, payloads); err != nil {
		return err
	}
	start := time.Now()
	_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE SOURCE kafka_telemetry (%s) WITH (connector = 'kafka', brokers = '%s',
  topic = '%s', format = 'json', start = 'earliest', event_time = 'event_timestamp', capture_interval = '1s')`,
		sourceColumnsSQL, strings.Join(addrs, ","), kafkaTopic))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == sqlstate.FeatureNotSupported {
		fmt.Printf("Kafka connector not available in this build (%s: %s): Kafka figures skipped.\n", pgErr.Code, pgErr.Message)
		return jsonIngestBench(ctx, ls, conn, payloads)
	}
	if err != nil {
		return fmt.Errorf("create Kafka source: %w", err)
	}
	var consumed time.Duration
	err = waitFor(ctx, 10*time.Minute, 20*time.Millisecond, "Kafka capture", func() (bool, error) {
		var events, backlog, masterRows, rejected int64
		err := conn.QueryRow(ctx, "SELECT events, backlog, master_rows, rejected FROM lambda_sources WHERE name = 'kafka_telemetry'").
			Scan(&events, &backlog, &masterRows, &rejected)
		if err != nil {
			return false, err
		}
		if rejected > 0 {
			return false, fmt.Errorf("%w: the Kafka source rejected %d events", errCheck, rejected)
		}
		if consumed == 0 && events >= int64(n) {
			consumed = time.Since(start)
		}
		return backlog == 0 && masterRows >= int64(n), nil
	})
	if err != nil {
		return err
	}
	captured := time.Since(start)
	// Stop lambdasql before the broker goes away, so the source does not
	// spend its shutdown reconnecting.
	conn.Close(ctx)
	ls.close()
	cores := float64(runtime.NumCPU())
	var t table
	t.add("stage", "seconds", "events/s", "events/s/core")
	if consumed > 0 {
		t.add("consumed (lambda_sources.events)", fmt.Sprintf("%.2f", consumed.Seconds()), fmtRate(float64(n)/consumed.Seconds()),
			fmtRate(float64(n)/consumed.Seconds()/cores))
	}
	t.add("captured to the master dataset", fmt.Sprintf("%.2f", captured.Seconds()), fmtRate(float64(n)/captured.Seconds()),
		fmtRate(float64(n)/captured.Seconds()/cores))
	fmt.Println()
	t.print()
	fmt.Printf("per core = divided by %d cores; the kfake broker shares them. PERF-NOTES: sarama + fastjson ≈ 1.2–1.3 M/s/core ceiling,\n", int(cores))
	fmt.Println("0.5–0.8 M events/s/core planned end to end.")
	return nil
}

// telemetryJSON makes n JSON events stamped over the last hour.
func telemetryJSON(n int) [][]byte {
	from := time.Now().Add(-time.Hour).UnixMicro()
	step := time.Hour.Microseconds() / int64(n)
	out := make([][]byte, n)
	buf := make([]byte, 0, n*240)
	for i := range n {
		ev := makeEvent(ingestSeed+1, int64(i), from+int64(i)*step)
		start := len(buf)
		buf = appendJSON(buf, &ev)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// produce writes payloads round-robin to the topic's partitions.
func produce(ctx context.Context, addrs []string, payloads [][]byte) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(kafkaTopic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return fmt.Errorf("Kafka producer: %w", err)
	}
	defer cl.Close()
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, p := range payloads {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: p}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("produce to kfake: %w", firstErr)
	}
	fmt.Printf("produced %d events in %.1f s\n", len(payloads), time.Since(start).Seconds())
	return nil
}

// jsonIngestBench measures JSON decoding and appending through the
// server's in-process JSON ingest (what POST /ingest/{source} runs), from
// two goroutines, until the events are in the master dataset.
func jsonIngestBench(ctx context.Context, ls *inproc, conn *pgx.Conn, payloads [][]byte) error {
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE SOURCE json_telemetry (%s) WITH (event_time = 'event_timestamp', partitions = 3, capture_interval = '1s')`,
		sourceColumnsSQL)); err != nil {
		return err
	}
	const chunk = 10_000
	workers := runtime.NumCPU()
	n := len(payloads)
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		firstErr error
	)
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				acc, rej, err := ls.srv.IngestJSON(ctx, "json_telemetry", payloads[lo:min(lo+chunk, n)])
				mu.Lock()
				accepted += acc
				if err == nil && rej > 0 {
					err = fmt.Errorf("%w: %d events rejected", errCheck, rej)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	acked := time.Since(start)
	if accepted != n {
		return fmt.Errorf("%w: %d of %d JSON events accepted", errCheck, accepted, n)
	}
	if err := waitFor(ctx, 10*time.Minute, 20*time.Millisecond, "JSON capture", func() (bool, error) {
		var backlog, masterRows int64
		err := conn.QueryRow(ctx, "SELECT backlog, master_rows FROM lambda_sources WHERE name = 'json_telemetry'").Scan(&backlog, &masterRows)
		return err == nil && backlog == 0 && masterRows >= int64(n), err
	}); err != nil {
		return err
	}
	captured := time.Since(start)
	cores := float64(runtime.NumCPU())
	var t table
	t.add("in-process JSON ingest (no Kafka)", "seconds", "events/s", "events/s/core")
	t.add("decoded + appended to the log", fmt.Sprintf("%.2f", acked.Seconds()), fmtRate(float64(n)/acked.Seconds()), fmtRate(float64(n)/acked.Seconds()/cores))
	t.add("captured to the master dataset", fmt.Sprintf("%.2f", captured.Seconds()), fmtRate(float64(n)/captured.Seconds()), fmtRate(float64(n)/captured.Seconds()/cores))
	fmt.Println()
	t.print()
	fmt.Printf("(the same %d JSON events through Server.IngestJSON, %d goroutines of %d events: the decode path a Kafka source\n", n, workers, chunk)
	fmt.Println(" would use, without the Kafka client; not a Kafka figure)")
	return nil
}
