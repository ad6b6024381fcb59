package stream

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"
	"github.com/valyala/fastjson"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// JSONDecoder turns JSON events (one object per message) into Arrow records
// of a source's columns. It is the decoding half of every connector that
// carries JSON (Kafka today); it knows nothing about where the bytes come
// from.
//
// Each column is read from the top-level key of its name, or from a path
// of keys into nested objects (JSONPaths). Keys match exactly
// (case-sensitively); unknown keys are ignored; when a key repeats, the
// last value wins. A missing field or a JSON null is SQL NULL. Conversion
// rules per column type:
//
//   - text, varchar, char, name: a string; a number or boolean is kept as
//     its JSON text. varchar(n)/char(n) reject longer values.
//   - smallint, integer, bigint (and oid): an integer number or a string
//     holding one, range-checked; a number with a fraction is refused
//     (1.0 and 1e3 are integers).
//   - real, double precision: a number, or a string PostgreSQL's float
//     input accepts ("NaN", "Infinity", "1.5").
//   - numeric: a number or a numeric string, kept exactly (1.50 stays 1.50).
//   - boolean: true/false, or a string PostgreSQL's boolean input accepts.
//   - date: "YYYY-MM-DD" (or any PostgreSQL date input).
//   - timestamp, timestamptz: a string per ParseEventTimeString, or an
//     epoch number per EventTimeFromNumber (seconds, milliseconds or
//     microseconds by magnitude).
//   - time: "HH:MM[:SS[.ffffff]]"; interval: a string PostgreSQL's interval
//     input accepts ("5 minutes", "PT5M").
//   - json, jsonb: the JSON text of whatever value is there.
//   - bytea: a base64 string (standard alphabet, padding optional).
//
// An event that cannot become a row — malformed JSON, a value of the wrong
// type, NULL in a NOT NULL column, no event time, an event time beyond
// max_future — is rejected with a reason naming the column; the other
// events of the batch are unaffected.
//
// A JSONDecoder reuses one fastjson parser and one set of column builders,
// so it is not safe for concurrent use: use one per goroutine.
type JSONDecoder struct {
	arrow     *arrow.Schema
	cols      []jsonCol
	eventTime int   // column index, -1 when none
	maxFuture int64 // µs; 0 = no limit
	clock     Clock

	parser  fastjson.Parser
	root    pathNode
	cur     *pathNode
	visitFn func(key []byte, v *fastjson.Value)
	vals    []*fastjson.Value // this row's value per column
	cells   []cell            // this row's converted value per column
	num     []byte            // scratch for number text
}

// colKind is how a column's values are converted and appended.
type colKind uint8

const (
	kText colKind = iota
	kInt16
	kInt32
	kInt64
	kOid
	kFloat32
	kFloat64
	kNumeric
	kBool
	kDate
	kTime
	kTimestamp
	kInterval
	kJSON
	kBytea
)

type jsonCol struct {
	name     string
	label    string // `column "x"` or `column "x" (JSON path a.b.x)`, for reasons
	t        *types.T
	kind     colKind
	notNull  bool
	maxChars int // varchar(n)/char(n) limit; -1 when none
	b        array.Builder
	// bytesPerRow is the average data size of the last batch (string and
	// binary columns), used to reserve the next batch's data buffer.
	bytesPerRow int
}

// cell is one converted value of the current row, held until every column
// of the row converted (so a rejected event appends nothing).
type cell struct {
	null bool
	i    int64   // integers, oid, bool, date (days), time, timestamps (µs)
	f    float64 // floats
	s    []byte  // strings, json, bytea, numeric text: aliases the parser's memory or buf
	iv   arrow.MonthDayNanoInterval
	buf  []byte // the column's own scratch
}

// pathNode is one key of the JSON paths the columns read. The root's
// children are the top-level keys.
type pathNode struct {
	key      string
	col      int // column read from this key, -1 when it is only a step
	children []pathNode
	// hint is the child after the last one matched: producers write keys
	// in a fixed order, usually the schema's, so the scan for the next key
	// tends to succeed on its first comparison.
	hint int
}

