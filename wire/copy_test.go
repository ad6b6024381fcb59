package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"

	"lambdasql/sql/types"
)

// itemRows reads the items table back as text.
func itemRows(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	res, err := conn.PgConn().Exec(testCtx(t), "SELECT * FROM items").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range res[0].Rows {
		var vals []string
		for _, v := range row {
			if v == nil {
				vals = append(vals, "NULL")
			} else {
				vals = append(vals, string(v))
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	return out
}

func wantRows(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCopyFromPgx(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	ts1 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name", "price", "ts"}, pgx.CopyFromRows([][]any{
		{int64(1), "one", 1.5, ts1},
		{int64(2), nil, nil, nil},
		{int64(3), "tab\there", -0.25, ts1.Add(time.Hour)},
	}))
	if err != nil || n != 3 {
		t.Fatalf("CopyFrom: %d %v", n, err)
	}
	wantRows(t, itemRows(t, conn),
		"1|one|1.5|2024-01-02 03:04:05+00",
		"2|NULL|NULL|NULL",
		"3|tab\there|-0.25|2024-01-02 04:04:05+00")

	// A failing source aborts the copy: CopyFail, 57014, nothing applied.
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id"}, pgx.CopyFromFunc(func() ([]any, error) {
		return nil, errors.New("source broke")
	}))
	wantCode(t, err, "57014")
	if !strings.Contains(err.Error(), "COPY from stdin failed: ") {
		t.Errorf("message: %v", err)
	}
	ts.h.mu.Lock()
	abort := ts.h.lastAbort
	ts.h.mu.Unlock()
	if !strings.Contains(abort, "source broke") {
		t.Errorf("Abort reason %q", abort)
	}
	if got := itemRows(t, conn); len(got) != 3 {
		t.Fatalf("rows after a failed copy: %v", got)
	}
}

func TestCopyFromTextAndCSV(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("1\tone\t1.5\t2024-01-01 00:00:00+00\n2\t\\N\t\\N\t\\N\n3\ta\\tb\\\\c\t2\t\\N\n"), "COPY items FROM STDIN")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("text copy: %q %v", tag, err)
	}
	tag, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("id,name,price,ts\n4,\"a,b\",2.5,\n5,\"\",,\n6,\"multi\nline \"\"q\"\"\",,\n"), "COPY items FROM STDIN WITH (FORMAT csv, HEADER true)")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("csv copy: %q %v", tag, err)
	}
	wantRows(t, itemRows(t, conn),
		"1|one|1.5|2024-01-01 00:00:00+00",
		"2|NULL|NULL|NULL",
		"3|a\tb\\c|2|NULL",
		"4|a,b|2.5|NULL",
		"5||NULL|NULL",
		"6|multi\nline \"q\"|NULL|NULL")
	// Bad data: Finish fails, the error reaches the client, nothing is applied.
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("7\tseven\n8\t\\N\n"), "COPY items (id, name) FROM STDIN")
	if err != nil {
		t.Fatalf("two-column copy: %v", err)
	}
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("9\tnine\textra\n"), "COPY items (id, name) FROM STDIN")
	wantCode(t, err, "22P04")
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("x\n"), "COPY items (id) FROM STDIN")
	wantCode(t, err, "22P02")
	if got := itemRows(t, conn); len(got) != 8 {
		t.Fatalf("rows: %v", got)
	}
	mustSelect1(t, conn)
}

