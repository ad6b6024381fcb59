package slt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Engine names used by skipif/onlyif.
const (
	EngineLambdaSQL  = "lambdasql"
	EnginePostgreSQL = "postgresql"
)

// Runner runs the records of one file over one connection.
type Runner struct {
	Conn   *pgx.Conn
	Engine string // EngineLambdaSQL or EnginePostgreSQL
	Layer  string // lambda.read for this run ("" = not set)
	// Rewrite fills in the expected output of queries, and the SQLSTATE of
	// "statement error" records, from what the server answered.
	Rewrite bool
	// StatementTimeout bounds each statement (default 30 s).
	StatementTimeout time.Duration
	// CaughtUpDeadline bounds "wait caught-up" (default 10 s).
	CaughtUpDeadline time.Duration
	// CheckGaps also runs the known gaps: records with a "# BUG:" comment
	// that only "skipif <Engine>" keeps from running. Their outcomes go
	// to Gaps, not to the failures. Not with Rewrite.
	CheckGaps bool
	// Gaps holds, after a CheckGaps run, every known gap that ran.
	Gaps []Gap

	labels map[string][]string
	edits  []edit
}

// Failure is one record whose outcome differs from the file.
type Failure struct {
	Path     string
	Line     int
	Layer    string `json:",omitempty"`
	SQL      string
	Expected string
	Actual   string
}

func (f Failure) String() string {
	where := fmt.Sprintf("%s:%d", f.Path, f.Line)
	if f.Layer != "" {
		where += " (lambda.read = " + f.Layer + ")"
	}
	return fmt.Sprintf("%s:\n%s\nexpected:\n%s\nactual:\n%s", where, indent(f.SQL), indent(f.Expected), indent(f.Actual))
}