// NewJSONDecoder returns a decoder for rows of schema. notNull (nil or one
// entry per column) marks NOT NULL columns. eventTime is the index of the
// event-time column (timestamp or timestamptz; -1 for none): an event
// without it is rejected, and with maxFuture > 0 so is one stamped more than
// maxFuture ahead of clock (nil clock = time.Now; read once per Decode).
// jsonPaths maps a column index to the keys leading to its value through
// nested objects (["payload", "device", "id"]); other columns are read from
// the top-level key of their name. Unsupported column types (arrays,
// records) fail with 0A000.
func NewJSONDecoder(schema exec.Schema, notNull []bool, eventTime int, jsonPaths map[int][]string, maxFuture time.Duration, clock Clock) (*JSONDecoder, error) {
	return newJSONDecoder(exec.Alloc, schema, notNull, eventTime, jsonPaths, maxFuture, clock)
}

func newJSONDecoder(alloc memory.Allocator, schema exec.Schema, notNull []bool, eventTime int, jsonPaths map[int][]string, maxFuture time.Duration, clock Clock) (*JSONDecoder, error) {
	if len(schema) == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "a JSON source needs at least one column")
	}
	if notNull != nil && len(notNull) != len(schema) {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "NOT NULL flags for %d columns given for %d columns", len(notNull), len(schema))
	}
	if eventTime >= len(schema) || eventTime < -1 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "event time column %d is out of range (%d columns)", eventTime, len(schema))
	}
	if eventTime >= 0 {
		if f := schema[eventTime].Type.Family; f != types.FamTimestamp && f != types.FamTimestampTZ {
			return nil, sqlstate.New(sqlstate.DatatypeMismatch, "event time column %q must be of type timestamp or timestamptz, not %s",
				schema[eventTime].Name, schema[eventTime].Type.Name)
		}
	}
	if maxFuture < 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "max_future must not be negative")
	}
	for ci, path := range jsonPaths {
		if ci < 0 || ci >= len(schema) {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "JSON path for column %d is out of range (%d columns)", ci, len(schema))
		}
		if len(path) == 0 {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "JSON path of column %q is empty", schema[ci].Name)
		}
	}
	if clock == nil {
		clock = time.Now
	}
	d := &JSONDecoder{
		arrow:     schema.Arrow(),
		cols:      make([]jsonCol, len(schema)),
		eventTime: eventTime,
		maxFuture: maxFuture.Microseconds(),
		clock:     clock,
		vals:      make([]*fastjson.Value, len(schema)),
		cells:     make([]cell, len(schema)),
		root:      pathNode{col: -1},
	}
	d.visitFn = d.visit
	for ci, c := range schema {
		kind, err := kindOf(c.Type)
		if err != nil {
			d.Release()
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		path := jsonPaths[ci]
		if path == nil {
			path = []string{c.Name}
		}
		jc := jsonCol{
			name:        c.Name,
			label:       fmt.Sprintf("column %q", c.Name),
			t:           c.Type,
			kind:        kind,
			notNull:     (notNull != nil && notNull[ci]) || ci == eventTime,
			maxChars:    -1,
			b:           array.NewBuilder(alloc, c.Type.Arrow()),
			bytesPerRow: 16,
		}
		if len(path) != 1 || path[0] != c.Name {
			jc.label = fmt.Sprintf("column %q (JSON path %s)", c.Name, strings.Join(path, "."))
		}
		if (c.Type.OID == types.Varchar.OID || c.Type.OID == types.BPChar.OID) && c.Type.Mod >= 4 {
			jc.maxChars = int(c.Type.Mod - 4)
		}
		d.cols[ci] = jc
		d.root.add(path, ci)
	}
	d.cur = &d.root
	return d, nil
}

func (n *pathNode) add(path []string, col int) {
	for i := range n.children {
		if n.children[i].key == path[0] {
			c := &n.children[i]
			if len(path) == 1 {
				c.col = col
			} else {
				c.add(path[1:], col)
			}
			return
		}
	}
	c := pathNode{key: path[0], col: -1}
	if len(path) == 1 {
		c.col = col
	} else {
		c.add(path[1:], col)
	}
	n.children = append(n.children, c)
}

