package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// rowParser turns COPY text, CSV or binary data into Arrow records of the
// target columns. Rows may straddle Write calls; every value is parsed
// straight into its column's builder.
type rowParser struct {
	format    wire.CopyFormat
	table     string
	cols      exec.Schema // the columns data rows carry, in order
	full      exec.Schema // the source's columns
	colIdx    []int       // full-schema index of each data column
	loc       *time.Location
	builders  []array.Builder
	rows      int
	line      int // lines consumed (for error messages)
	pending   []byte
	header    bool // skip the first line (CSV HEADER)
	out       []arrow.Record
	mem       *exec.MemTracker
	held      int64
	done      bool // saw the end-of-data marker
	fields    []string
	fieldNull []bool
	scratch   []byte
	// binary format: the file header was read; binSkip bytes of its
	// extension area are still to skip
	binHeader bool
	binSkip   int64
	binVals   []any
}

const copyBatchRows = 64 * 1024

func newRowParser(format wire.CopyFormat, table string, full exec.Schema, colIdx []int, loc *time.Location, mem *exec.MemTracker) *rowParser {
	p := &rowParser{format: format, table: table, full: full, colIdx: colIdx, loc: loc, header: format.Header, mem: mem}
	for _, i := range colIdx {
		p.cols = append(p.cols, full[i])
	}
	p.reset()
	return p
}

func (p *rowParser) reset() {
	p.builders = make([]array.Builder, len(p.full))
	for i, c := range p.full {
		p.builders[i] = exec.NewBuilder(c.Type)
		p.builders[i].Reserve(1024)
	}
	p.rows = 0
}

// write consumes data; complete lines are parsed now.
func (p *rowParser) write(data []byte) error {
	if p.format.Kind == "binary" {
		return p.writeBinary(data)
	}
	if p.done {
		return nil
	}
	p.pending = append(p.pending, data...)
	start := 0
	for {
		end, ok := p.lineEnd(p.pending[start:])
		if !ok {
			break
		}
		line := p.pending[start : start+end]
		start += end + 1
		if err := p.parseLine(line); err != nil {
			return err
		}
		if p.done {
			break
		}
	}
	p.pending = append(p.pending[:0], p.pending[start:]...)
	return nil
}

// lineEnd finds the end of the next row: a newline outside CSV quotes.
func (p *rowParser) lineEnd(b []byte) (int, bool) {
	if p.format.Kind != "csv" {
		i := bytes.IndexByte(b, '\n')
		return i, i >= 0
	}
	quote := p.format.Quote
	if quote == 0 {
		quote = '"'
	}
	in := false
	for i, c := range b {
		switch {
		case c == quote:
			in = !in
		case c == '\n' && !in:
			return i, true
		}
	}
	return 0, false
}

// finish parses a last line without a newline and returns the records.
func (p *rowParser) finish() ([]arrow.Record, error) {
	if p.format.Kind == "binary" {
		switch {
		case !p.binHeader && len(p.pending) < len(binaryCopySignature):
			return nil, badCopy("COPY file signature not recognized")
		case !p.binHeader && len(p.pending) < len(binaryCopySignature)+4:
			return nil, badCopy("invalid COPY file header (missing flags)")
		case !p.binHeader:
			return nil, badCopy("invalid COPY file header (missing length)")
		case p.binSkip > 0:
			return nil, badCopy("invalid COPY file header (wrong length)")
		case len(p.pending) > 1:
			// Like PostgreSQL, data that ends at a tuple boundary (or one
			// byte short of a field count) ends the copy without the
			// trailer; a partial tuple is an error.
			p.line++
			return nil, p.lineErr(badCopy("unexpected EOF in COPY data"), "", "")
		}
	} else if !p.done && len(bytes.TrimSpace(p.pending)) > 0 {
		if err := p.parseLine(p.pending); err != nil {
			return nil, err
		}
	}
	p.pending = nil
	if err := p.flush(); err != nil {
		return nil, err
	}
	return p.out, nil
}

func (p *rowParser) release() {
	for _, r := range p.out {
		r.Release()
	}
	p.out = nil
	for _, b := range p.builders {
		b.Release()
	}
	p.mem.Release(p.held)
	p.held = 0
}