func indent(s string) string {
	if s == "" {
		return "    <nothing>"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Gap is the outcome of one known gap in a CheckGaps run.
type Gap struct {
	Path     string
	Line     int
	Bug      string
	SQL      string
	Expected string // what the file expects (PostgreSQL's answer)
	Actual   string // what the server answered
	Fixed    bool   // the server now answers as expected
}

// edit replaces lines [from, upTo) of the file with repl.
type edit struct {
	from, upTo int
	repl       []string
}

// Run executes f's records in order and returns the failures. It stops at
// halt, or early when ctx ends.
func (r *Runner) Run(ctx context.Context, f *File) []Failure {
	if r.StatementTimeout == 0 {
		r.StatementTimeout = 30 * time.Second
	}
	if r.CaughtUpDeadline == 0 {
		r.CaughtUpDeadline = 10 * time.Second
	}
	r.labels = map[string][]string{}
	var fails []Failure
	r.Gaps = nil
	gap := false    // the current record is a known gap run by CheckGaps
	failed := false // the current record failed
	fail := func(rec *Record, expected, actual string) {
		failed = true
		if gap {
			r.Gaps = append(r.Gaps, Gap{Path: f.Path, Line: rec.Line, Bug: rec.Bug, SQL: rec.SQL, Expected: expected, Actual: actual})
			return
		}
		fails = append(fails, Failure{Path: f.Path, Line: rec.Line, Layer: r.Layer, SQL: rec.SQL, Expected: expected, Actual: actual})
	}
	rewrite := r.Rewrite
	if r.Layer != "" {
		if _, err := r.Conn.Exec(ctx, "SET lambda.read = '"+r.Layer+"'"); err != nil {
			return []Failure{{Path: f.Path, Line: 1, SQL: "SET lambda.read = '" + r.Layer + "'", Expected: "ok", Actual: errText(err)}}
		}
	}
	for _, rec := range f.Records {
		if ctx.Err() != nil {
			break
		}
		gap, failed = false, false
		if !rec.Applies(r.Engine, r.Layer) {
			if !r.CheckGaps || rec.Bug == "" || !rec.appliesWithout(Cond{Name: r.Engine}, r.Engine, r.Layer) {
				continue
			}
			gap = true
		}
		r.Rewrite = rewrite && !gap
		r.runRecord(ctx, rec, fail)
		if gap && !failed {
			r.Gaps = append(r.Gaps, Gap{Path: f.Path, Line: rec.Line, Bug: rec.Bug, SQL: rec.SQL, Expected: formatRows(rec.Expected), Fixed: true})
		}
		if rec.Kind == Halt {
			break
		}
	}
	r.Rewrite = rewrite
	return fails
}

// runRecord executes one record, calling fail when its outcome differs
// from the file.
func (r *Runner) runRecord(ctx context.Context, rec *Record, fail func(rec *Record, expected, actual string)) {
	switch rec.Kind {
	case Halt:
	case StatementOK:
		if err := r.exec(ctx, rec.SQL); err != nil {
			fail(rec, "ok", errText(err))
		}
	case StatementError:
		err := r.exec(ctx, rec.SQL)
		exp, act, ok := matchError(rec, err)
		code := codeOf(err)
		switch {
		case ok && r.Rewrite && rec.ErrCode == "" && code != "":
			r.edits = append(r.edits, edit{from: rec.headIdx, upTo: rec.headIdx + 1, repl: []string{errorHeader(code, rec)}})
		case ok:
		case r.Rewrite && code != "":
			r.edits = append(r.edits, edit{from: rec.headIdx, upTo: rec.headIdx + 1, repl: []string{errorHeader(code, rec)}})
		default:
			fail(rec, exp, act)
		}
	case Query:
		rows, oids, err := r.query(ctx, rec.SQL)
		ncol := len(oids)
		if err != nil && r.Rewrite && !rec.HasSep && codeOf(err) != "" {
			// A new query that fails: record it as the error it is.
			r.edits = append(r.edits, edit{from: rec.headIdx, upTo: rec.headIdx + 1, repl: []string{"statement error " + codeOf(err)}})
			return
		}
		if err != nil {
			fail(rec, formatRows(rec.Expected), errText(err))
			return
		}
		if n := len(rec.Types); ncol != n && r.Rewrite {
			rec.Types = typeLetters(oids)
			r.edits = append(r.edits, edit{from: rec.headIdx, upTo: rec.headIdx + 1, repl: []string{queryHeader(rec)}})
		} else if ncol != n {
			fail(rec, fmt.Sprintf("%d columns (%s)", n, rec.Types), fmt.Sprintf("%d columns:\n%s", ncol, formatRows(rowFields(rows))))
			return
		}
		got := sortRows(rowFields(rows), rec.Sort)
		want := sortRows(rec.Expected, rec.Sort)
		if rec.Label != "" {
			flat := flatten(got)
			if prev, ok := r.labels[rec.Label]; ok && !slices.Equal(prev, flat) {
				fail(rec, "the result of label "+rec.Label+":\n"+strings.Join(prev, " "), strings.Join(flat, " "))
				return
			}
			r.labels[rec.Label] = flat
		}
		if equalRows(got, want, rec.Sort) && rec.HasSep {
			return
		}
		if r.Rewrite {
			var out [][]string
			switch rec.Sort {
			case ValueSort:
				out = chunk(flatten(got), len(rec.Types))
			case RowSort:
				out = rowValues(rows)
				slices.SortStableFunc(out, func(a, b []string) int {
					return strings.Compare(strings.Join(strings.Fields(strings.Join(a, " ")), " "), strings.Join(strings.Fields(strings.Join(b, " ")), " "))
				})
			default:
				out = rowValues(rows)
			}
			lines := append([]string{"----"}, alignRows(out)...)
			r.edits = append(r.edits, edit{from: rec.resFrom, upTo: rec.resUpTo, repl: lines})
			return
		}
		fail(rec, formatRows(want), formatRows(got))
	case WaitCaughtUp:
		if err := r.waitCaughtUp(ctx, rec.SQL); err != nil {
			fail(rec, "source "+rec.SQL+" caught up", err.Error())
		}
	case WaitView:
		if err := r.exec(ctx, "REFRESH VIEW "+rec.SQL); err != nil {
			fail(rec, "REFRESH VIEW "+rec.SQL+" ok", errText(err))
		}
	}

}

// WriteRewrites applies the edits collected by Rewrite runs to f's file
// and forgets them. Edits accumulate over several Runs of the same parsed
// file (one per layer); when more than one run edited a record, the first
// run's edit wins. It reports whether anything changed.
func (r *Runner) WriteRewrites(f *File) (bool, error) {
	if len(r.edits) == 0 {
		return false, nil
	}
	edits := r.edits
	r.edits = nil
	slices.SortStableFunc(edits, func(a, b edit) int { return b.from - a.from })
	lines := slices.Clone(f.lines)
	last := -1
	for _, e := range edits {
		if e.from == last {
			continue // the same record edited by a later run: keep the first
		}
		last = e.from
		lines = slices.Replace(lines, e.from, e.upTo, e.repl...)
	}
	return true, os.WriteFile(f.Path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// typeLetters names result columns the sqllogictest way: I integers, R
// other numbers, B booleans, T everything else.
func typeLetters(oids []uint32) string {
	var b strings.Builder
	for _, o := range oids {
		switch o {
		case 20, 21, 23, 26: // int8, int2, int4, oid
			b.WriteByte('I')
		case 700, 701, 1700: // float4, float8, numeric
			b.WriteByte('R')
		case 16:
			b.WriteByte('B')
		default:
			b.WriteByte('T')
		}
	}
	return b.String()
}

func queryHeader(rec *Record) string {
	h := "query " + rec.Types
	if rec.Sort != NoSort {
		h += " " + rec.Sort.String()
	}
	if rec.Label != "" {
		h += " " + rec.Label
	}
	return h
}

func errorHeader(code string, rec *Record) string {
	h := "statement error " + code
	if rec.ErrRe != nil {
		h += " " + rec.ErrRe.String()
	}
	return h
}

// copyFromStdinRe matches a statement whose first line is COPY … FROM
// STDIN: the lines after it are the data sent to the server.
var copyFromStdinRe = regexp.MustCompile(`(?is)^\s*COPY\b.*\bFROM\s+STDIN\b`)

func (r *Runner) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, r.StatementTimeout)
	defer cancel()
	if first, data, ok := strings.Cut(sql, "\n"); ok && copyFromStdinRe.MatchString(first) {
		_, err := r.Conn.PgConn().CopyFrom(ctx, strings.NewReader(data+"\n"), first)
		return err
	}
	_, err := r.Conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

// query runs sql and returns its rows as text (nil entries are NULLs)
// and the type OIDs of its columns.
func (r *Runner) query(ctx context.Context, sql string) ([][]*string, []uint32, error) {
	ctx, cancel := context.WithTimeout(ctx, r.StatementTimeout)
	defer cancel()
	if copyToStdoutRe.MatchString(sql) {
		return r.copyTo(ctx, sql)
	}
	rows, err := r.Conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][]*string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	fds := rows.FieldDescriptions()
	if len(fds) == 0 {
		return nil, nil, errors.New("the statement returned no result set")
	}
	oids := make([]uint32, len(fds))
	for i, fd := range fds {
		oids[i] = fd.DataTypeOID
	}
	return out, oids, nil
}

// copyToStdoutRe matches COPY … TO STDOUT, which a query record reads
// line by line.
var copyToStdoutRe = regexp.MustCompile(`(?is)^\s*COPY\b.*\bTO\s+STDOUT\b`)

// copyTo runs a COPY … TO STDOUT and returns its lines as rows: values are
// split at tabs and \N is NULL (the text format; a CSV line stays one
// value). The column count is that of the widest line.
func (r *Runner) copyTo(ctx context.Context, sql string) ([][]*string, []uint32, error) {
	var buf strings.Builder
	if _, err := r.Conn.PgConn().CopyTo(ctx, &buf, sql); err != nil {
		return nil, nil, err
	}
	var out [][]*string
	width := 0
	text := strings.TrimSuffix(buf.String(), "\n")
	if text == "" {
		return nil, []uint32{0}, nil
	}
	for _, line := range strings.Split(text, "\n") {
		var row []*string
		for _, v := range strings.Split(line, "\t") {
			if v == `\N` {
				row = append(row, nil)
				continue
			}
			row = append(row, &v)
		}
		width = max(width, len(row))
		out = append(out, row)
	}
	return out, make([]uint32, width), nil
}

// waitCaughtUp waits until a source's events have reached everything
// that reads them: it polls a fingerprint made of count(*) of the source
// and the full contents of every view listed over it in lambda_views (the
// speed layer consumes the log asynchronously), every 100 ms, until two
// consecutive reads agree.
func (r *Runner) waitCaughtUp(ctx context.Context, source string) error {
	deadline := time.Now().Add(r.CaughtUpDeadline)
	prev := ""
	for {
		cur, err := r.fingerprint(ctx, source)
		if err != nil {
			return err
		}
		if cur == prev {
			return nil
		}
		prev = cur
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still changing after %v", source, r.CaughtUpDeadline)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *Runner) fingerprint(ctx context.Context, source string) (string, error) {
	rows, _, err := r.query(ctx, "SELECT count(*) FROM "+source)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(formatRows(rowFields(rows)))
	views, _, err := r.query(ctx, "SELECT name FROM lambda_views WHERE source = '"+strings.ReplaceAll(source, "'", "''")+"' ORDER BY name")
	if err != nil {
		return b.String(), nil // no lambda_views here (plain PostgreSQL): the count alone
	}
	for _, v := range views {
		if len(v) != 1 || v[0] == nil {
			continue
		}
		rows, _, err := r.query(ctx, "SELECT * FROM "+*v[0])
		if err != nil {
			return "", fmt.Errorf("read view %s: %w", *v[0], err)
		}
		got := sortRows(rowFields(rows), RowSort)
		b.WriteString("\n" + *v[0] + ":\n" + formatRows(got))
	}
	return b.String(), nil
}

func codeOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func msgOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

func errText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("error %s: %s", pe.Code, pe.Message)
	}
	return "error: " + err.Error()
}

// matchError checks a statement error record against the outcome.
func matchError(rec *Record, err error) (expected, actual string, ok bool) {
	expected = "an error"
	if rec.ErrCode != "" {
		expected = "error " + rec.ErrCode
	}
	if rec.ErrRe != nil {
		expected += " matching " + rec.ErrRe.String()
	}
	if err == nil {
		return expected, "ok", false
	}
	actual = errText(err)
	if rec.ErrCode != "" && codeOf(err) != rec.ErrCode {
		return expected, actual, false
	}
	if rec.ErrRe != nil && !rec.ErrRe.MatchString(msgOf(err)) {
		return expected, actual, false
	}
	return expected, actual, true
}

// valueText is how a value is written in a .slt file.
func valueText(v *string) string {
	switch {
	case v == nil:
		return "NULL"
	case *v == "":
		return "(empty)"
	case !utf8.ValidString(*v):
		return fmt.Sprintf("%q", *v)
	}
	return strings.ReplaceAll(*v, "\n", `\n`)
}

// rowValues formats result rows value by value, for writing them.
func rowValues(rows [][]*string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = strings.Join(strings.Fields(valueText(v)), " ")
		}
	}
	return out
}