func kindOf(t *types.T) (colKind, error) {
	switch t.Family {
	case types.FamString, types.FamUnknown:
		return kText, nil
	case types.FamInt:
		switch t.Width {
		case 2:
			return kInt16, nil
		case 4:
			return kInt32, nil
		}
		return kInt64, nil
	case types.FamOid:
		return kOid, nil
	case types.FamFloat:
		if t.Width == 4 {
			return kFloat32, nil
		}
		return kFloat64, nil
	case types.FamNumeric:
		return kNumeric, nil
	case types.FamBool:
		return kBool, nil
	case types.FamDate:
		return kDate, nil
	case types.FamTime:
		return kTime, nil
	case types.FamTimestamp, types.FamTimestampTZ:
		return kTimestamp, nil
	case types.FamInterval:
		return kInterval, nil
	case types.FamJSON:
		return kJSON, nil
	case types.FamBytes:
		return kBytea, nil
	}
	return 0, sqlstate.New(sqlstate.FeatureNotSupported, "columns of type %s cannot be read from JSON events", t.Name)
}

// Schema returns the Arrow schema of the records Decode returns.
func (d *JSONDecoder) Schema() *arrow.Schema { return d.arrow }

// Release frees the decoder's builders. The decoder must not be used
// afterwards; records it returned stay valid.
func (d *JSONDecoder) Release() {
	for i := range d.cols {
		if d.cols[i].b != nil {
			d.cols[i].b.Release()
			d.cols[i].b = nil
		}
	}
}

// Decode decodes msgs, whose log offsets are offsets (same length) and
// whose arrival times are receivedAt (µs since the epoch; nil or the same
// length). rec holds the accepted rows in message order (nil when there
// are none) and belongs to the caller, who releases it; rowOffsets[i] is
// the offset of row i. rejected lists the other messages in order, each
// with a copy of its payload (msgs are not retained) and the reason;
// its Partition is left for the caller to set. Decode never fails as a
// whole: every message becomes a row or a Rejected.
func (d *JSONDecoder) Decode(msgs [][]byte, offsets []int64, receivedAt []int64) (rec arrow.Record, rowOffsets []int64, rejected []Rejected) {
	n := len(msgs)
	if n == 0 {
		return nil, nil, nil
	}
	d.reserve(n)
	limit := int64(math.MaxInt64)
	if d.maxFuture > 0 && d.eventTime >= 0 {
		limit = d.clock().UnixMicro() + d.maxFuture
	}
	rowOffsets = make([]int64, 0, n)
	for i, m := range msgs {
		var off, at int64
		if i < len(offsets) {
			off = offsets[i]
		}
		if i < len(receivedAt) {
			at = receivedAt[i]
		}
		if reason := d.decodeRow(m, limit); reason != "" {
			rejected = append(rejected, Rejected{Offset: off, ReceivedAt: at, Payload: bytes.Clone(m), Error: reason})
			continue
		}
		d.appendRow()
		rowOffsets = append(rowOffsets, off)
	}
	if len(rowOffsets) == 0 {
		return nil, nil, rejected
	}
	return d.finish(len(rowOffsets)), rowOffsets, rejected
}

// reserve sizes the builders for n more rows.
func (d *JSONDecoder) reserve(n int) {
	for i := range d.cols {
		c := &d.cols[i]
		c.b.Reserve(n)
		switch b := c.b.(type) {
		case *array.StringBuilder:
			b.ReserveData(n * c.bytesPerRow)
		case *array.BinaryBuilder:
			b.ReserveData(n * c.bytesPerRow)
		}
	}
}