func (p *rowParser) flush() error {
	if p.rows == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(p.builders))
	for i, b := range p.builders {
		cols[i] = b.NewArray()
	}
	rec := array.NewRecord(p.full.Arrow(), cols, int64(p.rows))
	for _, c := range cols {
		c.Release()
	}
	size := exec.RecordSize(rec)
	if err := p.mem.Grow(size); err != nil {
		rec.Release()
		return err
	}
	p.held += size
	p.out = append(p.out, rec)
	for _, b := range p.builders {
		b.Release()
	}
	p.reset()
	return nil
}

func (p *rowParser) lineErr(err error, col string, val string) error {
	e := sqlstate.As(err)
	if e == nil {
		e = sqlstate.New(sqlstate.BadCopyFileFormat, "%s", err.Error())
	}
	ctx := fmt.Sprintf("COPY %s, line %d", p.table, p.line)
	if col != "" && p.format.Kind == "binary" {
		ctx += fmt.Sprintf(", column %s", col)
	} else if col != "" {
		ctx += fmt.Sprintf(", column %s: %q", col, val)
	}
	out := *e
	if out.Detail != "" {
		out.Detail += " "
	}
	out.Detail += ctx
	return &out
}

func (p *rowParser) parseLine(line []byte) error {
	p.line++
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if p.header {
		p.header = false
		return nil
	}
	if p.format.Kind != "csv" && string(line) == `\.` {
		p.done = true
		return nil
	}
	if p.format.Kind == "csv" && string(line) == `\.` {
		p.done = true
		return nil
	}
	var err error
	if p.format.Kind == "csv" {
		err = p.splitCSV(line)
	} else {
		err = p.splitText(line)
	}
	if err != nil {
		return p.lineErr(err, "", "")
	}
	if len(p.fields) != len(p.cols) {
		if len(p.fields) < len(p.cols) {
			return p.lineErr(sqlstate.New(sqlstate.BadCopyFileFormat, "missing data for column %q", p.cols[len(p.fields)].Name), "", "")
		}
		return p.lineErr(sqlstate.New(sqlstate.BadCopyFileFormat, "extra data after last expected column"), "", "")
	}
	filled := make([]bool, len(p.full))
	for i, f := range p.fields {
		ci := p.colIdx[i]
		filled[ci] = true
		if p.fieldNull[i] {
			p.builders[ci].AppendNull()
			continue
		}
		if err := appendText(p.builders[ci], p.full[ci].Type, f, p.loc); err != nil {
			// Keep the builders aligned: pad this row, then drop it with
			// the whole statement.
			return p.lineErr(err, p.full[ci].Name, f)
		}
	}
	for i, ok := range filled {
		if !ok {
			p.builders[i].AppendNull()
		}
	}
	p.rows++
	if p.rows >= copyBatchRows {
		return p.flush()
	}
	return nil
}

func badCopy(msg string) error {
	return sqlstate.New(sqlstate.BadCopyFileFormat, "%s", msg)
}

// binaryCopySignature starts binary COPY data, followed by 32-bit flags
// and the 32-bit length of a header extension
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
const binaryCopySignature = "PGCOPY\n\xff\r\n\x00"

