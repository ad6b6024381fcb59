package wire

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgx/v5/pgtype"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

func TestNumericBinary(t *testing.T) {
	for _, c := range []struct{ in, hex, text string }{
		{"0", "0000000000000000", "0"},
		{"0.00", "0000000000000002", "0.00"},
		{"-0", "0000000000000000", "0"},
		{"1", "0001000000000000" + "0001", "1"},
		{"10000", "0001000100000000" + "0001", "10000"},
		{"12345.6789", "0003000100000004000109291a85", "12345.6789"},
		{"-0.000100", "0001ffff400000060001", "-0.000100"},
		{"0.0001", "0001ffff000000040001", "0.0001"},
		{"1.50", "00020000000000020001" + "1388", "1.50"},
		{"1.5e3", "0001000000000000" + "05dc", "1500"},
		{"2E-3", "0001ffff00000003" + "0014", "0.002"},
		{"NaN", "00000000c0000000", "NaN"},
		{"Infinity", "00000000d0000000", "Infinity"},
		{"-Infinity", "00000000f0000000", "-Infinity"},
	} {
		b, err := appendNumericBinary(nil, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := hex.EncodeToString(b); got != c.hex {
			t.Errorf("%s: %s, want %s", c.in, got, c.hex)
		}
		if got, err := numericText(b); err != nil || got != c.text {
			t.Errorf("%s: back to text %q %v, want %q", c.in, got, err, c.text)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1e", "--1", "1e99999999"} {
		if _, err := appendNumericBinary(nil, bad); err == nil {
			t.Errorf("%q encoded", bad)
		}
	}
	for _, bad := range []string{"", "0001", "0001000000000000", "000100000000000027ff", "0000000012340000"} {
		b, _ := hex.DecodeString(bad)
		if _, err := numericText(b); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	// Random decimals against pgx's own numeric codec.
	rng := rand.New(rand.NewPCG(1, 2))
	m := pgtype.NewMap()
	for range 2000 {
		s := randomDecimal(rng)
		b, err := appendNumericBinary(nil, s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		v, err := pgtype.NumericCodec{}.DecodeValue(m, types.Numeric.OID, 1, b)
		if err != nil {
			t.Fatalf("%s: pgx cannot decode %x: %v", s, b, err)
		}
		n := v.(pgtype.Numeric)
		got := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(n.Int), n.Exp)
		want, _, _ := apd.NewFromString(s)
		if got.Cmp(want) != 0 {
			t.Fatalf("%s: pgx decodes %x as %s", s, b, got)
		}
		wantText := want.Text('f')
		if want.IsZero() {
			wantText = strings.TrimPrefix(wantText, "-") // numeric has no negative zero
		}
		back, err := numericText(b)
		if err != nil || back != wantText {
			t.Fatalf("%s: numericText %q %v, want %q", s, back, err, wantText)
		}
		d, err := decodeNumeric(b)
		if err != nil || d.Cmp(want) != 0 {
			t.Fatalf("%s: decodeNumeric %v %v", s, d, err)
		}
	}
}

func randomDecimal(rng *rand.Rand) string {
	digits := func(n int) string {
		var sb strings.Builder
		for range n {
			sb.WriteByte(byte('0' + rng.IntN(10)))
		}
		return sb.String()
	}
	s := digits(rng.IntN(20))
	if s == "" {
		s = "0"
	}
	if rng.IntN(2) == 0 {
		s += "." + digits(1+rng.IntN(20))
	}
	if rng.IntN(3) == 0 {
		s = "-" + s
	}
	return s
}

// encodeColumn encodes one column the way a result does.
func encodeColumn(t *testing.T, typ *types.T, format int16, arr arrow.Array) [][]byte {
	t.Helper()
	e, err := newEncoder(typ, format, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var c cells
	if err := e.encode(&c, arr, 0, arr.Len()); err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, arr.Len())
	for i := range out {
		s, end := c.span(i)
		if !c.isNull(s) {
			out[i] = c.buf[s+4 : end]
		}
	}
	return out
}

func TestArrayEncoding(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	typ := types.ArrayOf(types.Int4)
	rec := buildRecord(mem, exec.Schema{{Name: "a", Type: typ}}, [][]any{
		{[]any{int64(1), nil, int64(3)}}, {[]any{}}, {nil}, {[]any{int64(-1)}},
	})
	defer rec.Release()
	bin := encodeColumn(t, typ, 1, rec.Column(0))
	want := []string{
		"00000001" + "00000001" + "00000017" + "00000003" + "00000001" + "0000000400000001" + "ffffffff" + "0000000400000003",
		"00000000" + "00000000" + "00000017",
		"",
		"00000001" + "00000000" + "00000017" + "00000001" + "00000001" + "00000004ffffffff",
	}
	for i, w := range want {
		if got := hex.EncodeToString(bin[i]); got != w || (w == "") != (bin[i] == nil) {
			t.Errorf("row %d: %s, want %s", i, got, w)
		}
	}
	text := encodeColumn(t, typ, 0, rec.Column(0))
	for i, w := range []string{"{1,NULL,3}", "{}", "", "{-1}"} {
		if string(text[i]) != w {
			t.Errorf("row %d: %q, want %q", i, text[i], w)
		}
	}
	// A slice of the list array (offsets not starting at 0).
	sl := array.NewSlice(rec.Column(0), 3, 4)
	defer sl.Release()
	if got := encodeColumn(t, typ, 0, sl); string(got[0]) != "{-1}" {
		t.Errorf("sliced: %q", got[0])
	}
	for _, c := range []struct{ in, want string }{
		{"a", "a"}, {"", `""`}, {"null", `"null"`}, {"NULLS", "NULLS"}, {"a,b", `"a,b"`}, {`x"y`, `"x\"y"`},
		{`back\`, `"back\\"`}, {"{}", `"{}"`}, {"sp ace", `"sp ace"`}, {"tab\t", "\"tab\t\""}, {"é", "é"},
	} {
		if got := string(appendArrayElem(nil, []byte(c.in))); got != c.want {
			t.Errorf("element %q: %s, want %s", c.in, got, c.want)
		}
	}
	if _, err := newEncoder(types.ArrayOf(types.ArrayOf(types.Int4)), 0, nil); err == nil {
		t.Error("nested arrays accepted")
	}
	if _, err := newEncoder(types.Record, 1, nil); err == nil {
		t.Error("binary record accepted")
	}
}

func TestEncodeSpecialColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// Dictionary-encoded strings encode like plain ones.
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String})
	sb := db.(*array.BinaryDictionaryBuilder)
	for _, s := range []string{"b", "a", "b"} {
		_ = sb.AppendString(s)
	}
	sb.AppendNull()
	dict := sb.NewArray()
	sb.Release()
	defer dict.Release()
	got := encodeColumn(t, types.Text, 0, dict)
	if string(got[0]) != "b" || string(got[1]) != "a" || string(got[2]) != "b" || got[3] != nil {
		t.Errorf("dictionary: %q", got)
	}
	// Timestamps in another unit are converted.
	tb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Nanosecond})
	tb.Append(arrow.Timestamp(1_500_000_000))
	tsa := tb.NewArray()
	tb.Release()
	defer tsa.Release()
	if got := encodeColumn(t, types.Timestamp, 0, tsa); string(got[0]) != "1970-01-01 00:00:01.5" {
		t.Errorf("ns timestamp: %q", got[0])
	}
	// An arrow.Null column: NULL for an untyped NULL, empty for void
	// (as void_out prints it).
	na := array.NewNull(2)
	defer na.Release()
	if got := encodeColumn(t, types.Null, 1, na); got[0] != nil || got[1] != nil {
		t.Errorf("null column: %q", got)
	}
	if got := encodeColumn(t, types.Void, 0, na); got[0] == nil || len(got[0]) != 0 {
		t.Errorf("void column: %q", got)
	}
	// A column whose Arrow type does not match is a bug, not a panic.
	ib := array.NewInt64Builder(mem)
	ib.Append(1)
	ia := ib.NewArray()
	ib.Release()
	defer ia.Release()
	e, _ := newEncoder(types.Int4, 0, nil)
	var c cells
	if err := e.encode(&c, ia, 0, 1); err == nil || !strings.Contains(err.Error(), "BUG") {
		t.Errorf("mismatch: %v", err)
	}
	// time of day text.
	for us, want := range map[int64]string{0: "00:00:00", 1: "00:00:00.000001", 86399_999999: "23:59:59.999999", 45296_500000: "12:34:56.5"} {
		if got := string(appendClock(nil, us)); got != want {
			t.Errorf("clock %d: %q, want %q", us, got, want)
		}
	}
}

func TestDecodeBinary(t *testing.T) {
	be32 := func(vs ...int32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		}
		return b
	}
	good := []struct {
		typ  *types.T
		in   []byte
		want string
	}{
		{types.Int2, []byte{0xff, 0xfe}, "-2"},
		{types.Date, be32(0), "2000-01-01"},
		{types.Timestamp, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "infinity"},
		{types.Interval, append(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, be32(2)...), be32(3)...), "3 mons 2 days 00:00:00.000001"},
		{types.ArrayOf(types.Int4), be32(0, 0, 23), "{}"},
		{types.ArrayOf(types.Text), append(be32(1, 1, 25, 2, 1, -1, 1), 'x'), "{NULL,x}"},
		{types.JSONB, []byte("\x01{}"), "{}"},
		{types.Varchar, []byte("v"), "v"},
	}
	for _, c := range good {
		v, err := decodeBinary(c.typ, c.in)
		if err != nil {
			t.Errorf("%s %x: %v", c.typ, c.in, err)
			continue
		}
		if got := types.FormatText(c.typ, v, time.UTC); got != c.want {
			t.Errorf("%s %x: %q, want %q", c.typ, c.in, got, c.want)
		}
	}
	bad := []struct {
		typ *types.T
		in  []byte
	}{
		{types.Bool, nil},
		{types.Int4, []byte{1, 2}},
		{types.Int8, []byte{1, 2, 3, 4}},
		{types.Float4, []byte{1}},
		{types.Time, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{types.Timestamp, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}},
		{types.Text, []byte{0xff}},
		{types.JSONB, []byte("{}")},
		{types.ArrayOf(types.Int4), be32(1, 0, 23, 1000000, 1)},
		{types.ArrayOf(types.Int4), be32(1, 0, 23, 1, 1, -7)},
		{types.ArrayOf(types.Int4), be32(1, 0, 23, 1, 1, 100)},
		{types.ArrayOf(types.Int4), be32(2, 0, 23, 1, 1, 1, 1)},
		{types.ArrayOf(types.Int4), be32(1, 0, 25, 0, 1)},
		{types.ArrayOf(types.Int4), be32(1, 5, 23, 0, 1)},
		{types.ArrayOf(types.Int4), be32(0, 0, 23, 9)},
		{types.Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0}},
		{types.Record, []byte("x")},
	}
	for _, c := range bad {
		if v, err := decodeBinary(c.typ, c.in); err == nil {
			t.Errorf("%s %x decoded to %v", c.typ, c.in, v)
		}
	}
}

// BenchmarkDataRows measures encoding a telemetry-like record (int8,
// text, float8, timestamptz) into DataRows.
func BenchmarkDataRows(b *testing.B) {
	mem := memory.NewGoAllocator()
	cols := exec.Schema{{Name: "id", Type: types.Int8}, {Name: "device", Type: types.Text},
		{Name: "temperature", Type: types.Float8}, {Name: "ts", Type: types.TimestampTZ}}
	rows := make([][]any, exec.BatchSize)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprintf("device-%05d", i%1000), 20 + math.Sin(float64(i)), types.TimestampD(1_700_000_000_000_000 + int64(i)*1000)}
	}
	rec := buildRecord(mem, cols, rows)
	defer rec.Release()
	for _, format := range []int16{0, 1} {
		b.Run(map[int16]string{0: "text", 1: "binary"}[format], func(b *testing.B) {
			c := &conn{}
			encs := make([]*colEncoder, len(cols))
			for i, col := range cols {
				encs[i], _ = newEncoder(col.Type, format, time.UTC)
			}
			if err := c.encodeRows(encs, rec, 0, int(rec.NumRows())); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.wbuf)))
			b.ReportAllocs()
			for b.Loop() {
				c.wbuf = c.wbuf[:0]
				if err := c.encodeRows(encs, rec, 0, int(rec.NumRows())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMsgReader(t *testing.T) {
	blocked := 0
	data := []byte("0123456789abcdefghij")
	r := newMsgReader(strings.NewReader(string(data)), 12, func() { blocked++ })
	r.buf = make([]byte, 8) // force growth and compaction
	var got []byte
	for _, n := range []int{3, 5, 12} {
		b, err := r.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != n || cap(b) != n {
			t.Fatalf("Next(%d) returned %d bytes, cap %d", n, len(b), cap(b))
		}
		got = append(got, b...)
	}
	if string(got) != string(data) {
		t.Fatalf("read %q", got)
	}
	if blocked == 0 {
		t.Error("the block hook never ran")
	}
	if _, err := r.Next(13); err == nil {
		t.Error("a request past the limit succeeded")
	}
	if _, err := r.Next(1); err != io.EOF {
		t.Errorf("at the end: %v", err)
	}
	// A partial message at EOF is an unexpected EOF.
	r = newMsgReader(strings.NewReader("abc"), 100, nil)
	if _, err := r.Next(5); err != io.ErrUnexpectedEOF {
		t.Errorf("partial: %v", err)
	}
	// shrink keeps pipelined bytes.
	r = newMsgReader(strings.NewReader(strings.Repeat("x", 300<<10)+"tail"), 1<<20, nil)
	if _, err := r.Next(300 << 10); err != nil {
		t.Fatal(err)
	}
	r.shrink()
	if b, err := r.Next(4); err != nil || string(b) != "tail" || len(r.buf) > keepReadBufBytes {
		t.Errorf("after shrink: %q %v, buffer %d", b, err, len(r.buf))
	}
}
