package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

type copyInResult struct {
	s    *testSession
	f    CopyFormat
	proj []int
	data []byte
	n    int
}

func (r *copyInResult) Next(ctx context.Context) (arrow.Record, error) { return nil, io.EOF }
func (r *copyInResult) Tag() string                                    { return fmt.Sprintf("COPY %d", r.n) }
func (r *copyInResult) Close()                                         {}
func (r *copyInResult) CopyIn() (CopyFormat, int)                      { return r.f, len(r.proj) }
func (r *copyInResult) Write(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.data = append(r.data, data...)
	return nil
}
func (r *copyInResult) Abort(reason string) {
	r.data = nil
	r.s.h.mu.Lock()
	r.s.h.lastAbort = reason
	r.s.h.mu.Unlock()
}

func (r *copyInResult) Finish(ctx context.Context) (string, error) {
	var fields [][]*string
	var err error
	switch r.f.Kind {
	case "binary":
		return r.finishBinary()
	case "csv":
		fields, err = parseCSV(r.data, r.f)
	default:
		fields, err = parseCopyText(r.data, r.f)
	}
	if err != nil {
		return "", err
	}
	var rows [][]any
	for ln, fs := range fields {
		if len(fs) != len(r.proj) {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "missing or extra data for column").WithDetail("line %d has %d fields, want %d", ln+1, len(fs), len(r.proj))
		}
		row := make([]any, len(itemCols))
		for k, j := range r.proj {
			if fs[k] == nil {
				continue
			}
			v, err := types.ParseText(itemCols[j].Type, *fs[k], r.s.loc)
			if err != nil {
				return "", err
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	return r.apply(rows), nil
}

func (r *copyInResult) apply(rows [][]any) string {
	r.s.h.mu.Lock()
	r.s.h.items = append(r.s.h.items, rows...)
	r.s.h.mu.Unlock()
	r.n = len(rows)
	return fmt.Sprintf("COPY %d", len(rows))
}

func (r *copyInResult) finishBinary() (string, error) {
	b := r.data
	bad := sqlstate.New(sqlstate.BadCopyFileFormat, "invalid COPY file header")
	if len(b) < len(binaryCopyHeader) || !bytes.Equal(b[:11], binaryCopyHeader[:11]) {
		return "", bad
	}
	b = b[19:]
	var rows [][]any
	for len(b) > 0 { // like PostgreSQL, end of data at a tuple boundary ends the copy
		if len(b) < 2 {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
		}
		n := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n == -1 {
			break
		}
		if int(n) != len(r.proj) {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "row field count is %d, expected %d", n, len(r.proj))
		}
		row := make([]any, len(itemCols))
		for _, j := range r.proj {
			if len(b) < 4 {
				return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
			}
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l == -1 {
				continue
			}
			if l < 0 || int(l) > len(b) {
				return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
			}
			v, err := decodeBinary(itemCols[j].Type, b[:l])
			if err != nil {
				return "", sqlstate.New(sqlstate.InvalidBinaryRepresentation, "incorrect binary data format")
			}
			row[j] = v
			b = b[l:]
		}
		rows = append(rows, row)
	}
	return r.apply(rows), nil
}

func parseCopyText(data []byte, f CopyFormat) ([][]*string, error) {
	var out [][]*string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == `\.` {
			break
		}
		if line == "" {
			continue
		}
		var fields []*string
		for _, raw := range strings.Split(line, string(f.Delimiter)) {
			if raw == f.Null {
				fields = append(fields, nil)
				continue
			}
			var sb strings.Builder
			for i := 0; i < len(raw); i++ {
				if raw[i] != '\\' || i+1 == len(raw) {
					sb.WriteByte(raw[i])
					continue
				}
				i++
				switch raw[i] {
				case 't':
					sb.WriteByte('\t')
				case 'n':
					sb.WriteByte('\n')
				case 'r':
					sb.WriteByte('\r')
				case 'b':
					sb.WriteByte('\b')
				case 'f':
					sb.WriteByte('\f')
				case 'v':
					sb.WriteByte('\v')
				default:
					sb.WriteByte(raw[i])
				}
			}
			s := sb.String()
			fields = append(fields, &s)
		}
		out = append(out, fields)
	}
	return out, nil
}

func parseCSV(data []byte, f CopyFormat) ([][]*string, error) {
	var out [][]*string
	var row []*string
	s := string(data)
	skipHeader := f.Header
	i := 0
	for i < len(s) {
		if row == nil && strings.HasPrefix(s[i:], `\.`) {
			break
		}
		var field *string
		if s[i] == f.Quote {
			var sb strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, sqlstate.New(sqlstate.BadCopyFileFormat, "unterminated CSV quoted field")
				}
				if s[i] == f.Escape && i+1 < len(s) && s[i+1] == f.Quote {
					sb.WriteByte(f.Quote)
					i += 2
					continue
				}
				if s[i] == f.Quote {
					i++
					break
				}
				sb.WriteByte(s[i])
				i++
			}
			v := sb.String()
			field = &v
		} else {
			j := i
			for j < len(s) && s[j] != f.Delimiter && s[j] != '\n' && s[j] != '\r' {
				j++
			}
			if v := s[i:j]; v != f.Null {
				field = &v
			}
			i = j
		}
		row = append(row, field)
		if i < len(s) && s[i] == f.Delimiter {
			i++
			continue
		}
		if i < len(s) && s[i] == '\r' {
			i++
		}
		if i < len(s) && s[i] == '\n' {
			i++
		}
		if skipHeader {
			skipHeader, row = false, nil
			continue
		}
		out = append(out, row)
		row = nil
	}
	if row != nil {
		out = append(out, row)
	}
	return out, nil
}

