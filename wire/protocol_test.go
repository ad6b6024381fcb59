package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
)

// rawConn drives the protocol message by message with pgproto3's Frontend.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func (ts *testServer) dial(t testing.TB) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return nc
}

// raw connects and completes the startup (trust authentication).
func (ts *testServer) raw(t testing.TB) *rawConn {
	t.Helper()
	rc := &rawConn{t: t, nc: ts.dial(t)}
	rc.fe = pgproto3.NewFrontend(pgproto3.NewChunkReader(rc.nc), rc.nc)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "tester", "database": "testdb"}})
	got := rc.untilReady()
	if got[0] != "AuthenticationOk" || !strings.HasPrefix(got[len(got)-2], "BackendKeyData") {
		t.Fatalf("startup: %v", got)
	}
	return rc
}

// send writes msgs in one write, as a pipelining client does.
func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf); err != nil {
			rc.t.Fatal(err)
		}
	}
	if _, err := rc.nc.Write(buf); err != nil {
		rc.t.Fatal(err)
	}
}

// recv returns the next message, summarized.
func (rc *rawConn) recv() string {
	rc.t.Helper()
	m, err := rc.fe.Receive()
	if err != nil {
		rc.t.Fatalf("receive: %v", err)
	}
	return summarize(m)
}

// untilReady collects messages up to and including ReadyForQuery.
func (rc *rawConn) untilReady() []string {
	rc.t.Helper()
	var out []string
	for {
		s := rc.recv()
		out = append(out, s)
		if strings.HasPrefix(s, "ReadyForQuery") || strings.HasPrefix(s, "ErrorResponse(FATAL") {
			return out
		}
	}
}

// expect checks the messages up to ReadyForQuery.
func (rc *rawConn) expect(want ...string) {
	rc.t.Helper()
	if got := rc.untilReady(); !reflect.DeepEqual(got, want) {
		rc.t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// expectClosed checks that the server closed the connection.
func (rc *rawConn) expectClosed() {
	rc.t.Helper()
	if m, err := rc.fe.Receive(); err == nil {
		rc.t.Fatalf("connection still open, got %s", summarize(m))
	}
}

// startupPacket is a protocol 3.0 StartupMessage.
func startupPacket(params map[string]string) []byte {
	b, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: params}).Encode(nil)
	return b
}

func summarize(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.AuthenticationOk:
		return "AuthenticationOk"
	case *pgproto3.ParameterStatus:
		return "ParameterStatus(" + m.Name + "=" + m.Value + ")"
	case *pgproto3.BackendKeyData:
		return "BackendKeyData"
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery(" + string(m.TxStatus) + ")"
	case *pgproto3.RowDescription:
		var cols []string
		for _, f := range m.Fields {
			cols = append(cols, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
		}
		return "RowDescription(" + strings.Join(cols, ",") + ")"
	case *pgproto3.DataRow:
		var vals []string
		for _, v := range m.Values {
			if v == nil {
				vals = append(vals, "NULL")
			} else if isPrintable(v) {
				vals = append(vals, string(v))
			} else {
				vals = append(vals, fmt.Sprintf("%x", v))
			}
		}
		return "DataRow(" + strings.Join(vals, ",") + ")"
	case *pgproto3.CommandComplete:
		return "CommandComplete(" + string(m.CommandTag) + ")"
	case *pgproto3.ErrorResponse:
		return "ErrorResponse(" + m.Severity + " " + m.Code + " " + m.Message + ")"
	case *pgproto3.NoticeResponse:
		return "NoticeResponse(" + m.Code + " " + m.Message + ")"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription%v", m.ParameterOIDs)
	case *pgproto3.CopyInResponse:
		return fmt.Sprintf("CopyInResponse(%d,%v)", m.OverallFormat, m.ColumnFormatCodes)
	case *pgproto3.CopyOutResponse:
		return fmt.Sprintf("CopyOutResponse(%d,%v)", m.OverallFormat, m.ColumnFormatCodes)
	case *pgproto3.CopyData:
		return fmt.Sprintf("CopyData(%q)", m.Data)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func TestExecuteRowLimit(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	rc.send(
		&pgproto3.Parse{Query: "SELECT * FROM series(7)"},
		&pgproto3.Bind{ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{MaxRows: 3},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 5},
		&pgproto3.Sync{},
	)
	rc.expect("ParseComplete", "BindComplete",
		"DataRow(0000000000000001)", "DataRow(0000000000000002)", "DataRow(0000000000000003)", "PortalSuspended",
		"DataRow(0000000000000004)", "DataRow(0000000000000005)", "PortalSuspended",
		"DataRow(0000000000000006)", "DataRow(0000000000000007)", "CommandComplete(SELECT 7)",
		"ReadyForQuery(I)")

	// Exactly the remaining rows still suspends (PostgreSQL does not look
	// ahead); the next Execute completes with no rows.
	rc.send(&pgproto3.Parse{Query: "SELECT * FROM series(2)"}, &pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "DataRow(1)", "DataRow(2)", "PortalSuspended",
		"CommandComplete(SELECT 2)", "CommandComplete(SELECT 2)", "ReadyForQuery(I)")

	// Outside a transaction block portals end at Sync.
	rc.send(&pgproto3.Parse{Name: "s"}, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "ReadyForQuery(I)")
	rc.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 34000 portal "p" does not exist)`, "ReadyForQuery(I)")

	// Inside one, a named portal lives across Sync until the block ends.
	rc.send(&pgproto3.Query{String: "BEGIN"})
	rc.expect("CommandComplete(BEGIN)", "ReadyForQuery(T)")
	rc.send(&pgproto3.Parse{Name: "s2", Query: "SELECT * FROM series(5)"},
		&pgproto3.Bind{DestinationPortal: "cur", PreparedStatement: "s2"},
		&pgproto3.Execute{Portal: "cur", MaxRows: 2}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "DataRow(1)", "DataRow(2)", "PortalSuspended", "ReadyForQuery(T)")
	rc.send(&pgproto3.Execute{Portal: "cur", MaxRows: 2}, &pgproto3.Sync{})
	rc.expect("DataRow(3)", "DataRow(4)", "PortalSuspended", "ReadyForQuery(T)")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	rc.expect("CommandComplete(COMMIT)", "ReadyForQuery(I)")
	rc.send(&pgproto3.Execute{Portal: "cur"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 34000 portal "cur" does not exist)`, "ReadyForQuery(I)")
}

