package stream

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func mustType(t testing.TB, name string) *types.T {
	t.Helper()
	typ, ok := types.ByName(name)
	if !ok {
		t.Fatalf("no type %q", name)
	}
	return typ
}

// allTypesSchema has one column of each type the decoder reads.
func allTypesSchema(t testing.TB) exec.Schema {
	var s exec.Schema
	for _, c := range [][2]string{
		{"t", "text"}, {"vc", "varchar(3)"}, {"i2", "smallint"}, {"i4", "integer"}, {"i8", "bigint"},
		{"f4", "real"}, {"f8", "double precision"}, {"n", "numeric"}, {"b", "boolean"}, {"d", "date"},
		{"tm", "time"}, {"ts", "timestamp"}, {"tz", "timestamptz"}, {"iv", "interval"}, {"j", "json"},
		{"jb", "jsonb"}, {"by", "bytea"}, {"o", "oid"},
	} {
		s = append(s, exec.Column{Name: c[0], Type: mustType(t, c[1])})
	}
	return s
}

func newTestDecoder(t testing.TB, alloc memory.Allocator, schema exec.Schema, notNull []bool, eventTime int, paths map[int][]string, maxFuture time.Duration, clock Clock) *JSONDecoder {
	t.Helper()
	d, err := newJSONDecoder(alloc, schema, notNull, eventTime, paths, maxFuture, clock)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestJSONDecodeTypes decodes one field of each type at a time and
// compares the value's PostgreSQL text output, or the rejection.
func TestJSONDecodeTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := allTypesSchema(t)
	d := newTestDecoder(t, mem, schema, nil, -1, nil, 0, nil)
	defer d.Release()
	for _, tc := range []struct {
		col, json string
		want      string // text output, "NULL", or "!substring of the reason"
	}{
		{"t", `"héllo \"x\"\n"`, "héllo \"x\"\n"},
		{"t", `42.50`, "42.50"},
		{"t", `true`, "true"},
		{"t", `null`, "NULL"},
		{"t", `{"a":1}`, `!column "t" of type text cannot hold a JSON object ({"a":1})`},
		{"t", `[1]`, "!JSON array"},
		{"vc", `"abc"`, "abc"},
		{"vc", `"ab  "`, "ab "},
		{"vc", `"abcd"`, "!value too long for type character varying(3)"},
		{"i2", `-32768`, "-32768"},
		{"i2", `32768`, `!column "i2": value 32768 is out of range for type smallint`},
		{"i4", `" 17 "`, "17"},
		{"i4", `2.0`, "2"},
		{"i4", `1e3`, "1000"},
		{"i4", `1.5`, "!number 1.5 has a fraction"},
		{"i4", `"x1"`, `!invalid input syntax for type integer: "x1"`},
		{"i4", `false`, "!cannot hold a JSON boolean"},
		{"i8", `9223372036854775807`, "9223372036854775807"},
		{"i8", `-9223372036854775808`, "-9223372036854775808"},
		{"i8", `9223372036854775808`, "!out of range for type bigint"},
		{"i8", `1e30`, "!out of range for type bigint"},
		{"f4", `1.5`, "1.5"},
		{"f4", `1e39`, "!out of range for type real"},
		{"f8", `-0.125`, "-0.125"},
		{"f8", `"NaN"`, "NaN"},
		{"f8", `"Infinity"`, "Infinity"},
		{"f8", `1e400`, "!value 1e400 is out of range for type double precision"},
		{"f8", `"warm"`, `!column "f8": invalid input syntax for type double precision: JSON string "warm"`},
		{"f8", `[]`, "!cannot hold a JSON array"},
		{"n", `12.50`, "12.50"},
		{"n", `"-0.000100"`, "-0.000100"},
		{"n", `1e3`, "1000"},
		{"n", `"1,5"`, "!invalid input syntax for type numeric"},
		{"b", `true`, "t"},
		{"b", `"false"`, "f"},
		{"b", `1`, "!cannot hold a JSON number"},
		{"d", `"2024-02-29"`, "2024-02-29"},
		{"d", `"2023-02-29"`, "!invalid input syntax for type date"},
		{"tm", `"13:45:10.5"`, "13:45:10.5"},
		{"ts", `"2024-05-01T12:00:00Z"`, "2024-05-01 12:00:00"},
		{"ts", `"2024-05-01T14:00:00+02:00"`, "2024-05-01 12:00:00"},
		{"tz", `"2024-05-01 12:00:00.123456-03:30"`, "2024-05-01 15:30:00.123456+00"},
		{"tz", `"2024-05-01"`, "2024-05-01 00:00:00+00"},
		{"tz", `"2024-05-01 12:00:00 Europe/Paris"`, "2024-05-01 10:00:00+00"},
		{"tz", `1714564800`, "2024-05-01 12:00:00+00"},
		{"tz", `1714564800.5`, "2024-05-01 12:00:00.5+00"},
		{"tz", `1714564800250`, "2024-05-01 12:00:00.25+00"},
		{"tz", `1714564800250001`, "2024-05-01 12:00:00.250001+00"},
		{"tz", `-86400`, "1969-12-31 00:00:00+00"},
		{"tz", `"infinity"`, "!invalid input syntax for type timestamp with time zone"},
		{"tz", `"yesterday-ish"`, "!invalid input syntax"},
		{"tz", `1e300`, "!out of range for type timestamp with time zone"},
		{"tz", `true`, "!cannot hold a JSON boolean"},
		{"iv", `"1 day 02:00:00"`, "1 day 02:00:00"},
		{"iv", `"PT5M"`, "00:05:00"},
		{"iv", `300`, "!cannot hold a JSON number"},
		{"j", `{"a": [1, "x"], "b": null}`, `{"a":[1,"x"],"b":null}`},
		{"jb", `"s"`, `"s"`},
		{"jb", `null`, "NULL"},
		{"by", `"aGVsbG8="`, `\x68656c6c6f`},
		{"by", `"aGVsbG8"`, `\x68656c6c6f`},
		{"by", `"***"`, "!invalid base64"},
		{"o", `4294967295`, "4294967295"},
		{"o", `-1`, "!out of range for type oid"},
	} {
		t.Run(tc.col+" "+tc.json, func(t *testing.T) {
			msg := []byte(fmt.Sprintf(`{"%s": %s}`, tc.col, tc.json))
			rec, offs, rej := d.Decode([][]byte{msg}, []int64{7}, []int64{99})
			if rec != nil {
				defer rec.Release()
			}
			if strings.HasPrefix(tc.want, "!") {
				if rec != nil || len(rej) != 1 || !strings.Contains(rej[0].Error, tc.want[1:]) {
					t.Fatalf("got rec=%v rejected=%+v; want a rejection containing %q", rec, rej, tc.want[1:])
				}
				if rej[0].Offset != 7 || rej[0].ReceivedAt != 99 || string(rej[0].Payload) != string(msg) {
					t.Fatalf("rejected = %+v", rej[0])
				}
				return
			}
			if rec == nil || len(rej) != 0 || rec.NumRows() != 1 || !slices.Equal(offs, []int64{7}) {
				t.Fatalf("got rec=%v offs=%v rejected=%+v", rec, offs, rej)
			}
			ci := slices.IndexFunc(schema, func(c exec.Column) bool { return c.Name == tc.col })
			got := "NULL"
			if v := exec.Datum(rec.Column(ci), 0, schema[ci].Type); v != nil {
				got = types.FormatText(schema[ci].Type, v, time.UTC)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			// Every other column is NULL.
			for i := range schema {
				if i != ci && !rec.Column(i).IsNull(0) {
					t.Fatalf("column %s is not NULL", schema[i].Name)
				}
			}
		})
	}
}

func TestJSONDecodeBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := exec.Schema{
		{Name: "id", Type: types.Text},
		{Name: "ts", Type: types.TimestampTZ},
		{Name: "v", Type: types.Float8},
		{Name: "payload", Type: types.JSONB},
		{Name: "dev", Type: types.Text},
		{Name: "zone", Type: types.Text},
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	paths := map[int][]string{4: {"payload", "device", "id"}, 5: {"payload", "device", "zone"}}
	d := newTestDecoder(t, mem, schema, []bool{true, false, false, false, false, false}, 1, paths, time.Minute,
		func() time.Time { return now })
	defer d.Release()
	msgs := []string{
		`{"id":"a","ts":"2024-05-01T11:59:00Z","v":1,"payload":{"device":{"id":"d1","zone":"z"}},"extra":[1,2,{"v":3}]}`,
		`{"id":"b","ts":"2024-05-01T12:00:59Z","v":2,"v":3}`,                            // last duplicate wins
		`{"id":"c","ts":"2024-05-01T12:01:01Z"}`,                                        // beyond max_future
		`{"id":"d","ts":"2024-05-01T12:00:00Z","payload":{"device":"flat"}}`,            // path through a string
		`{"id":"e","ts":"2024-05-01T12:00:00Z","payload":{"device":{"id":7}},"v":null}`, // a number as text
		`not json`,
		``,
		`{"ts":"2024-05-01T12:00:00Z","id":null}`,
		`{"id":"f","ts":"2024-05-01T12:00:00Z","v":"oops"}`,
		`{"id":"g","ts":1714564800}`,
	}
	in := make([][]byte, len(msgs))
	offsets := make([]int64, len(msgs))
	at := make([]int64, len(msgs))
	for i, m := range msgs {
		in[i] = []byte(m)
		offsets[i] = int64(100 + 2*i)
		at[i] = int64(1000 + i)
	}
	rec, rowOffs, rej := d.Decode(in, offsets, at)
	if rec == nil {
		t.Fatalf("no rows; rejected %+v", rej)
	}
	defer rec.Release()
	// The payloads of rejected events are copies.
	for i := range in {
		for j := range in[i] {
			in[i][j] = 'X'
		}
	}
	if got, want := rowOffs, []int64{100, 102, 106, 108, 118}; !slices.Equal(got, want) {
		t.Fatalf("row offsets = %v, want %v", got, want)
	}
	if got := strCol(rec, 0); !slices.Equal(got, []string{"a", "b", "d", "e", "g"}) {
		t.Fatalf("ids = %v", got)
	}
	if got := strCol(rec, 4); !slices.Equal(got, []string{"d1", "<null>", "<null>", "7", "<null>"}) {
		t.Fatalf("devices = %v", got)
	}
	if got := strCol(rec, 5); !slices.Equal(got, []string{"z", "<null>", "<null>", "<null>", "<null>"}) {
		t.Fatalf("zones = %v", got)
	}
	if got := strCol(rec, 3); !slices.Equal(got, []string{`{"device":{"id":"d1","zone":"z"}}`, "<null>", `{"device":"flat"}`, `{"device":{"id":7}}`, "<null>"}) {
		t.Fatalf("payloads = %v", got)
	}
	v := rec.Column(2).(*array.Float64)
	if v.Value(0) != 1 || v.Value(1) != 3 || !v.IsNull(2) || !v.IsNull(3) || !v.IsNull(4) {
		t.Fatalf("v = %v", v)
	}
	wantRej := []struct {
		off    int64
		reason string
	}{
		{104, "event time 2024-05-01 12:01:01+00 is more than 1m0s ahead of the server clock"},
		{110, "malformed JSON: cannot parse JSON"},
		{112, "malformed JSON: the message is empty"},
		{114, `null value in column "id" violates not-null constraint (the value is null)`},
		{116, `column "v": invalid input syntax for type double precision: JSON string "oops"`},
	}
	if len(rej) != len(wantRej) {
		t.Fatalf("rejected = %+v", rej)
	}
	for i, w := range wantRej {
		r := rej[i]
		if r.Offset != w.off || !strings.Contains(r.Error, w.reason) || r.ReceivedAt != 1000+(w.off-100)/2 || string(r.Payload) != msgs[(w.off-100)/2] {
			t.Errorf("rejected[%d] = %+v, want offset %d and %q", i, r, w.off, w.reason)
		}
	}

	// The decoder is reused: a second batch does not disturb the first
	// record, and a batch with no good event gives no record.
	rec2, offs2, rej2 := d.Decode([][]byte{[]byte(`{"id":"z","ts":0}`)}, []int64{1}, nil)
	if rec2 == nil || rec2.NumRows() != 1 || len(rej2) != 0 || !slices.Equal(offs2, []int64{1}) {
		t.Fatalf("second batch = %v %v %v", rec2, offs2, rej2)
	}
	rec2.Release()
	if got := strCol(rec, 0); !slices.Equal(got, []string{"a", "b", "d", "e", "g"}) {
		t.Fatalf("first record changed: %v", got)
	}
	rec3, offs3, rej3 := d.Decode([][]byte{[]byte(`{"id":"q"}`), []byte(`[`)}, []int64{5, 6}, nil)
	if rec3 != nil || offs3 != nil || len(rej3) != 2 {
		t.Fatalf("all-rejected batch = %v %v %v", rec3, offs3, rej3)
	}
	if rej3[0].Error != `event time column "ts" is missing` {
		t.Fatalf("missing event time: %q", rej3[0].Error)
	}
	if rec, _, rej := d.Decode(nil, nil, nil); rec != nil || rej != nil {
		t.Fatalf("empty batch = %v %v", rec, rej)
	}
}

func TestJSONDecoderErrors(t *testing.T) {
	schema := exec.Schema{{Name: "a", Type: types.Text}, {Name: "ts", Type: types.Timestamp}}
	for name, tc := range map[string]struct {
		schema    exec.Schema
		notNull   []bool
		eventTime int
		paths     map[int][]string
		maxFuture time.Duration
		code      string
	}{
		"no columns":       {nil, nil, -1, nil, 0, sqlstate.InvalidParameterValue},
		"not null length":  {schema, []bool{true}, -1, nil, 0, sqlstate.InvalidParameterValue},
		"event time range": {schema, nil, 2, nil, 0, sqlstate.InvalidParameterValue},
		"event time type":  {schema, nil, 0, nil, 0, sqlstate.DatatypeMismatch},
		"path column":      {schema, nil, 1, map[int][]string{5: {"x"}}, 0, sqlstate.InvalidParameterValue},
		"empty path":       {schema, nil, 1, map[int][]string{0: {}}, 0, sqlstate.InvalidParameterValue},
		"negative future":  {schema, nil, 1, nil, -time.Second, sqlstate.InvalidParameterValue},
		"array column":     {exec.Schema{{Name: "a", Type: types.ArrayOf(types.Int4)}}, nil, -1, nil, 0, sqlstate.FeatureNotSupported},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewJSONDecoder(tc.schema, tc.notNull, tc.eventTime, tc.paths, tc.maxFuture, nil)
			if sqlstate.CodeOf(err) != tc.code {
				t.Fatalf("err = %v (%s), want %s", err, sqlstate.CodeOf(err), tc.code)
			}
		})
	}
}