// rowFields turns result rows into the whitespace-separated fields they
// compare as.
func rowFields(rows [][]*string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		var f []string
		for _, v := range row {
			f = append(f, strings.Fields(valueText(v))...)
		}
		out[i] = f
	}
	return out
}

func sortRows(rows [][]string, mode SortMode) [][]string {
	switch mode {
	case RowSort:
		rows = slices.Clone(rows)
		slices.SortStableFunc(rows, func(a, b []string) int { return strings.Compare(strings.Join(a, " "), strings.Join(b, " ")) })
	case ValueSort:
		flat := flatten(rows)
		slices.Sort(flat)
		rows = [][]string{flat}
	}
	return rows
}

// chunk splits values into rows of n (for writing valuesort results).
func chunk(vals []string, n int) [][]string {
	if n <= 0 {
		n = 1
	}
	var out [][]string
	for len(vals) > 0 {
		k := min(n, len(vals))
		out = append(out, vals[:k])
		vals = vals[k:]
	}
	return out
}

func flatten(rows [][]string) []string {
	var flat []string
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return flat
}

func equalRows(got, want [][]string, mode SortMode) bool {
	if mode == ValueSort {
		return slices.Equal(flatten(got), flatten(want))
	}
	return slices.EqualFunc(got, want, func(a, b []string) bool { return slices.Equal(a, b) })
}

func formatRows(rows [][]string) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = strings.Join(r, " ")
	}
	return strings.Join(lines, "\n")
}

// alignRows formats rows for a file, columns aligned by padding.
func alignRows(rows [][]string) []string {
	var width []int
	for _, r := range rows {
		for j, v := range r {
			if j >= len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], utf8.RuneCountInString(v))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for j, v := range r {
			if j > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if j < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[j]-utf8.RuneCountInString(v)))
			}
		}
		out[i] = b.String()
	}
	return out
}