func TestDescribe(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	rc.send(
		&pgproto3.Parse{Name: "s1", Query: "SELECT $1::int4 AS a, $2::text AS b"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1", ParameterFormatCodes: []int16{1, 0},
			Parameters: [][]byte{{0, 0, 0, 42}, []byte("txt")}, ResultFormatCodes: []int16{0, 1}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
		&pgproto3.Execute{Portal: "p1"},
		&pgproto3.Parse{Name: "set", Query: "SET application_name = 'x'"},
		&pgproto3.Describe{ObjectType: 'S', Name: "set"},
		&pgproto3.Parse{Name: "empty", Query: "  "},
		&pgproto3.Describe{ObjectType: 'S', Name: "empty"},
		&pgproto3.Bind{DestinationPortal: "pe", PreparedStatement: "empty"},
		&pgproto3.Describe{ObjectType: 'P', Name: "pe"},
		&pgproto3.Execute{Portal: "pe"},
		&pgproto3.Sync{},
	)
	rc.expect("ParseComplete", "ParameterDescription[23 25]", "RowDescription(a:23:0,b:25:0)",
		"BindComplete", "RowDescription(a:23:0,b:25:1)", "DataRow(42,txt)", "CommandComplete(SELECT 1)",
		"ParseComplete", "ParameterDescription[]", "NoData",
		"ParseComplete", "ParameterDescription[]", "NoData",
		"BindComplete", "NoData", "EmptyQueryResponse",
		"ReadyForQuery(I)")
	// Unknown names.
	rc.send(&pgproto3.Describe{ObjectType: 'S', Name: "nope"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 26000 prepared statement "nope" does not exist)`, "ReadyForQuery(I)")
	rc.send(&pgproto3.Describe{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 34000 portal "nope" does not exist)`, "ReadyForQuery(I)")
	rc.send(&pgproto3.Describe{ObjectType: 'X', Name: "s1"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 08P01 invalid DESCRIBE message subtype 88)`, "ReadyForQuery(I)")
}

func TestSkipUntilSync(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	int4 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	for _, c := range []struct {
		name string
		msgs []pgproto3.FrontendMessage
		want string
	}{
		{"parse error", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELEC"}}, `ErrorResponse(ERROR 42601 syntax error at or near "SELEC")`},
		{"unknown statement", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "missing"}}, `ErrorResponse(ERROR 26000 prepared statement "missing" does not exist)`},
		{"param count", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT $1::int4"}, &pgproto3.Bind{}},
			`ErrorResponse(ERROR 08P01 bind message supplies 0 parameters, but prepared statement "" requires 1)`},
		{"param formats", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT $1::int4"}, &pgproto3.Bind{ParameterFormatCodes: []int16{1, 1}, Parameters: [][]byte{int4(1)}}},
			`ErrorResponse(ERROR 08P01 bind message has 2 parameter formats but 1 parameters)`},
		{"bad binary", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT $1::int4"}, &pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}}}},
			`ErrorResponse(ERROR 22P03 incorrect binary data format in bind parameter 1)`},
		{"bad text", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT $1::int4"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("x")}}},
			`ErrorResponse(ERROR 22P02 invalid input syntax for type integer: "x")`},
		{"format code", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Bind{ResultFormatCodes: []int16{7}}},
			`ErrorResponse(ERROR 22023 unsupported format code: 7)`},
		{"result formats", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Bind{ResultFormatCodes: []int16{0, 0}}},
			`ErrorResponse(ERROR 08P01 bind message has 2 result formats but query has 1 columns)`},
		{"execute error", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT raise('P0001', 'raised')"}, &pgproto3.Bind{}, &pgproto3.Execute{}},
			`ErrorResponse(ERROR P0001 raised)`},
		{"duplicate portal", []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "d"}, &pgproto3.Bind{DestinationPortal: "dp", PreparedStatement: "d"}, &pgproto3.Bind{DestinationPortal: "dp", PreparedStatement: "d"}},
			`ErrorResponse(ERROR 42P03 portal "dp" already exists)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc.t = t
			msgs := append(c.msgs, &pgproto3.Execute{}, &pgproto3.Query{String: "SELECT 1"}, &pgproto3.Sync{})
			rc.send(msgs...)
			got := rc.untilReady()
			if len(got) < 2 || got[len(got)-2] != c.want || got[len(got)-1] != "ReadyForQuery(I)" {
				t.Fatalf("got %v, want ... %s, ReadyForQuery(I)", got, c.want)
			}
			for _, m := range got[:len(got)-2] {
				if !strings.HasSuffix(m, "Complete") && !strings.HasPrefix(m, "DataRow") {
					t.Errorf("unexpected %s before the error", m)
				}
			}
			rc.send(&pgproto3.Query{String: "SELECT 1"})
			rc.expect("RowDescription(?column?:23:0)", "DataRow(1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
		})
	}
}