// writeBinary consumes binary COPY data: the file header, then tuples of
// a 16-bit field count and per field a 32-bit length (-1: NULL) and the
// value in binary format, then the trailer (field count -1). Complete
// tuples are parsed now; errors are PostgreSQL's (CopyReadBinaryTuple).
func (p *rowParser) writeBinary(data []byte) error {
	if p.done {
		if len(data) > 0 {
			return badCopy("received copy data after EOF marker")
		}
		return nil
	}
	p.pending = append(p.pending, data...)
	b := p.pending
	if !p.binHeader {
		if len(b) < len(binaryCopySignature)+8 {
			if n := min(len(b), len(binaryCopySignature)); string(b[:n]) != binaryCopySignature[:n] {
				return badCopy("COPY file signature not recognized")
			}
			return nil
		}
		if string(b[:len(binaryCopySignature)]) != binaryCopySignature {
			return badCopy("COPY file signature not recognized")
		}
		b = b[len(binaryCopySignature):]
		flags := binary.BigEndian.Uint32(b)
		if flags&(1<<16) != 0 {
			return badCopy("invalid COPY file header (WITH OIDS)")
		}
		if flags>>16 != 0 {
			return badCopy("unrecognized critical flags in COPY file header")
		}
		ext := int32(binary.BigEndian.Uint32(b[4:]))
		if ext < 0 {
			return badCopy("invalid COPY file header (missing length)")
		}
		b = b[8:]
		p.binHeader, p.binSkip = true, int64(ext)
	}
	if p.binSkip > 0 {
		n := min(p.binSkip, int64(len(b)))
		b = b[n:]
		p.binSkip -= n
	}
	for p.binSkip == 0 && !p.done {
		n, err := p.binaryTuple(b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		b = b[n:]
	}
	if p.done && len(b) > 0 {
		return badCopy("received copy data after EOF marker")
	}
	p.pending = append(p.pending[:0], b...)
	return nil
}

// binaryTuple parses the tuple at the start of b and returns its length,
// or 0 while b does not hold all of it.
func (p *rowParser) binaryTuple(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	nf := int16(binary.BigEndian.Uint16(b))
	if nf == -1 {
		p.done = true
		return 2, nil
	}
	if int(nf) != len(p.cols) {
		p.line++
		return 0, p.lineErr(sqlstate.New(sqlstate.BadCopyFileFormat, "row field count is %d, expected %d", nf, len(p.cols)), "", "")
	}
	// Is the whole tuple there?
	off := 2
	for range int(nf) {
		if len(b)-off < 4 {
			return 0, nil
		}
		l := int32(binary.BigEndian.Uint32(b[off:]))
		off += 4
		if l == -1 {
			continue
		}
		if l < -1 {
			p.line++
			return 0, p.lineErr(badCopy("invalid field size"), "", "")
		}
		if int64(len(b)-off) < int64(l) {
			return 0, nil
		}
		off += int(l)
	}
	p.line++
	vals := p.binVals[:0]
	pos := 2
	for i := range int(nf) {
		l := int32(binary.BigEndian.Uint32(b[pos:]))
		pos += 4
		if l == -1 {
			vals = append(vals, nil)
			continue
		}
		col := p.full[p.colIdx[i]]
		v, err := wire.DecodeBinary(col.Type, b[pos:pos+int(l)])
		if err != nil {
			return 0, p.lineErr(err, col.Name, "")
		}
		vals = append(vals, v)
		pos += int(l)
	}
	p.binVals = vals
	filled := make([]bool, len(p.full))
	for i, v := range vals {
		ci := p.colIdx[i]
		filled[ci] = true
		exec.AppendDatum(p.builders[ci], p.full[ci].Type, v)
	}
	for i, ok := range filled {
		if !ok {
			p.builders[i].AppendNull()
		}
	}
	p.rows++
	if p.rows >= copyBatchRows {
		if err := p.flush(); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// splitText splits a text-format line into fields, decoding backslash
// escapes; \N is NULL.
func (p *rowParser) splitText(line []byte) error {
	delim := p.format.Delimiter
	if delim == 0 {
		delim = '\t'
	}
	null := p.format.Null
	if null == "" && p.format.Kind != "csv" {
		null = `\N`
	}
	p.fields = p.fields[:0]
	p.fieldNull = p.fieldNull[:0]
	start := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] != delim {
			if line[i] == '\\' {
				i++ // the escaped byte cannot be a delimiter
			}
			continue
		}
		raw := line[start:min(i, len(line))]
		start = i + 1
		if string(raw) == null {
			p.fields = append(p.fields, "")
			p.fieldNull = append(p.fieldNull, true)
			continue
		}
		if bytes.IndexByte(raw, '\\') < 0 {
			p.fields = append(p.fields, string(raw))
		} else {
			s, err := unescapeCopy(raw)
			if err != nil {
				return err
			}
			p.fields = append(p.fields, s)
		}
		p.fieldNull = append(p.fieldNull, false)
	}
	return nil
}

func unescapeCopy(raw []byte) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			sb.WriteByte(c)
			continue
		}
		i++
		switch n := raw[i]; n {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case 'x':
			j := i + 1
			for j < len(raw) && j < i+3 && isHex(raw[j]) {
				j++
			}
			if j == i+1 {
				sb.WriteByte('x')
				continue
			}
			v, _ := strconv.ParseUint(string(raw[i+1:j]), 16, 8)
			sb.WriteByte(byte(v))
			i = j - 1
		default:
			if n >= '0' && n <= '7' {
				j := i
				for j < len(raw) && j < i+3 && raw[j] >= '0' && raw[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(string(raw[i:j]), 8, 8)
				sb.WriteByte(byte(v))
				i = j - 1
				continue
			}
			sb.WriteByte(n)
		}
	}
	return sb.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// splitCSV splits a CSV line: quoted fields may hold delimiters, quotes