// FuzzJSONDecode feeds arbitrary bytes to a decoder of every type: it
// must not panic, and each message becomes a row or a rejection.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{
		`{"t":"x","i4":1,"f8":1.5,"tz":"2024-05-01T12:00:00Z","j":{"a":[1,2]}}`,
		`{"n":1e999999,"tz":1e20,"by":"====","vc":"ééééé"}`,
		`{"i2":"-0","d":"0000-01-01","tm":"24:00","iv":"1 fortnight"}`,
		`[`, `{"o":-0.0}`, "\xff\xfe", `{"t":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	schema := allTypesSchema(f)
	schema = append(schema, exec.Column{Name: "ev", Type: types.TimestampTZ})
	d := newTestDecoder(f, memory.DefaultAllocator, schema, nil, -1, map[int][]string{0: {"a", "b"}, 1: {"a"}}, 0, nil)
	f.Fuzz(func(t *testing.T, msg []byte) {
		rec, offs, rej := d.Decode([][]byte{msg}, []int64{0}, nil)
		if rec != nil {
			defer rec.Release()
			if rec.NumRows() != 1 || len(offs) != 1 || len(rej) != 0 {
				t.Fatalf("rows %d, offsets %v, rejected %v", rec.NumRows(), offs, rej)
			}
			for i, c := range rec.Columns() {
				if c.Len() != 1 {
					t.Fatalf("column %d has %d values", i, c.Len())
				}
				if v := exec.Datum(c, 0, schema[i].Type); v != nil && schema[i].Type.Family == types.FamString && !utf8.ValidString(v.(string)) && utf8.Valid(msg) {
					t.Fatalf("column %d holds invalid UTF-8 %q from valid input", i, v)
				}
			}
		} else if len(rej) != 1 || rej[0].Error == "" {
			t.Fatalf("neither row nor rejection: %v", rej)
		}
	})
}
