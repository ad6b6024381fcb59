package server

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"lambdasql/exec"
)

// cursorTranscript runs statements one by one and records each one's
// command tag and rows (or SQLSTATE) as "stmt -> TAG: r1,r2".
func cursorTranscript(t *testing.T, c *pgx.Conn, stmts []string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range stmts {
		rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			out = append(out, fmt.Sprintf("%s -> ERROR %s", q, codeOf(err)))
			continue
		}
		var vals []string
		for rows.Next() {
			v := rows.RawValues()
			vals = append(vals, string(v[0]))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			out = append(out, fmt.Sprintf("%s -> ERROR %s", q, codeOf(err)))
			continue
		}
		line := q + " -> " + rows.CommandTag().String()
		if len(vals) > 0 {
			line += ": " + strings.Join(vals, ",")
		}
		out = append(out, line)
	}
	return out
}

// scrollScript moves a SCROLL cursor of 50 rows in every direction.
var scrollScript = []string{
	"BEGIN",
	"DECLARE c SCROLL CURSOR FOR SELECT g FROM generate_series(1,50) g ORDER BY g",
	"FETCH FORWARD 10 FROM c",
	"MOVE ABSOLUTE 0 FROM c",
	"FETCH FORWARD 1 FROM c",
	"MOVE ABSOLUTE 3 FROM c",
	"FETCH FORWARD 1 FROM c",
	"FETCH ABSOLUTE 1 FROM c",
	"FETCH FORWARD 1 FROM c",
	"FETCH PRIOR FROM c",
	"FETCH PRIOR FROM c",
	"FETCH PRIOR FROM c",
	"FETCH NEXT FROM c",
	"FETCH RELATIVE 5 FROM c",
	"FETCH RELATIVE -2 FROM c",
	"FETCH RELATIVE 0 FROM c",
	"MOVE RELATIVE 0 FROM c",
	"FETCH 0 FROM c",
	"MOVE 0 FROM c",
	"FETCH BACKWARD 3 FROM c",
	"FETCH -2 FROM c",
	"FETCH 3 FROM c",
	"FETCH LAST FROM c",
	"FETCH NEXT FROM c",
	"FETCH RELATIVE 0 FROM c",
	"MOVE 0 FROM c",
	"FETCH PRIOR FROM c",
	"MOVE FORWARD ALL FROM c",
	"FETCH BACKWARD 2 FROM c",
	"FETCH FIRST FROM c",
	"FETCH ABSOLUTE -3 FROM c",
	"FETCH ABSOLUTE 60 FROM c",
	"FETCH PRIOR FROM c",
	"MOVE ABSOLUTE 70 FROM c",
	"FETCH BACKWARD ALL FROM c",
	"FETCH PRIOR FROM c",
	"FETCH 2 FROM c",
	"MOVE BACKWARD ALL FROM c",
	"FETCH 1 FROM c",
	"MOVE 48 FROM c",
	"MOVE BACKWARD ALL FROM c",
	"FETCH ABSOLUTE 25 FROM c",
	"FETCH ABSOLUTE 24 FROM c",
	"FETCH ABSOLUTE 40 FROM c",
	"FETCH ALL FROM c",
	"FETCH 1 FROM c",
	"MOVE 1 FROM c",
	"MOVE ABSOLUTE -1 FROM c",
	"MOVE ABSOLUTE -51 FROM c",
	"FETCH 1 FROM c",
	"MOVE RELATIVE -1 FROM c",
	"FETCH FIRST FROM c",
	"MOVE RELATIVE 100 FROM c",
	"FETCH RELATIVE -1 FROM c",
	"MOVE BACKWARD 100 FROM c",
	"FETCH RELATIVE 1 FROM c",
	"COMMIT",
	// A cursor without SCROLL moves only forward.
	"BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g",
	"MOVE ABSOLUTE 0 FROM f",
	"FETCH ABSOLUTE 2 FROM f",
	"FETCH RELATIVE 2 FROM f",
	"MOVE ABSOLUTE 6 FROM f",
	"FETCH 1 FROM f",
	"FETCH PRIOR FROM f",
	"ROLLBACK",
	"BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g",
	"FETCH 3 FROM f",
	"FETCH ABSOLUTE 1 FROM f",
	"ROLLBACK",
	"BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g",
	"FETCH 3 FROM f",
	"MOVE 0 FROM f",
	"FETCH ALL FROM f",
	"FETCH 1 FROM f",
	"MOVE ABSOLUTE 0 FROM f",
	"ROLLBACK",
	// Held cursors are materialized at COMMIT and scroll the same way.
	"BEGIN",
	"DECLARE h SCROLL CURSOR WITH HOLD FOR SELECT g FROM generate_series(1,5) g",
	"FETCH 2 FROM h",
	"COMMIT",
	"FETCH 2 FROM h",
	"FETCH ABSOLUTE 1 FROM h",
	"FETCH LAST FROM h",
	"FETCH BACKWARD 2 FROM h",
	"CLOSE h",
}

