package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
)

// engineQuery is one of the engine issue's queries. Each engine gets a
// list of SQL variants (%[1]s is the Parquet glob): the first is the
// issue's text; a later one is used only when an earlier one fails to
// run, and the fallback is reported, so a dialect gap stays visible.
type engineQuery struct {
	name  string
	about string
	lsql  []string
	duck  []string
	// keys is the number of leading GROUP BY columns of the result; full
	// keeps every row to compare them all (else only counts are compared).
	keys int
	full bool
}

// q3Day is Q3's day: day 4 of the data set, inside file 1.
const (
	q3Device = "device-00042"
	q3From   = "2024-01-05 00:00:00+00"
	q3To     = "2024-01-06 00:00:00+00"
)

const q1Select = `SELECT device_id, event_date, count(*), avg(temperature), max(temperature), min(temperature),
       stddev(temperature), sum(energy_consumed), count(DISTINCT user_id)
FROM read_parquet('%[1]s')`

func engineQueries() []engineQuery {
	q2 := func(bin string) string {
		return `SELECT device_id, ` + bin + ` AS minute, count(*), avg(temperature), max(temperature),
       min(temperature), sum(energy_consumed)
FROM read_parquet('%[1]s')
GROUP BY device_id, ` + bin
	}
	q3 := q1Select + `
WHERE device_id = '` + q3Device + `' AND event_timestamp >= '` + q3From + `' AND event_timestamp < '` + q3To + `'
GROUP BY device_id, event_date`
	return []engineQuery{
		{
			name: "Q1", about: "GROUP BY device, day; 6 aggregates + count(DISTINCT user_id)",
			lsql: []string{q1Select + "\nGROUP BY device_id, event_date"},
			duck: []string{q1Select + "\nGROUP BY device_id, event_date"},
			keys: 2, full: true,
		},
		{
			name: "Q2", about: "GROUP BY device, 1-minute bin (date_bin)",
			lsql: []string{
				q2(`date_bin('1 minute', event_timestamp, timestamp '1970-01-01')`),
				q2(`date_bin('1 minute', event_timestamp, timestamptz '1970-01-01 00:00:00+00')`),
			},
			duck: []string{
				q2(`date_bin('1 minute', event_timestamp, timestamp '1970-01-01')`),
				q2(`time_bucket(INTERVAL '1 minute', event_timestamp, TIMESTAMPTZ '1970-01-01 00:00:00+00')`),
			},
			keys: 2,
		},
		{
			name: "Q3", about: "one device, one day (row-group pruning)",
			lsql: []string{q3},
			duck: []string{q3},
			keys: 2, full: true,
		},
		{
			name: "Q4", about: "count(*) WHERE temperature > 85",
			lsql: []string{`SELECT count(*) FROM read_parquet('%[1]s') WHERE temperature > 85`},
			duck: []string{`SELECT count(*) FROM read_parquet('%[1]s') WHERE temperature > 85`},
			keys: 0, full: true,
		},
	}
}

