package wire

// The test Handler: a tiny in-memory engine that understands just enough
// SQL to drive every protocol path from real clients.
//
//	SELECT item, …                 one row; items: $n[::type], literals
//	                               ('text'::type, 42, 1.5, true, NULL) and
//	                               functions: pg_sleep_forever() (blocks until
//	                               cancelled), raise('code', 'msg'[, 'detail'
//	                               [, 'hint']]), notice('msg'), panic(),
//	                               plain_error()
//	SELECT * FROM alltypes         rows holding every supported type
//	SELECT * | cols FROM items     the items table (id, name, price, ts)
//	SELECT * FROM series(n)        n int8 rows, three per record
//	SET name = value | TO value, SHOW name
//	BEGIN, COMMIT, ROLLBACK        transaction status tracking
//	COPY items [(cols)] FROM STDIN [WITH (FORMAT text|csv|binary, …)]
//	COPY items | (select) TO STDOUT [WITH (FORMAT …, HEADER, FORCE_QUOTE (…))]
//	TRUNCATE items

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

type testHandler struct {
	mem *memory.CheckedAllocator

	// sleeping receives a value each time pg_sleep_forever starts waiting.
	sleeping chan struct{}

	mu        sync.Mutex
	items     [][]any
	lastAbort string
	starts    []SessionStart
	closed    int
}

func newTestHandler() *testHandler {
	return &testHandler{mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), sleeping: make(chan struct{}, 64)}
}

var itemCols = exec.Schema{
	{Name: "id", Type: types.Int8, TableOID: 16400, Attnum: 1},
	{Name: "name", Type: types.Text, TableOID: 16400, Attnum: 2},
	{Name: "price", Type: types.Float8, TableOID: 16400, Attnum: 3},
	{Name: "ts", Type: types.TimestampTZ, TableOID: 16400, Attnum: 4},
}

func (h *testHandler) NewSession(ctx context.Context, start SessionStart) (Session, error) {
	if start.Database == "nosuchdb" {
		return nil, sqlstate.New(sqlstate.InvalidCatalogName, "database \"%s\" does not exist", start.Database)
	}
	h.mu.Lock()
	h.starts = append(h.starts, start)
	h.mu.Unlock()
	app := start.Params["application_name"]
	return &testSession{h: h, tx: 'I', loc: time.UTC, params: map[string]string{
		"server_version":              "15.4 (lambdasql)",
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"TimeZone":                    "UTC",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"IntervalStyle":               "postgres",
		"application_name":            app,
		"is_superuser":                "on",
		"session_authorization":       start.User,
	}}, nil
}

type testSession struct {
	h       *testHandler
	tx      byte
	params  map[string]string
	loc     *time.Location
	timeout time.Duration
}

func (s *testSession) TxStatus() byte { return s.tx }
func (s *testSession) Fail() {
	if s.tx == 'T' {
		s.tx = 'E'
	}
}
func (s *testSession) ParameterStatus() map[string]string {
	out := make(map[string]string, len(s.params))
	for k, v := range s.params {
		out[k] = v
	}
	return out
}
func (s *testSession) Location() *time.Location        { return s.loc }
func (s *testSession) StatementTimeout() time.Duration { return s.timeout }
func (s *testSession) Close() {
	s.h.mu.Lock()
	s.h.closed++
	s.h.mu.Unlock()
}

// ---- Statement ----

func (st *testStmt) ParamTypes() []*types.T { return st.params }
func (st *testStmt) Columns() exec.Schema   { return st.cols }
func (st *testStmt) SQL() string            { return st.sql }
func (st *testStmt) Close()                 {}