func TestScrollCursor(t *testing.T) {
	var c *pgx.Conn
	if dsn := os.Getenv("LAMBDASQL_PG_DSN"); dsn != "" { // print PostgreSQL's answers
		var err error
		if c, err = pgx.Connect(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		for _, l := range cursorTranscript(t, c, scrollScript) {
			fmt.Printf("\t\t%q,\n", l)
		}
		return
	}
	c = connect(t, startServer(t, ""))
	// Small batches put the rows a FETCH serves again in several records.
	for _, batch := range []int{exec.BatchSize, 7} {
		restore := exec.SetBatchSize(batch)
		got := cursorTranscript(t, c, scrollScript)
		restore()
		for i := range max(len(got), len(scrollWant)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(scrollWant) {
				w = scrollWant[i]
			}
			if g != w {
				t.Errorf("batch size %d:\ngot  %s\nwant %s", batch, g, w)
			}
		}
	}
}

// scrollWant is PostgreSQL 15's answer to scrollScript
// (LAMBDASQL_PG_DSN=… go test -run TestScrollCursor prints it).
var scrollWant = []string{
	"BEGIN -> BEGIN",
	"DECLARE c SCROLL CURSOR FOR SELECT g FROM generate_series(1,50) g ORDER BY g -> DECLARE CURSOR",
	"FETCH FORWARD 10 FROM c -> FETCH 10: 1,2,3,4,5,6,7,8,9,10",
	"MOVE ABSOLUTE 0 FROM c -> MOVE 0",
	"FETCH FORWARD 1 FROM c -> FETCH 1: 1",
	"MOVE ABSOLUTE 3 FROM c -> MOVE 1",
	"FETCH FORWARD 1 FROM c -> FETCH 1: 4",
	"FETCH ABSOLUTE 1 FROM c -> FETCH 1: 1",
	"FETCH FORWARD 1 FROM c -> FETCH 1: 2",
	"FETCH PRIOR FROM c -> FETCH 1: 1",
	"FETCH PRIOR FROM c -> FETCH 0",
	"FETCH PRIOR FROM c -> FETCH 0",
	"FETCH NEXT FROM c -> FETCH 1: 1",
	"FETCH RELATIVE 5 FROM c -> FETCH 1: 6",
	"FETCH RELATIVE -2 FROM c -> FETCH 1: 4",
	"FETCH RELATIVE 0 FROM c -> FETCH 1: 4",
	"MOVE RELATIVE 0 FROM c -> MOVE 1",
	"FETCH 0 FROM c -> FETCH 1: 4",
	"MOVE 0 FROM c -> MOVE 1",
	"FETCH BACKWARD 3 FROM c -> FETCH 3: 3,2,1",
	"FETCH -2 FROM c -> FETCH 0",
	"FETCH 3 FROM c -> FETCH 3: 1,2,3",
	"FETCH LAST FROM c -> FETCH 1: 50",
	"FETCH NEXT FROM c -> FETCH 0",
	"FETCH RELATIVE 0 FROM c -> FETCH 0",
	"MOVE 0 FROM c -> MOVE 0",
	"FETCH PRIOR FROM c -> FETCH 1: 50",
	"MOVE FORWARD ALL FROM c -> MOVE 0",
	"FETCH BACKWARD 2 FROM c -> FETCH 2: 50,49",
	"FETCH FIRST FROM c -> FETCH 1: 1",
	"FETCH ABSOLUTE -3 FROM c -> FETCH 1: 48",
	"FETCH ABSOLUTE 60 FROM c -> FETCH 0",
	"FETCH PRIOR FROM c -> FETCH 1: 50",
	"MOVE ABSOLUTE 70 FROM c -> MOVE 0",
	"FETCH BACKWARD ALL FROM c -> FETCH 50: 50,49,48,47,46,45,44,43,42,41,40,39,38,37,36,35,34,33,32,31,30,29,28,27,26,25,24,23,22,21,20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1",
	"FETCH PRIOR FROM c -> FETCH 0",
	"FETCH 2 FROM c -> FETCH 2: 1,2",
	"MOVE BACKWARD ALL FROM c -> MOVE 1",
	"FETCH 1 FROM c -> FETCH 1: 1",
	"MOVE 48 FROM c -> MOVE 48",
	"MOVE BACKWARD ALL FROM c -> MOVE 48",
	"FETCH ABSOLUTE 25 FROM c -> FETCH 1: 25",
	"FETCH ABSOLUTE 24 FROM c -> FETCH 1: 24",
	"FETCH ABSOLUTE 40 FROM c -> FETCH 1: 40",
	"FETCH ALL FROM c -> FETCH 10: 41,42,43,44,45,46,47,48,49,50",
	"FETCH 1 FROM c -> FETCH 0",
	"MOVE 1 FROM c -> MOVE 0",
	"MOVE ABSOLUTE -1 FROM c -> MOVE 1",
	"MOVE ABSOLUTE -51 FROM c -> MOVE 0",
	"FETCH 1 FROM c -> FETCH 1: 1",
	"MOVE RELATIVE -1 FROM c -> MOVE 0",
	"FETCH FIRST FROM c -> FETCH 1: 1",
	"MOVE RELATIVE 100 FROM c -> MOVE 0",
	"FETCH RELATIVE -1 FROM c -> FETCH 1: 50",
	"MOVE BACKWARD 100 FROM c -> MOVE 49",
	"FETCH RELATIVE 1 FROM c -> FETCH 1: 1",
	"COMMIT -> COMMIT",
	"BEGIN -> BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g -> DECLARE CURSOR",
	"MOVE ABSOLUTE 0 FROM f -> MOVE 0",
	"FETCH ABSOLUTE 2 FROM f -> FETCH 1: 2",
	"FETCH RELATIVE 2 FROM f -> FETCH 1: 4",
	"MOVE ABSOLUTE 6 FROM f -> MOVE 1",
	"FETCH 1 FROM f -> FETCH 1: 7",
	"FETCH PRIOR FROM f -> ERROR 55000",
	"ROLLBACK -> ROLLBACK",
	"BEGIN -> BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g -> DECLARE CURSOR",
	"FETCH 3 FROM f -> FETCH 3: 1,2,3",
	"FETCH ABSOLUTE 1 FROM f -> ERROR 55000",
	"ROLLBACK -> ROLLBACK",
	"BEGIN -> BEGIN",
	"DECLARE f NO SCROLL CURSOR FOR SELECT g FROM generate_series(1,10) g -> DECLARE CURSOR",
	"FETCH 3 FROM f -> FETCH 3: 1,2,3",
	"MOVE 0 FROM f -> MOVE 1",
	"FETCH ALL FROM f -> FETCH 7: 4,5,6,7,8,9,10",
	"FETCH 1 FROM f -> FETCH 0",
	"MOVE ABSOLUTE 0 FROM f -> ERROR 55000",
	"ROLLBACK -> ROLLBACK",
	"BEGIN -> BEGIN",
	"DECLARE h SCROLL CURSOR WITH HOLD FOR SELECT g FROM generate_series(1,5) g -> DECLARE CURSOR",
	"FETCH 2 FROM h -> FETCH 2: 1,2",
	"COMMIT -> COMMIT",
	"FETCH 2 FROM h -> FETCH 2: 3,4",
	"FETCH ABSOLUTE 1 FROM h -> FETCH 1: 1",
	"FETCH LAST FROM h -> FETCH 1: 5",
	"FETCH BACKWARD 2 FROM h -> FETCH 2: 4,3",
	"CLOSE h -> CLOSE CURSOR",
}

// protoStep sends extended-protocol messages (then Sync) or, for a
// string, runs it as a simple query, and summarizes the answer up to
// ReadyForQuery.
func protoStep(t *testing.T, c *pgx.Conn, step any) string {
	t.Helper()
	ctx := context.Background()
	pc := c.PgConn()
	fe := pc.Frontend()
	switch x := step.(type) {
	case string:
		fe.Send(&pgproto3.Query{String: x})
	case []pgproto3.FrontendMessage:
		for _, m := range x {
			fe.Send(m)
		}
		fe.Send(&pgproto3.Sync{})
	}
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		m, err := pc.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.RowDescription:
			var fs []string
			for _, f := range m.Fields {
				fs = append(fs, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
			}
			out = append(out, "RowDescription("+strings.Join(fs, ",")+")")
		case *pgproto3.DataRow:
			var vs []string
			for _, v := range m.Values {
				vs = append(vs, string(v))
			}
			out = append(out, "DataRow("+strings.Join(vs, "|")+")")
		case *pgproto3.CommandComplete:
			out = append(out, "CommandComplete("+string(m.CommandTag)+")")
		case *pgproto3.ErrorResponse:
			out = append(out, "ErrorResponse("+m.Code+")")
		case *pgproto3.ReadyForQuery:
			out = append(out, "ReadyForQuery("+string(m.TxStatus)+")")
			return strings.Join(out, " ")
		case *pgproto3.ParameterStatus, *pgproto3.NoticeResponse:
		default:
			out = append(out, strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3."))
		}
	}
}

type protoMsgs = []pgproto3.FrontendMessage

// cursorPortalScript uses a DECLAREd cursor as a protocol portal, as
// psycopg 3's server-side cursors do.
var cursorPortalScript = []any{
	"BEGIN",
	protoMsgs{
		&pgproto3.Parse{Query: "DECLARE cur SCROLL CURSOR FOR SELECT g, 'x' || g AS x FROM generate_series(1, $1::int) AS g ORDER BY g"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("7")}},
		&pgproto3.Execute{},
	},
	protoMsgs{&pgproto3.Describe{ObjectType: 'P', Name: "cur"}},
	protoMsgs{&pgproto3.Execute{Portal: "cur", MaxRows: 3}},
	"FETCH 2 FROM cur",
	protoMsgs{&pgproto3.Execute{Portal: "cur", MaxRows: 2}},
	protoMsgs{&pgproto3.Execute{Portal: "cur", MaxRows: 2}},
	protoMsgs{&pgproto3.Execute{Portal: "cur", MaxRows: 2}},
	"MOVE ABSOLUTE 0 FROM cur",
	protoMsgs{&pgproto3.Describe{ObjectType: 'P', Name: "cur"}, &pgproto3.Execute{Portal: "cur"}},
	"FETCH PRIOR FROM cur",
	protoMsgs{&pgproto3.Execute{Portal: "cur", MaxRows: 1}},
	protoMsgs{&pgproto3.Close{ObjectType: 'P', Name: "cur"}},
	"FETCH 1 FROM cur",
	"ROLLBACK",
	"BEGIN",
	"DECLARE other CURSOR FOR SELECT 1 AS one",
	protoMsgs{&pgproto3.Parse{Query: "SELECT 2"}, &pgproto3.Bind{DestinationPortal: "other"}},
	"ROLLBACK",
	protoMsgs{&pgproto3.Describe{ObjectType: 'P', Name: "other"}},
	"SELECT 1",
}