// ---- Arrow helpers ----

func buildRecord(mem memory.Allocator, cols exec.Schema, rows [][]any) arrow.Record {
	sch := cols.Arrow()
	b := array.NewRecordBuilder(mem, sch)
	defer b.Release()
	for _, row := range rows {
		for j, v := range row {
			appendDatum(b.Field(j), cols[j].Type, v)
		}
	}
	return b.NewRecord()
}

func appendDatum(b array.Builder, t *types.T, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(v.(bool))
	case *array.Int16Builder:
		bb.Append(int16(v.(int64)))
	case *array.Int32Builder:
		bb.Append(int32(v.(int64)))
	case *array.Int64Builder:
		bb.Append(v.(int64))
	case *array.Uint32Builder:
		bb.Append(uint32(v.(types.OidD)))
	case *array.Float32Builder:
		bb.Append(float32(v.(float64)))
	case *array.Float64Builder:
		bb.Append(v.(float64))
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			bb.Append(x)
		case *apd.Decimal:
			bb.Append(x.Text('f'))
		default:
			panic(fmt.Sprintf("test engine: %T in a string column", v))
		}
	case *array.BinaryBuilder:
		bb.Append(v.([]byte))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(v.(types.DateD)))
	case *array.Time64Builder:
		bb.Append(arrow.Time64(v.(types.TimeOfDay)))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(v.(types.TimestampD)))
	case *array.MonthDayNanoIntervalBuilder:
		iv := v.(types.IntervalD)
		bb.Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	case *array.ListBuilder:
		bb.Append(true)
		for _, e := range v.([]any) {
			appendDatum(bb.ValueBuilder(), t.Elem, e)
		}
	case *array.NullBuilder:
		bb.AppendNull()
	default:
		panic(fmt.Sprintf("test engine: no builder for %T", b))
	}
}

// ---- the alltypes table ----

var allTypesCols = exec.Schema{
	{Name: "b", Type: types.Bool},
	{Name: "i2", Type: types.Int2},
	{Name: "i4", Type: types.Int4},
	{Name: "i8", Type: types.Int8},
	{Name: "f4", Type: types.Float4},
	{Name: "f8", Type: types.Float8},
	{Name: "n", Type: types.Numeric},
	{Name: "t", Type: types.Text},
	{Name: "vc", Type: types.Varchar},
	{Name: "bp", Type: types.BPChar},
	{Name: "nm", Type: types.Name},
	{Name: "ch", Type: types.Char},
	{Name: "j", Type: types.JSON},
	{Name: "jb", Type: types.JSONB},
	{Name: "by", Type: types.Bytea},
	{Name: "d", Type: types.Date},
	{Name: "tm", Type: types.Time},
	{Name: "ts", Type: types.Timestamp},
	{Name: "tz", Type: types.TimestampTZ},
	{Name: "iv", Type: types.Interval},
	{Name: "o", Type: types.Oid},
	{Name: "rc", Type: types.RegClass},
	{Name: "ai", Type: types.ArrayOf(types.Int4)},
	{Name: "at", Type: types.ArrayOf(types.Text)},
	{Name: "af", Type: types.ArrayOf(types.Float8)},
	{Name: "atz", Type: types.ArrayOf(types.TimestampTZ)},
	{Name: "an", Type: types.ArrayOf(types.Numeric)},
	{Name: "ab", Type: types.ArrayOf(types.Bytea)},
}

func mustParse(t *types.T, s string) any {
	v, err := types.ParseText(t, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return v
}

// allTypesText is the alltypes table as PostgreSQL prints it (TimeZone
// UTC); nil is NULL. allTypesRows parses it, so text output checks the
// round trip text → datum → Arrow → text.
var allTypesText = [][]*string{
	strs("t", "-32768", "-2147483648", "9223372036854775807", "1.5", "3.141592653589793", "12345.6789",
		"hello, world", "vc", "bp", "pg_class", "a", `{"a": 1}`, `{"b": [1, 2]}`, `\xdeadbeef`, "2024-02-29", "13:45:30.123456",
		"2024-01-02 03:04:05.678901", "2024-01-02 03:04:05+00", "1 year 2 mons 3 days 04:05:06.5", "12345", "1259",
		"{1,NULL,3}", `{"a b",NULL,"",x,"q\"uote","back\\slash"}`, "{1.5,-2,1e+100}", `{"2024-01-02 03:04:05+00"}`, "{1.50,-7}", `{"\\x00ff"}`),
	strs("f", "32767", "42", "-1", "-0.25", "-Infinity", "-0.000100",
		"héllo ☃\ttab", `with "quote"`, "x", "n", "z", "[]", "{}", `\x`, "1999-12-31", "00:00:00",
		"1970-01-01 00:00:00", "1999-12-31 23:59:59.5+00", "-00:00:01", "0", "0",
		"{}", "{}", "{NaN,Infinity}", "{}", "{NaN}", "{}"),
	make([]*string, len(allTypesCols)),
}

func strs(vs ...string) []*string {
	out := make([]*string, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

func allTypesRows() [][]any {
	rows := make([][]any, len(allTypesText))
	for i, tr := range allTypesText {
		rows[i] = make([]any, len(tr))
		for j, s := range tr {
			if s != nil {
				rows[i][j] = mustParse(allTypesCols[j].Type, *s)
			}
		}
	}
	return rows
}