func TestCopyFromLibPQ(t *testing.T) {
	ts := startServer(t, Config{})
	db := ts.pq(t)
	ctx := testCtx(t)
	txn, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := txn.Prepare(pq.CopyIn("items", "id", "name", "price"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := stmt.Exec(int64(i), fmt.Sprintf("name %d\twith tab", i), float64(i)/2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		t.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	var name string
	var count int
	rows, err := db.QueryContext(ctx, "SELECT name FROM items")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != 50 || name != "name 49\twith tab" {
		t.Fatalf("%d rows, last %q", count, name)
	}
}

func seedItems(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	_, err := conn.PgConn().CopyFrom(testCtx(t), strings.NewReader(
		"1\tplain\t1.5\t2024-01-01 00:00:00+00\n"+
			"2\t\\N\t\\N\t\\N\n"+
			"3\ttab\\there, \"quoted\"\\\\\t-2\t2024-06-30 12:00:00.25+00\n"+
			"4\t\t0\t\\N\n"), "COPY items FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
}

func TestCopyTo(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	seedItems(t, conn)
	copyTo := func(sql string) string {
		t.Helper()
		var buf bytes.Buffer
		tag, err := conn.PgConn().CopyTo(ctx, &buf, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if tag.String() != "COPY 4" && !strings.Contains(sql, "alltypes") {
			t.Errorf("tag %q", tag)
		}
		return buf.String()
	}
	if got, want := copyTo("COPY items TO STDOUT"),
		"1\tplain\t1.5\t2024-01-01 00:00:00+00\n"+
			"2\t\\N\t\\N\t\\N\n"+
			"3\ttab\\there, \"quoted\"\\\\\t-2\t2024-06-30 12:00:00.25+00\n"+
			"4\t\t0\t\\N\n"; got != want {
		t.Errorf("text:\n%q\nwant\n%q", got, want)
	}
	if got, want := copyTo("COPY items TO STDOUT WITH (FORMAT csv, HEADER true)"),
		"id,name,price,ts\n"+
			"1,plain,1.5,2024-01-01 00:00:00+00\n"+
			"2,,,\n"+
			"3,\"tab\there, \"\"quoted\"\"\\\",-2,2024-06-30 12:00:00.25+00\n"+
			"4,\"\",0,\n"; got != want {
		t.Errorf("csv:\n%q\nwant\n%q", got, want)
	}
	if got, want := copyTo("COPY items TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (name, id), NULL 'NULL', DELIMITER ';')"),
		"\"1\";\"plain\";1.5;2024-01-01 00:00:00+00\n"+
			"\"2\";NULL;NULL;NULL\n"+
			"\"3\";\"tab\there, \"\"quoted\"\"\\\";-2;2024-06-30 12:00:00.25+00\n"+
			"\"4\";\"\";0;NULL\n"; got != want {
		t.Errorf("csv force quote:\n%q\nwant\n%q", got, want)
	}

	// Binary: the PGCOPY header, tuples, the trailer.
	bin := []byte(copyTo("COPY items TO STDOUT (FORMAT binary)"))
	if !bytes.HasPrefix(bin, binaryCopyHeader) || !bytes.HasSuffix(bin, []byte{0xff, 0xff}) {
		t.Fatalf("binary framing: %x", bin)
	}
	b := bin[len(binaryCopyHeader) : len(bin)-2]
	var rows []string
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		var vals []string
		for j := 0; j < n; j++ {
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l < 0 {
				vals = append(vals, "NULL")
				continue
			}
			v, err := decodeBinary(itemCols[j].Type, b[:l])
			if err != nil {
				t.Fatal(err)
			}
			vals = append(vals, types.FormatText(itemCols[j].Type, v, time.UTC))
			b = b[l:]
		}
		rows = append(rows, strings.Join(vals, "|"))
	}
	wantRows(t, rows, "1|plain|1.5|2024-01-01 00:00:00+00", "2|NULL|NULL|NULL",
		"3|tab\there, \"quoted\"\\|-2|2024-06-30 12:00:00.25+00", "4||0|NULL")

	// COPY (query): every type in text, with COPY escaping on top.
	text := copyTo("COPY (SELECT * FROM alltypes) TO STDOUT")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != len(allTypesText) {
		t.Fatalf("%d lines", len(lines))
	}
	for r, line := range lines {
		fields := strings.Split(line, "\t")
		for j, f := range fields {
			want := `\N`
			if v := allTypesText[r][j]; v != nil {
				want = string(appendCopyText(nil, []byte(*v), '\t'))
			}
			if f != want {
				t.Errorf("row %d %s: %q, want %q", r, allTypesCols[j].Name, f, want)
			}
		}
	}
	// Binary COPY of every type decodes back to the same values.
	bin = []byte(copyTo("COPY (SELECT * FROM alltypes) TO STDOUT WITH (FORMAT binary)"))
	b = bin[len(binaryCopyHeader) : len(bin)-2]
	for r := 0; len(b) > 0; r++ {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		for j := 0; j < n; j++ {
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l < 0 {
				if allTypesText[r][j] != nil {
					t.Errorf("row %d %s: NULL", r, allTypesCols[j].Name)
				}
				continue
			}
			typ := allTypesCols[j].Type
			v, err := decodeBinary(typ, b[:l])
			if err != nil {
				t.Fatalf("row %d %s: %v", r, allTypesCols[j].Name, err)
			}
			if got := types.FormatText(typ, v, time.UTC); typ.Family != types.FamArray && got != *allTypesText[r][j] {
				t.Errorf("row %d %s: %q, want %q", r, allTypesCols[j].Name, got, *allTypesText[r][j])
			}
			b = b[l:]
		}
	}
}

// TestCopyExtended drives COPY through Parse/Bind/Execute, where Flush and
// Sync sent during COPY IN are ignored.
func TestCopyExtended(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	rc.send(&pgproto3.Parse{Query: "COPY items (id, name) FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	for _, want := range []string{"ParseComplete", "BindComplete", "CopyInResponse(0,[0 0])"} {
		if got := rc.recv(); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	rc.send(&pgproto3.CopyData{Data: []byte("1\tx\n2\t")}, &pgproto3.Flush{}, &pgproto3.Sync{},
		&pgproto3.CopyData{Data: []byte("y\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	rc.expect("CommandComplete(COPY 2)", "ReadyForQuery(I)")

	rc.send(&pgproto3.Parse{Query: "COPY items TO STDOUT (FORMAT csv)"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "NoData", "CopyOutResponse(0,[0 0 0 0])",
		`CopyData("1,x,,\n")`, `CopyData("2,y,,\n")`, "CopyDone", "CommandComplete(COPY 2)", "ReadyForQuery(I)")

	// A message that has no place in COPY IN ends it with 08P01; the
	// rest of the client's copy stream is ignored.
	rc.send(&pgproto3.Query{String: "COPY items FROM STDIN"})
	if got := rc.recv(); got != "CopyInResponse(0,[0 0 0 0])" {
		t.Fatal(got)
	}
	rc.send(&pgproto3.Parse{Query: "SELECT 1"})
	rc.expect("ErrorResponse(ERROR 08P01 unexpected message type 0x50 during COPY from stdin)", "ReadyForQuery(I)")
	rc.send(&pgproto3.CopyData{Data: []byte("late\n")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "SELECT 1"})
	rc.expect("RowDescription(?column?:23:0)", "DataRow(1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	// CopyFail in the simple protocol.
	rc.send(&pgproto3.Query{String: "COPY items FROM STDIN"})
	rc.recv()
	rc.send(&pgproto3.CopyData{Data: []byte("3\tz\n")}, &pgproto3.CopyFail{Message: "client gave up"})
	rc.expect("ErrorResponse(ERROR 57014 COPY from stdin failed: client gave up)", "ReadyForQuery(I)")
}

func TestCopyFormatting(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a\tb\nc\rd\\e", `a\tb\nc\rd\\e`},
		{"\b\f\v", `\b\f\v`},
		{"x|y", `x\|y`},
		{"héllo", "héllo"},
	} {
		if got := string(appendCopyText(nil, []byte(c.in), '|')); got != c.want {
			t.Errorf("text %q: %q, want %q", c.in, got, c.want)
		}
	}
	f := &CopyFormat{Kind: "csv", Delimiter: ',', Quote: '"', Escape: '"', Null: ""}
	for _, c := range []struct {
		in            string
		force, single bool
		want          string
	}{
		{"plain", false, false, "plain"},
		{"", false, false, `""`},
		{"a,b", false, false, `"a,b"`},
		{`say "hi"`, false, false, `"say ""hi"""`},
		{"two\nlines", false, false, "\"two\nlines\""},
		{"cr\r", false, false, "\"cr\r\""},
		{"x", true, false, `"x"`},
		{`\.`, false, true, `"\."`},
		{`\.`, false, false, `\.`},
	} {
		if got := string(appendCSVField(nil, []byte(c.in), f, c.force, c.single)); got != c.want {
			t.Errorf("csv %q: %q, want %q", c.in, got, c.want)
		}
	}
	esc := &CopyFormat{Kind: "csv", Delimiter: ';', Quote: '\'', Escape: '\\', Null: `\N`}
	if got := string(appendCSVField(nil, []byte(`it's \ ok;`), esc, false, false)); got != `'it\'s \\ ok;'` {
		t.Errorf("custom quote/escape: %q", got)
	}
	if got := string(appendCSVField(nil, []byte(`\N`), esc, false, false)); got != `'\\N'` {
		t.Errorf("value equal to NULL string: %q", got)
	}
}

// TestCopyToBinaryFraming checks binary COPY TO's CopyData messages are
// framed as PostgreSQL frames them: the file header together with the
// first row, one row per message, the trailer alone; without rows the
// header alone (psycopg 3 parses each CopyData as one row).
func TestCopyToBinaryFraming(t *testing.T) {
	ts := startServer(t, Config{})
	rc := ts.raw(t)
	copyData := func() [][]byte {
		t.Helper()
		rc.send(&pgproto3.Query{String: "COPY items TO STDOUT (FORMAT binary)"})
		var out [][]byte
		for {
			m, err := rc.fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			switch m := m.(type) {
			case *pgproto3.CopyData:
				out = append(out, append([]byte{}, m.Data...))
			case *pgproto3.ErrorResponse:
				t.Fatalf("error: %s", m.Message)
			case *pgproto3.ReadyForQuery:
				return out
			}
		}
	}
	trailer := []byte{0xff, 0xff}
	// No rows: [header] [trailer].
	msgs := copyData()
	if len(msgs) != 2 || !bytes.Equal(msgs[0], binaryCopyHeader) || !bytes.Equal(msgs[1], trailer) {
		t.Fatalf("empty binary COPY: %x", msgs)
	}
	rc.send(&pgproto3.Query{String: "COPY items (id) FROM STDIN"})
	rc.recv()
	rc.send(&pgproto3.CopyData{Data: []byte("1\n2\n3\n")}, &pgproto3.CopyDone{})
	rc.expect("CommandComplete(COPY 3)", "ReadyForQuery(I)")
	// Three rows: [header + row 1] [row 2] [row 3] [trailer].
	msgs = copyData()
	if len(msgs) != 4 || !bytes.Equal(msgs[3], trailer) || !bytes.HasPrefix(msgs[0], binaryCopyHeader) {
		t.Fatalf("binary COPY: %x", msgs)
	}
	msgs[0] = msgs[0][len(binaryCopyHeader):]
	for i, m := range msgs[:3] {
		// 4 fields: id int8 = i+1, then three NULLs.
		want := binary.BigEndian.AppendUint16(nil, 4)
		want = binary.BigEndian.AppendUint32(want, 8)
		want = binary.BigEndian.AppendUint64(want, uint64(i+1))
		for range 3 {
			want = binary.BigEndian.AppendUint32(want, 0xffffffff)
		}
		if !bytes.Equal(m, want) {
			t.Errorf("row %d: %x, want %x", i+1, m, want)
		}
	}
}