func TestCursorPortal(t *testing.T) {
	var c *pgx.Conn
	pg := os.Getenv("LAMBDASQL_PG_DSN")
	if pg != "" {
		var err error
		if c, err = pgx.Connect(context.Background(), pg); err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
	} else {
		c = connect(t, startServer(t, ""))
	}
	for i, step := range cursorPortalScript {
		got := protoStep(t, c, step)
		if pg != "" {
			fmt.Printf("\t%q,\n", got)
			continue
		}
		if i >= len(cursorPortalWant) || got != cursorPortalWant[i] {
			want := ""
			if i < len(cursorPortalWant) {
				want = cursorPortalWant[i]
			}
			t.Errorf("step %d %v:\ngot  %s\nwant %s", i, step, got, want)
		}
	}
}

// cursorPortalWant is PostgreSQL 15's answer to cursorPortalScript
// (LAMBDASQL_PG_DSN=… go test -run TestCursorPortal prints it).
var cursorPortalWant = []string{
	"CommandComplete(BEGIN) ReadyForQuery(T)",
	"ParseComplete BindComplete CommandComplete(DECLARE CURSOR) ReadyForQuery(T)",
	"RowDescription(g:23:0,x:25:0) ReadyForQuery(T)",
	"DataRow(1|x1) DataRow(2|x2) DataRow(3|x3) PortalSuspended ReadyForQuery(T)",
	"RowDescription(g:23:0,x:25:0) DataRow(4|x4) DataRow(5|x5) CommandComplete(FETCH 2) ReadyForQuery(T)",
	"DataRow(6|x6) DataRow(7|x7) PortalSuspended ReadyForQuery(T)",
	"CommandComplete(SELECT 0) ReadyForQuery(T)",
	"CommandComplete(SELECT 0) ReadyForQuery(T)",
	"CommandComplete(MOVE 0) ReadyForQuery(T)",
	"RowDescription(g:23:0,x:25:0) DataRow(1|x1) DataRow(2|x2) DataRow(3|x3) DataRow(4|x4) DataRow(5|x5) DataRow(6|x6) DataRow(7|x7) CommandComplete(SELECT 7) ReadyForQuery(T)",
	"RowDescription(g:23:0,x:25:0) DataRow(7|x7) CommandComplete(FETCH 1) ReadyForQuery(T)",
	"CommandComplete(SELECT 0) ReadyForQuery(T)",
	"CloseComplete ReadyForQuery(T)",
	"ErrorResponse(34000) ReadyForQuery(E)",
	"CommandComplete(ROLLBACK) ReadyForQuery(I)",
	"CommandComplete(BEGIN) ReadyForQuery(T)",
	"CommandComplete(DECLARE CURSOR) ReadyForQuery(T)",
	"ParseComplete ErrorResponse(42P03) ReadyForQuery(E)",
	"CommandComplete(ROLLBACK) ReadyForQuery(I)",
	"ErrorResponse(34000) ReadyForQuery(I)",
	"RowDescription(?column?:23:0) DataRow(1) CommandComplete(SELECT 1) ReadyForQuery(I)",
}