func (st *testStmt) Execute(ctx context.Context, params []any, notice func(Notice)) (Result, error) {
	s := st.s
	if s.tx == 'E' && st.kind != kCommit && st.kind != kRollback {
		return nil, sqlstate.New(sqlstate.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if len(params) != len(st.params) {
		return nil, fmt.Errorf("test engine: got %d params, want %d", len(params), len(st.params))
	}
	switch st.kind {
	case kSelect:
		return st.execSelect(ctx, params, notice)
	case kTable:
		return st.execTable()
	case kSet:
		return st.execSet()
	case kShow:
		v, ok := s.params[canonicalParam(st.name)]
		if st.name == "statement_timeout" {
			v, ok = s.timeout.String(), true
		}
		if !ok {
			return nil, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter \"%s\"", st.name)
		}
		return newMemResult(s.h.mem, st.cols, [][]any{{v}}, "SHOW"), nil
	case kBegin:
		if s.tx != 'I' {
			notice(Notice{Severity: "WARNING", Code: "25001", Message: "there is already a transaction in progress"})
		}
		s.tx = 'T'
		return &memResult{tag: "BEGIN"}, nil
	case kCommit:
		tag := "COMMIT"
		if s.tx == 'E' {
			tag = "ROLLBACK"
		}
		s.tx = 'I'
		return &memResult{tag: tag}, nil
	case kRollback:
		s.tx = 'I'
		return &memResult{tag: "ROLLBACK"}, nil
	case kTruncate:
		s.h.mu.Lock()
		s.h.items = nil
		s.h.mu.Unlock()
		return &memResult{tag: "TRUNCATE TABLE"}, nil
	case kCopyIn:
		return &copyInResult{s: s, f: st.copyF, proj: st.proj}, nil
	case kCopyOut:
		if st.inner != nil {
			res, err := st.inner.Execute(ctx, nil, notice)
			if err != nil {
				return nil, err
			}
			return &describedCopyOut{copyOutResult{Result: res, f: st.copyF}, st.inner.cols}, nil
		}
		tbl := &testStmt{s: s, kind: kTable, table: "items", proj: st.proj}
		for _, j := range st.proj {
			tbl.cols = append(tbl.cols, itemCols[j])
		}
		res, err := tbl.execTable()
		if err != nil {
			return nil, err
		}
		return &copyOutResult{Result: res, f: st.copyF}, nil
	}
	return nil, fmt.Errorf("test engine: unknown statement kind %d", st.kind)
}

func canonicalParam(name string) string {
	for _, k := range []string{"TimeZone", "DateStyle", "IntervalStyle", "application_name", "client_encoding"} {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func (st *testStmt) execSet() (Result, error) {
	s := st.s
	switch strings.ToLower(st.name) {
	case "timezone":
		loc, err := types.LoadLocation(st.value)
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", st.value)
		}
		s.loc = loc
		s.params["TimeZone"] = st.value
	case "statement_timeout":
		d, err := time.ParseDuration(st.value)
		if err != nil {
			ms, err2 := strconv.Atoi(st.value)
			if err2 != nil {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"statement_timeout\": \"%s\"", st.value)
			}
			d = time.Duration(ms) * time.Millisecond
		}
		s.timeout = d
	default:
		s.params[canonicalParam(st.name)] = st.value
	}
	return &memResult{tag: "SET"}, nil
}

func (st *testStmt) execSelect(ctx context.Context, params []any, notice func(Notice)) (Result, error) {
	row := make([]any, len(st.items))
	for i, it := range st.items {
		switch {
		case it.param > 0:
			row[i] = params[it.param-1]
			if row[i] != nil && !types.Equal(it.ptyp, it.typ) {
				v, err := types.ParseText(it.typ, types.FormatText(it.ptyp, row[i], st.s.loc), st.s.loc)
				if err != nil {
					return nil, err
				}
				row[i] = v
			}
		case it.lit != nil:
			v, err := types.ParseText(it.typ, *it.lit, st.s.loc)
			if err != nil {
				return nil, err
			}
			row[i] = v
		case it.fn == "pg_sleep_forever":
			return &sleepResult{h: st.s.h}, nil
		case it.fn == "raise":
			if len(it.args) < 2 {
				return nil, sqlstate.New(sqlstate.UndefinedFunction, "raise needs a code and a message")
			}
			e := sqlstate.New(it.args[0], "%s", it.args[1])
			if len(it.args) > 2 {
				e.Detail = it.args[2]
			}
			if len(it.args) > 3 {
				e.Hint = it.args[3]
			}
			return nil, e
		case it.fn == "plain_error":
			return nil, errors.New("plain failure without a code")
		case it.fn == "panic":
			panic("test engine panic")
		case it.fn == "notice":
			msg := strings.Join(it.args, " ")
			notice(Notice{Severity: "NOTICE", Code: "00000", Message: msg, Detail: "from the test engine"})
			row[i] = msg
		}
	}
	return newMemResult(st.s.h.mem, st.cols, [][]any{row}, "SELECT 1"), nil
}

func (st *testStmt) execTable() (Result, error) {
	mem := st.s.h.mem
	switch st.table {
	case "alltypes":
		return newMemResult(mem, allTypesCols, allTypesRows(), fmt.Sprintf("SELECT %d", len(allTypesRows()))), nil
	case "items":
		st.s.h.mu.Lock()
		rows := make([][]any, len(st.s.h.items))
		for i, r := range st.s.h.items {
			pr := make([]any, len(st.proj))
			for k, j := range st.proj {
				pr[k] = r[j]
			}
			rows[i] = pr
		}
		st.s.h.mu.Unlock()
		return newMemResult(mem, st.cols, rows, fmt.Sprintf("SELECT %d", len(rows))), nil
	case "series":
		res := &memResult{tag: fmt.Sprintf("SELECT %d", st.series)}
		for lo := 1; lo <= st.series; lo += 3 {
			var rows [][]any
			for v := lo; v < lo+3 && v <= st.series; v++ {
				rows = append(rows, []any{int64(v)})
			}
			res.recs = append(res.recs, buildRecord(mem, st.cols, rows))
		}
		return res, nil
	}
	return nil, fmt.Errorf("test engine: unknown table %s", st.table)
}

// ---- results ----

type memResult struct {
	recs []arrow.Record
	tag  string
}

func newMemResult(mem memory.Allocator, cols exec.Schema, rows [][]any, tag string) *memResult {
	return &memResult{recs: []arrow.Record{buildRecord(mem, cols, rows)}, tag: tag}
}

func (r *memResult) Next(ctx context.Context) (arrow.Record, error) {
	if len(r.recs) == 0 {
		return nil, io.EOF
	}
	rec := r.recs[0]
	r.recs = r.recs[1:]
	return rec, nil
}
func (r *memResult) Tag() string { return r.tag }
func (r *memResult) Close() {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
}

type sleepResult struct{ h *testHandler }

func (r *sleepResult) Next(ctx context.Context) (arrow.Record, error) {
	select {
	case r.h.sleeping <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
func (r *sleepResult) Tag() string { return "SELECT 1" }
func (r *sleepResult) Close()      {}

type copyOutResult struct {
	Result
	f CopyFormat
}

func (r *copyOutResult) CopyOut() CopyFormat { return r.f }

type describedCopyOut struct {
	copyOutResult
	cols exec.Schema
}

func (r *describedCopyOut) CopyColumns() exec.Schema { return r.cols }