// finish turns the builders into a record of rows rows.
func (d *JSONDecoder) finish(rows int) arrow.Record {
	arrs := make([]arrow.Array, len(d.cols))
	for i := range d.cols {
		c := &d.cols[i]
		switch b := c.b.(type) {
		case *array.StringBuilder:
			c.bytesPerRow = b.DataLen()/rows + 1
		case *array.BinaryBuilder:
			c.bytesPerRow = b.DataLen()/rows + 1
		}
		arrs[i] = c.b.NewArray()
	}
	rec := array.NewRecord(d.arrow, arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// visit records the values of the keys the columns read, descending into
// nested objects along the columns' paths. It runs inside fastjson's
// Object.Visit: one pass over each object, no map per event.
func (d *JSONDecoder) visit(key []byte, v *fastjson.Value) {
	n := d.cur
	nc := len(n.children)
	for j := range nc {
		i := n.hint + j
		if i >= nc {
			i -= nc
		}
		c := &n.children[i]
		if c.key != string(key) {
			continue
		}
		if n.hint = i + 1; n.hint == nc {
			n.hint = 0
		}
		if c.col >= 0 {
			d.vals[c.col] = v
		}
		if len(c.children) > 0 && v.Type() == fastjson.TypeObject {
			o, _ := v.Object()
			d.cur = c
			o.Visit(d.visitFn)
			d.cur = n
		}
		return
	}
}

// decodeRow parses one message into d.cells and returns "" or the reason
// it is rejected.
func (d *JSONDecoder) decodeRow(m []byte, futureLimit int64) string {
	v, err := d.parser.ParseBytes(m)
	if err != nil {
		if len(bytes.TrimSpace(m)) == 0 {
			return "malformed JSON: the message is empty"
		}
		return "malformed JSON: " + err.Error()
	}
	if v.Type() != fastjson.TypeObject {
		return fmt.Sprintf("the event is a JSON %s, not an object", jsonTypeName(v))
	}
	o, _ := v.Object()
	clear(d.vals)
	d.cur = &d.root
	o.Visit(d.visitFn)
	for ci := range d.cols {
		c := &d.cols[ci]
		cl := &d.cells[ci]
		val := d.vals[ci]
		if reason := d.convert(c, cl, val); reason != "" {
			return reason
		}
		if cl.null && c.notNull {
			what := "null"
			if val == nil {
				what = "missing"
			}
			if ci == d.eventTime {
				return fmt.Sprintf("event time %s is %s", c.label, what)
			}
			return fmt.Sprintf("null value in %s violates not-null constraint (the value is %s)", c.label, what)
		}
	}
	if d.eventTime >= 0 {
		if et := d.cells[d.eventTime].i; et > futureLimit {
			return fmt.Sprintf("event time %s is more than %s ahead of the server clock",
				types.AppendTimestampTZ(nil, types.TimestampD(et), time.UTC), time.Duration(d.maxFuture)*time.Microsecond)
		}
	}
	return ""
}

// convert converts v (nil when the field is missing) for column c into cl
// and returns "" or the reason the event is rejected.
func (d *JSONDecoder) convert(c *jsonCol, cl *cell, v *fastjson.Value) string {
	if v == nil {
		cl.null = true
		return ""
	}
	jt := v.Type()
	if jt == fastjson.TypeNull {
		cl.null = true
		return ""
	}
	cl.null = false
	switch c.kind {
	case kText:
		switch jt {
		case fastjson.TypeString:
			cl.s, _ = v.StringBytes()
		case fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
			cl.buf = v.MarshalTo(cl.buf[:0])
			cl.s = cl.buf
		default:
			return d.wrongType(c, v)
		}
		if c.maxChars >= 0 && utf8.RuneCount(cl.s) > c.maxChars {
			return d.checkLength(c, cl)
		}
	case kInt16, kInt32, kInt64, kOid:
		var i int64
		switch jt {
		case fastjson.TypeNumber:
			d.num = v.MarshalTo(d.num[:0])
			var reason string
			if i, reason = d.integer(c, d.num); reason != "" {
				return reason
			}
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			var reason string
			if i, reason = d.integer(c, bytes.TrimSpace(s)); reason != "" {
				return reason
			}
		default:
			return d.wrongType(c, v)
		}
		if !intFits(c.kind, i) {
			return fmt.Sprintf("%s: value %d is out of range for type %s", c.label, i, c.t.Name)
		}
		cl.i = i
	case kFloat32, kFloat64:
		switch jt {
		case fastjson.TypeNumber:
			f, err := v.Float64()
			if err != nil {
				return d.invalid(c, v)
			}
			if math.IsInf(f, 0) {
				// JSON has no infinity: the number overflowed.
				return fmt.Sprintf("%s: value %s is out of range for type %s", c.label, snippet(v), c.t.Name)
			}
			cl.f = f
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			f, err := types.ParseFloat(c.t, string(s))
			if err != nil {
				return d.invalid(c, v)
			}
			cl.f = f
		default:
			return d.wrongType(c, v)
		}
		if c.kind == kFloat32 && !math.IsInf(cl.f, 0) && math.Abs(cl.f) > math.MaxFloat32 {
			return fmt.Sprintf("%s: value %g is out of range for type %s", c.label, cl.f, c.t.Name)
		}
	case kNumeric:
		var text []byte
		switch jt {
		case fastjson.TypeNumber:
			d.num = v.MarshalTo(d.num[:0])
			text = d.num
		case fastjson.TypeString:
			text, _ = v.StringBytes()
		default:
			return d.wrongType(c, v)
		}
		dec, _, err := apd.NewFromString(string(bytes.TrimSpace(text)))
		if err != nil {
			return d.invalid(c, v)
		}
		cl.buf = append(cl.buf[:0], dec.Text('f')...)
		cl.s = cl.buf
	case kBool:
		switch jt {
		case fastjson.TypeTrue:
			cl.i = 1
		case fastjson.TypeFalse:
			cl.i = 0
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			b, err := types.ParseBool(string(s))
			if err != nil {
				return d.invalid(c, v)
			}
			cl.i = 0
			if b {
				cl.i = 1
			}
		default:
			return d.wrongType(c, v)
		}
	case kDate:
		if jt != fastjson.TypeString {
			return d.wrongType(c, v)
		}
		s, _ := v.StringBytes()
		if days, ok := parseDateFast(s); ok {
			cl.i = int64(days)
			break
		}
		days, err := types.ParseDate(string(s))
		if err != nil {
			return d.invalid(c, v)
		}
		cl.i = int64(days)
	case kTime:
		if jt != fastjson.TypeString {
			return d.wrongType(c, v)
		}
		s, _ := v.StringBytes()
		t, err := types.ParseTimeOfDay(string(s))
		if err != nil {
			return d.invalid(c, v)
		}
		cl.i = int64(t)
	case kTimestamp:
		switch jt {
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			if us, ok := parseTimestampFast(s); ok {
				cl.i = us
			} else {
				ts, err := parseTimestampSlow(string(s))
				if err != nil {
					return d.invalid(c, v)
				}
				cl.i = int64(ts)
			}
		case fastjson.TypeNumber:
			d.num = v.MarshalTo(d.num[:0])
			if i, ok := parseJSONInt(d.num); ok {
				cl.i = int64(eventTimeFromInt(i))
				break
			}
			f, err := v.Float64()
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return d.invalid(c, v)
			}
			cl.i = int64(EventTimeFromNumber(f))
		default:
			return d.wrongType(c, v)
		}
		if !timestampInRange(cl.i) {
			return fmt.Sprintf("%s: %s is out of range for type %s", c.label, snippet(v), c.t.Name)
		}
	case kInterval:
		if jt != fastjson.TypeString {
			return d.wrongType(c, v)
		}
		s, _ := v.StringBytes()
		iv, err := types.ParseInterval(string(s))
		if err != nil {
			return d.invalid(c, v)
		}
		cl.iv = arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000}
	case kJSON:
		cl.buf = v.MarshalTo(cl.buf[:0])
		cl.s = cl.buf
	case kBytea:
		if jt != fastjson.TypeString {
			return d.wrongType(c, v)
		}
		s, _ := v.StringBytes()
		enc := base64.StdEncoding
		if len(s)%4 != 0 {
			enc = base64.RawStdEncoding
		}
		if cap(cl.buf) < enc.DecodedLen(len(s)) {
			cl.buf = make([]byte, enc.DecodedLen(len(s)))
		}
		n, err := enc.Decode(cl.buf[:cap(cl.buf)], s)
		if err != nil {
			return fmt.Sprintf("%s: invalid base64 in %s", c.label, snippet(v))
		}
		cl.s = cl.buf[:n]
	}
	return ""
}