func TestCloseAndReplace(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	rc.send(
		&pgproto3.Close{ObjectType: 'S', Name: "never"},
		&pgproto3.Close{ObjectType: 'P', Name: "never"},
		&pgproto3.Parse{Name: "s", Query: "SELECT 1"},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Close{ObjectType: 'S', Name: "s"},
		// The portal outlives its statement's Close.
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Close{ObjectType: 'P', Name: "p"},
		// The unnamed statement is replaced by the next unnamed Parse.
		&pgproto3.Parse{Query: "SELECT 1"},
		&pgproto3.Parse{Query: "SELECT 2"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	rc.expect("CloseComplete", "CloseComplete", "ParseComplete", "BindComplete", "CloseComplete",
		"DataRow(1)", "CommandComplete(SELECT 1)", "CloseComplete",
		"ParseComplete", "ParseComplete", "BindComplete", "DataRow(2)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	rc.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Sync{})
	rc.expect(`ErrorResponse(ERROR 26000 prepared statement "s" does not exist)`, "ReadyForQuery(I)")
	// A simple Query drops the unnamed statement.
	rc.send(&pgproto3.Parse{Query: "SELECT 3"}, &pgproto3.Sync{}, &pgproto3.Query{String: "SELECT 4"}, &pgproto3.Bind{}, &pgproto3.Sync{})
	got := rc.untilReady()
	got = append(got, rc.untilReady()...)
	got = append(got, rc.untilReady()...)
	if want := `ErrorResponse(ERROR 26000 prepared statement "" does not exist)`; got[len(got)-2] != want {
		t.Fatalf("got %v", got)
	}
	// Flush sends what is pending without a Sync.
	rc.send(&pgproto3.Parse{Query: "SELECT 5"}, &pgproto3.Flush{})
	if m := rc.recv(); m != "ParseComplete" {
		t.Fatalf("after Flush: %s", m)
	}
	rc.send(&pgproto3.Sync{})
	rc.expect("ReadyForQuery(I)")
	// Fastpath function calls are refused but the session goes on.
	rc.send(&pgproto3.FunctionCall{Function: 1, ResultFormatCode: 0})
	rc.expect("ErrorResponse(ERROR 0A000 fastpath function calls are not supported)", "ReadyForQuery(I)")
	rc.send(&pgproto3.Terminate{})
	rc.expectClosed()
}

func TestStartupNegotiation(t *testing.T) {
	ts := startServer(t, Config{})
	startup := func(version uint32, params map[string]string) []byte {
		b, _ := (&pgproto3.StartupMessage{ProtocolVersion: version, Parameters: params}).Encode(nil)
		return b
	}
	readAll := func(nc net.Conn) []byte {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(nc)
		return b
	}

	t.Run("protocol 2", func(t *testing.T) {
		nc := ts.dial(t)
		nc.Write(startup(2<<16, map[string]string{"user": "tester"}))
		if b := readAll(nc); !bytes.Contains(b, []byte("08P01")) || !bytes.Contains(b, []byte("unsupported frontend protocol 2.0")) {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("protocol 3.2", func(t *testing.T) {
		nc := ts.dial(t)
		nc.Write(startup(3<<16|2, map[string]string{"user": "tester", "_pq_.opt": "x"}))
		// NegotiateProtocolVersion: newest minor 0, one unknown option.
		want := []byte{'v', 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 1}
		want = append(want, "_pq_.opt\x00"...)
		got := make([]byte, len(want))
		if _, err := io.ReadFull(nc, got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %q %v, want %q", got, err, want)
		}
		rc := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)}
		if got := rc.untilReady(); got[0] != "AuthenticationOk" {
			t.Fatalf("got %v", got)
		}
		rc.send(&pgproto3.Query{String: "SELECT 1"})
		rc.expect("RowDescription(?column?:23:0)", "DataRow(1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	})
	t.Run("no user", func(t *testing.T) {
		nc := ts.dial(t)
		nc.Write(startup(pgproto3.ProtocolVersionNumber, map[string]string{"database": "x"}))
		if b := readAll(nc); !bytes.Contains(b, []byte("28000")) {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("bad length", func(t *testing.T) {
		nc := ts.dial(t)
		nc.Write([]byte{0, 0, 0x7f, 0xff, 0, 3, 0, 0})
		if b := readAll(nc); !bytes.Contains(b, []byte("invalid length of startup packet")) {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("bad layout", func(t *testing.T) {
		nc := ts.dial(t)
		nc.Write([]byte{0, 0, 0, 12, 0, 3, 0, 0, 'u', 's', 'e', 'r'})
		if b := readAll(nc); !bytes.Contains(b, []byte("08P01")) {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("GSS and SSL refused then plain", func(t *testing.T) {
		nc := ts.dial(t)
		gss := []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30}
		ssl := []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}
		nc.Write(gss)
		nc.Write(ssl)
		got := make([]byte, 2)
		if _, err := io.ReadFull(nc, got); err != nil || string(got) != "NN" {
			t.Fatalf("got %q %v", got, err)
		}
		nc.Write(startup(pgproto3.ProtocolVersionNumber, map[string]string{"user": "tester"}))
		rc := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)}
		if got := rc.untilReady(); got[len(got)-1] != "ReadyForQuery(I)" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("cancel for nobody", func(t *testing.T) {
		nc := ts.dial(t)
		b, _ := (&pgproto3.CancelRequest{ProcessID: 1, SecretKey: 2}).Encode(nil)
		nc.Write(b)
		if b := readAll(nc); len(b) != 0 {
			t.Fatalf("cancel answered %q", b)
		}
	})
}

func TestMessageLimits(t *testing.T) {
	ts := startServer(t, Config{MaxMessageBytes: 64 << 10})
	// A message just under the limit is fine.
	rc := ts.raw(t)
	big := "SELECT '" + strings.Repeat("x", 64<<10-5-len("SELECT ''")-1) + "'"
	rc.send(&pgproto3.Query{String: big})
	got := rc.untilReady()
	if got[len(got)-2] != "CommandComplete(SELECT 1)" {
		t.Fatalf("got %v", got[len(got)-2:])
	}
	// One past it ends the connection before the body is read.
	rc.send(&pgproto3.Query{String: big + " "})
	if m := rc.recv(); !strings.HasPrefix(m, "ErrorResponse(FATAL 54000 message too large") {
		t.Fatalf("got %s", m)
	}
	rc.expectClosed()
	// A header claiming a gigabyte is refused without reading or
	// allocating it.
	rc = ts.raw(t)
	rc.nc.Write([]byte{'Q', 0x40, 0, 0, 0})
	if m := rc.recv(); !strings.HasPrefix(m, "ErrorResponse(FATAL 54000") {
		t.Fatalf("got %s", m)
	}
	rc.expectClosed()
	// Malformed messages: pgproto3 would panic on a negative parameter
	// length; unknown types end the connection with 08P01.
	for _, raw := range [][]byte{
		{'B', 0, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0, 0, 0},
		{'Z', 0, 0, 0, 4},
		{'p', 0, 0, 0, 5, 0},
		{'E', 0, 0, 0, 5, 0},
	} {
		rc = ts.raw(t)
		rc.nc.Write(raw)
		if m := rc.recv(); !strings.HasPrefix(m, "ErrorResponse(FATAL 08P01") {
			t.Fatalf("%q: got %s", raw, m)
		}
		rc.expectClosed()
	}
	// The server lives on.
	mustSelect1(t, ts.pgx(t))
}