func cmdEngine(args []string) error {
	fs := flag.NewFlagSet("engine", flag.ExitOnError)
	data := fs.String("data", "testdata/bench", "directory of the data set made by gen")
	runs := fs.Int("runs", 5, "timed runs per query and engine (the median is reported)")
	budget := fs.Duration("budget", 60*time.Second, "fewer runs (at least 3) when runs × one run's time would pass this")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of lambdasql running Q1 (engine only, 2 extra runs) to this file")
	profile := fs.String("profile", "Q1", "queries to profile with --cpuprofile; Qn other than Q1 go to the file name with -Qn before its extension")
	only := fs.String("queries", "Q1,Q2,Q3,Q4", "comma-separated queries to run")
	fs.Parse(args)
	if *runs < 1 {
		return fmt.Errorf("--runs must be at least 1")
	}
	abs, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	paths, _ := filepath.Glob(filepath.Join(abs, "*.parquet"))
	if len(paths) == 0 {
		return fmt.Errorf("no Parquet files under %s: run lambdabench gen first", abs)
	}
	glob := strings.ReplaceAll(filepath.Join(abs, "*.parquet"), "'", "''")
	ctx := context.Background()

	section("engine: Q1–Q4 over read_parquet, lambdasql vs DuckDB 1.5.5")
	fmt.Println("machine:", machineLine())
	fmt.Printf("data: %d Parquet files under %s\n", len(paths), abs)

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

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	duck, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer duck.Close()
	var duckVersion string
	if err := duck.QueryRowContext(ctx, "SELECT version()").Scan(&duckVersion); err != nil {
		return fmt.Errorf("DuckDB version: %w", err)
	}
	if _, err := duck.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		return fmt.Errorf("DuckDB time zone: %w", err)
	}
	var duckThreads string
	duck.QueryRowContext(ctx, "SELECT current_setting('threads')::VARCHAR").Scan(&duckThreads)
	fmt.Printf("DuckDB %s, threads %s (its default)\n", duckVersion, duckThreads)
	fmt.Println("lambdasql: in-process server, data dir", ls.dir)
	fmt.Println(`columns: "engine" = lambdasql's wire.Session API, Arrow records drained (nothing encoded),`)
	fmt.Println("  vs " + duckEngineMethod + ";")
	fmt.Println(`  "client" = every row fetched and decoded into Go values: pgx over pgwire (loopback) vs DuckDB through database/sql.`)

	want := map[string]bool{}
	for _, q := range strings.Split(*only, ",") {
		want[strings.TrimSpace(strings.ToUpper(q))] = true
	}
	var t table
	t.add("query", "rows", "runs", "lambdasql engine", "DuckDB engine", "ratio", "lambdasql pgwire", "DuckDB client", "ratio")
	var notes []string
	var toProfile [][2]string
	failed := false
	for _, q := range engineQueries() {
		if !want[q.name] {
			continue
		}
		fmt.Printf("%s: %s …\n", q.name, q.about)
		lq, lnote, err := pickVariant(q.lsql, glob, func(s string) error { return ls.prepare(ctx, s) })
		if err != nil {
			return fmt.Errorf("%s in lambdasql: %w", q.name, err)
		}
		dq, dnote, err := pickVariant(q.duck, glob, func(s string) error {
			st, err := duck.PrepareContext(ctx, s)
			if err == nil {
				st.Close()
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("%s in DuckDB: %w", q.name, err)
		}
		if lnote != "" {
			notes = append(notes, q.name+" lambdasql: "+lnote)
		}
		if dnote != "" {
			notes = append(notes, q.name+" DuckDB: "+dnote)
		}
		// Untimed warm-up that also checks the answers.
		la, err := pgAnswer(ctx, conn, lq, q.keys, q.full)
		if err != nil {
			return fmt.Errorf("%s in lambdasql over pgwire: %w", q.name, err)
		}
		da, err := duckAnswer(ctx, duck, dq, q.keys, q.full)
		if err != nil {
			return fmt.Errorf("%s in DuckDB: %w", q.name, err)
		}
		if err := compareAnswers(la, da); err != nil {
			fmt.Printf("  %s ANSWERS DIFFER: %v\n", q.name, err)
			failed = true
		} else {
			fmt.Printf("  answers agree (%d rows)\n", la.rows)
		}
		n := *runs
		if one := la.elapsed + da.elapsed; n > 3 && time.Duration(n)*one > *budget {
			n = max(3, int(*budget/one))
		}
		var le, lw, de, dc []float64
		var rowsSeen [4]int64
		for range n {
			d, rows, err := timeIt(func() (int64, error) { return ls.engineRows(ctx, lq) })
			if err != nil {
				return fmt.Errorf("%s lambdasql engine: %w", q.name, err)
			}
			le, rowsSeen[0] = append(le, d), rows
			d, rows, err = timeIt(func() (int64, error) { return pgFetch(ctx, conn, lq) })
			if err != nil {
				return fmt.Errorf("%s lambdasql pgwire: %w", q.name, err)
			}
			lw, rowsSeen[1] = append(lw, d), rows
			d, rows, err = timeIt(func() (int64, error) { return duckEngine(ctx, duck, dq) })
			if err != nil {
				return fmt.Errorf("%s DuckDB engine: %w", q.name, err)
			}
			de, rowsSeen[2] = append(de, d), rows
			d, rows, err = timeIt(func() (int64, error) { return duckFetch(ctx, duck, dq) })
			if err != nil {
				return fmt.Errorf("%s DuckDB client: %w", q.name, err)
			}
			dc, rowsSeen[3] = append(dc, d), rows
		}
		for i, r := range rowsSeen {
			if r != la.rows {
				fmt.Printf("  %s ANSWERS DIFFER: timed run %d returned %d rows, the checked run %d\n", q.name, i, r, la.rows)
				failed = true
			}
		}
		ml, mw, md, mc := median(le), median(lw), median(de), median(dc)
		t.add(q.name, fmt.Sprint(la.rows), fmt.Sprint(n), fmtSeconds(ml), fmtSeconds(md), ratio(ml, md),
			fmtSeconds(mw), fmtSeconds(mc), ratio(mw, mc))
		if *cpuprofile != "" && slices.Contains(strings.Split(strings.ToUpper(*profile), ","), q.name) {
			toProfile = append(toProfile, [2]string{q.name, lq})
		}
	}
	// Profile with DuckDB closed, so none of its threads is sampled.
	duck.Close()
	db.Close()
	for _, p := range toProfile {
		if err := profileQuery(ctx, ls, p[1], profilePath(*cpuprofile, p[0])); err != nil {
			return err
		}
		fmt.Printf("CPU profile of lambdasql running %s twice (engine only): %s\n", p[0], profilePath(*cpuprofile, p[0]))
	}
	fmt.Println()
	t.print()
	fmt.Println("times are medians of the runs shown; ratio = lambdasql / DuckDB (below 1.0: lambdasql is faster)")
	for _, n := range notes {
		fmt.Println("note:", n)
	}
	if failed {
		return errCheck
	}
	return nil
}

// profilePath names the profile of query q: path for Q1, path with -q
// before the extension for the others.
func profilePath(path, q string) string {
	if q == "Q1" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + q + ext
}

// profileQuery writes a CPU profile of two engine-only runs of q.
func profileQuery(ctx context.Context, ls *inproc, q, path string) error {
	stop, err := startProfile(path)
	if err != nil {
		return err
	}
	defer stop()
	for range 2 {
		if _, err := ls.engineRows(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// startProfile starts a CPU profile into path; call the returned
// function to stop it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// pickVariant returns the first SQL variant that runs, and a note when
// it is not the first.
func pickVariant(variants []string, glob string, run func(string) error) (string, string, error) {
	var firstErr error
	for i, v := range variants {
		q := fmt.Sprintf(v, glob)
		err := run(q)
		if err == nil {
			if i == 0 {
				return q, "", nil
			}
			return q, fmt.Sprintf("the issue's SQL failed (%v); ran instead:\n    %s", oneLine(firstErr), oneLine(q)), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return "", "", firstErr
}

func oneLine(v any) string {
	return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
}

func timeIt(f func() (int64, error)) (float64, int64, error) {
	start := time.Now()
	n, err := f()
	return time.Since(start).Seconds(), n, err
}

// pgFetch runs query over pgwire and decodes every row.
func pgFetch(ctx context.Context, conn *pgx.Conn, query string) (int64, error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// duckFetch runs query in DuckDB and scans every row into Go values.
func duckFetch(ctx context.Context, duck *sql.Conn, query string) (int64, error) {
	rows, err := duck.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// answer is a query result reduced for comparison: the row count, the
// sum of the first aggregate (an integer count in every query) and, when
// asked for, every row by its key columns.
type answer struct {
	rows    int64
	keyed   map[string][]any // nil: rows not kept
	sum     int64
	elapsed time.Duration
	keys    int
}

func newAnswer(keys int, full bool) *answer {
	a := &answer{keys: keys}
	if full {
		a.keyed = map[string][]any{}
	}
	return a
}

// add records one row; values are canonicalized first.
func (a *answer) add(row []any) error {
	a.rows++
	for i := range row {
		row[i] = canon(row[i])
	}
	if len(row) > a.keys {
		c, ok := row[a.keys].(int64)
		if !ok {
			return fmt.Errorf("column %d is %T, want an integer count", a.keys+1, row[a.keys])
		}
		a.sum += c
	}
	if a.keyed == nil {
		return nil
	}
	var kb strings.Builder
	for i := 0; i < a.keys; i++ {
		fmt.Fprintf(&kb, "%v\x00", row[i])
	}
	k := kb.String()
	if _, dup := a.keyed[k]; dup {
		return fmt.Errorf("group %q appears twice", k)
	}
	a.keyed[k] = row[a.keys:]
	return nil
}

// canon maps driver values to int64, float64, string or nil.
func canon(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return x
	case float32:
		return float64(x)
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999999Z")
	}
	return fmt.Sprint(v)
}

func pgAnswer(ctx context.Context, conn *pgx.Conn, query string, keys int, full bool) (*answer, error) {
	a := newAnswer(keys, full)
	start := time.Now()
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if err := a.add(vals); err != nil {
			return nil, err
		}
	}
	a.elapsed = time.Since(start)
	return a, rows.Err()
}

func duckAnswer(ctx context.Context, duck *sql.Conn, query string, keys int, full bool) (*answer, error) {
	a := newAnswer(keys, full)
	start := time.Now()
	rows, err := duck.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if err := a.add(vals); err != nil {
			return nil, err
		}
	}
	a.elapsed = time.Since(start)
	return a, rows.Err()
}

// compareAnswers compares row counts, the sums of the first aggregate
// and every kept row: integers and strings exactly, floats to a relative
// 1e-9, NULL only to NULL.
func compareAnswers(a, b *answer) error {
	if a.rows != b.rows {
		return fmt.Errorf("lambdasql returned %d rows, DuckDB %d", a.rows, b.rows)
	}
	if a.sum != b.sum {
		return fmt.Errorf("the counts add up to %d in lambdasql, %d in DuckDB", a.sum, b.sum)
	}
	if a.keyed == nil || b.keyed == nil {
		return nil
	}
	for k, av := range a.keyed {
		bv, ok := b.keyed[k]
		if !ok {
			return fmt.Errorf("group %q is in lambdasql's answer only", strings.ReplaceAll(k, "\x00", " "))
		}
		if err := equalRow(av, bv); err != nil {
			return fmt.Errorf("group %q: %w", strings.ReplaceAll(k, "\x00", " "), err)
		}
	}
	return nil
}

func equalRow(a, b []any) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d columns vs %d", len(a), len(b))
	}
	for i := range a {
		if !equalValue(a[i], b[i]) {
			return fmt.Errorf("aggregate %d: lambdasql %v, DuckDB %v", i+1, a[i], b[i])
		}
	}
	return nil
}

func equalValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	fa, aok := asFloat(a)
	fb, bok := asFloat(b)
	_, aInt := a.(int64)
	_, bInt := b.(int64)
	if aInt && bInt {
		return a == b
	}
	if aok && bok {
		return floatsClose(fa, fb)
	}
	return a == b
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// floatsClose reports a and b equal to a relative 1e-9 (NaN equals NaN).
func floatsClose(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	scale := math.Max(math.Abs(a), math.Abs(b))
	return math.Abs(a-b) <= 1e-9*scale || math.Abs(a-b) < 1e-12
}