// integer parses an integer column's number text; numbers written with an
// exponent or a zero fraction (1e3, 2.0) are integers too.
func (d *JSONDecoder) integer(c *jsonCol, text []byte) (int64, string) {
	if i, ok := parseJSONInt(text); ok {
		return i, ""
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Sprintf("%s: value %s is out of range for type %s", c.label, clip(text), c.t.Name)
		}
		return 0, fmt.Sprintf("%s: invalid input syntax for type %s: %q", c.label, c.t.Name, clip(text))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("%s: invalid input syntax for type %s: %q", c.label, c.t.Name, clip(text))
	}
	if f != math.Trunc(f) {
		return 0, fmt.Sprintf("%s: number %s has a fraction, type %s needs an integer", c.label, clip(text), c.t.Name)
	}
	if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, fmt.Sprintf("%s: value %s is out of range for type %s", c.label, clip(text), c.t.Name)
	}
	return int64(f), ""
}

// parseJSONInt parses an optionally signed run of decimal digits.
func parseJSONInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	var u uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func intFits(k colKind, i int64) bool {
	switch k {
	case kInt16:
		return i >= math.MinInt16 && i <= math.MaxInt16
	case kInt32:
		return i >= math.MinInt32 && i <= math.MaxInt32
	case kOid:
		return i >= 0 && i <= math.MaxUint32
	}
	return true
}