// (doubled or escaped) and newlines; an unquoted field equal to the NULL
// string is NULL.
func (p *rowParser) splitCSV(line []byte) error {
	delim := p.format.Delimiter
	if delim == 0 {
		delim = ','
	}
	quote := p.format.Quote
	if quote == 0 {
		quote = '"'
	}
	esc := p.format.Escape
	if esc == 0 {
		esc = quote
	}
	null := p.format.Null
	p.fields = p.fields[:0]
	p.fieldNull = p.fieldNull[:0]
	i := 0
	for {
		quoted := false
		var val []byte
		buf := p.scratch[:0]
		for i < len(line) && line[i] != delim {
			c := line[i]
			if c == quote {
				quoted = true
				i++
				for {
					if i >= len(line) {
						return sqlstate.New(sqlstate.BadCopyFileFormat, "unterminated CSV quoted field")
					}
					c := line[i]
					if c == esc && i+1 < len(line) && line[i+1] == quote {
						buf = append(buf, quote)
						i += 2
						continue
					}
					if c == esc && esc != quote && i+1 < len(line) && line[i+1] == esc {
						buf = append(buf, esc)
						i += 2
						continue
					}
					if c == quote {
						i++
						break
					}
					buf = append(buf, c)
					i++
				}
				continue
			}
			buf = append(buf, c)
			i++
		}
		val = buf
		p.scratch = buf
		if !quoted && string(val) == null {
			p.fields = append(p.fields, "")
			p.fieldNull = append(p.fieldNull, true)
		} else {
			p.fields = append(p.fields, string(val))
			p.fieldNull = append(p.fieldNull, false)
		}
		if i >= len(line) {
			return nil
		}
		i++ // delimiter
	}
}

// appendText parses s as type t into b, with fast paths for the common
// column types.
func appendText(b array.Builder, t *types.T, s string, loc *time.Location) error {
	switch bb := b.(type) {
	case *array.StringBuilder:
		if t.Family == types.FamString || t.Family == types.FamJSON {
			if (t.OID == types.Varchar.OID || t.OID == types.BPChar.OID) && t.Mod >= 4 {
				v, err := types.ParseText(t, s, loc)
				if err != nil {
					return err
				}
				bb.Append(v.(string))
				return nil
			}
			bb.Append(s)
			return nil
		}
	case *array.Int64Builder:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return parseIntErr(t, s, err)
		}
		bb.Append(v)
		return nil
	case *array.Int32Builder:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return parseIntErr(t, s, err)
		}
		bb.Append(int32(v))
		return nil
	case *array.Float64Builder:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			f, perr := types.ParseFloat(t, s)
			if perr != nil {
				return perr
			}
			v = f
		}
		bb.Append(v)
		return nil
	case *array.TimestampBuilder:
		v, err := types.ParseTimestamp(s, loc, t.Family == types.FamTimestampTZ)
		if err != nil {
			return err
		}
		bb.Append(arrow.Timestamp(v))
		return nil
	}
	v, err := types.ParseText(t, s, loc)
	if err != nil {
		return err
	}
	exec.AppendDatum(b, t, v)
	return nil
}

func parseIntErr(t *types.T, s string, err error) error {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "value %q is out of range for type %s", s, t.Name)
	}
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type %s: %q", t.Name, s)
}

// copyIn is the Result of COPY source FROM STDIN.
type copyIn struct {
	sess   *Session
	rt     *sourceRT
	parser *rowParser
	format wire.CopyFormat
	ncols  int
	tag    string
	err    error
}

func (c *copyIn) Next(context.Context) (arrow.Record, error) { return nil, errEOF }
func (c *copyIn) Tag() string                                { return c.tag }
func (c *copyIn) Close()                                     { c.parser.release() }

func (c *copyIn) CopyIn() (wire.CopyFormat, int) { return c.format, c.ncols }

func (c *copyIn) Write(ctx context.Context, data []byte) error {
	if c.err != nil {
		return nil // keep consuming; the error is reported at Finish
	}
	if err := c.parser.write(data); err != nil {
		c.err = err
	}
	return nil
}

func (c *copyIn) Finish(ctx context.Context) (string, error) {
	if c.err != nil {
		return "", c.err
	}
	recs, err := c.parser.finish()
	if err != nil {
		return "", err
	}
	n, err := c.sess.appendRows(ctx, c.rt, recs, "COPY")
	if err != nil {
		return "", err
	}
	c.tag = fmt.Sprintf("COPY %d", n)
	return c.tag, nil
}

func (c *copyIn) Abort(reason string) { c.parser.release() }