// checkLength applies varchar(n)/char(n): a longer value is an error
// unless the excess is spaces (PostgreSQL's rule), which are cut.
func (d *JSONDecoder) checkLength(c *jsonCol, cl *cell) string {
	s := cl.s
	cut := 0
	for n := 0; n < c.maxChars; n++ {
		_, size := utf8.DecodeRune(s[cut:])
		cut += size
	}
	if len(bytes.TrimRight(s[cut:], " ")) != 0 {
		return fmt.Sprintf("%s: value too long for type %s(%d)", c.label, c.t.Name, c.maxChars)
	}
	cl.s = s[:cut]
	return ""
}

func (d *JSONDecoder) wrongType(c *jsonCol, v *fastjson.Value) string {
	return fmt.Sprintf("%s of type %s cannot hold a JSON %s (%s)", c.label, c.t.Name, jsonTypeName(v), snippet(v))
}

func (d *JSONDecoder) invalid(c *jsonCol, v *fastjson.Value) string {
	return fmt.Sprintf("%s: invalid input syntax for type %s: JSON %s %s", c.label, c.t.Name, jsonTypeName(v), snippet(v))
}

func jsonTypeName(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "boolean"
	}
	return v.Type().String()
}

// snippet renders v as JSON text, cut to a readable length.
func snippet(v *fastjson.Value) string { return clip(v.MarshalTo(nil)) }

func clip(b []byte) string {
	const max = 48
	if len(b) <= max {
		return string(b)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// appendRow appends the converted cells of the current row.
func (d *JSONDecoder) appendRow() {
	for ci := range d.cols {
		c := &d.cols[ci]
		cl := &d.cells[ci]
		if cl.null {
			c.b.AppendNull()
			continue
		}
		switch c.kind {
		case kText, kNumeric, kJSON:
			c.b.(*array.StringBuilder).BinaryBuilder.Append(cl.s)
		case kBytea:
			c.b.(*array.BinaryBuilder).Append(cl.s)
		case kInt16:
			c.b.(*array.Int16Builder).Append(int16(cl.i))
		case kInt32:
			c.b.(*array.Int32Builder).Append(int32(cl.i))
		case kInt64:
			c.b.(*array.Int64Builder).Append(cl.i)
		case kOid:
			c.b.(*array.Uint32Builder).Append(uint32(cl.i))
		case kFloat32:
			c.b.(*array.Float32Builder).Append(float32(cl.f))
		case kFloat64:
			c.b.(*array.Float64Builder).Append(cl.f)
		case kBool:
			c.b.(*array.BooleanBuilder).Append(cl.i != 0)
		case kDate:
			c.b.(*array.Date32Builder).Append(arrow.Date32(cl.i))
		case kTime:
			c.b.(*array.Time64Builder).Append(arrow.Time64(cl.i))
		case kTimestamp:
			c.b.(*array.TimestampBuilder).Append(arrow.Timestamp(cl.i))
		case kInterval:
			c.b.(*array.MonthDayNanoIntervalBuilder).Append(cl.iv)
		}
	}
}
