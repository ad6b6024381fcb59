package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/jackc/pgproto3/v2"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// binaryCopyHeader starts binary COPY data: the signature, flags (no OIDs)
// and the length of the header extension (none)
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
var binaryCopyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyIn drives COPY FROM STDIN: CopyInResponse, then every CopyData to
// Write until CopyDone (Finish) or CopyFail (Abort). Flush and Sync are
// ignored meanwhile, as PostgreSQL does.
func (c *conn) copyIn(ctx context.Context, r CopyInResult) (string, error) {
	var f CopyFormat
	var ncols int
	if err := c.safely(func() error { f, ncols = r.CopyIn(); return nil }); err != nil {
		c.abortCopy(r, err.Error())
		return "", err
	}
	if ncols < 0 || ncols > 1<<15 {
		c.abortCopy(r, "bad column count")
		return "", fmt.Errorf("BUG: CopyIn reported %d columns", ncols)
	}
	format := uint16(0)
	if f.Kind == "binary" {
		format = 1
	}
	codes := make([]uint16, ncols)
	for i := range codes {
		codes[i] = format
	}
	c.send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	if err := c.flush(); err != nil {
		c.abortCopy(r, "connection lost")
		return "", err
	}
	for {
		msg, err := c.receive()
		if err != nil {
			c.abortCopy(r, "connection lost during COPY")
			c.readFailed(err)
			return "", errConnDone
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := c.safely(func() error { return r.Write(ctx, m.Data) }); err != nil {
				c.abortCopy(r, err.Error())
				return "", err
			}
		case *pgproto3.CopyDone:
			var tag string
			err := c.safely(func() error {
				var err error
				tag, err = r.Finish(ctx)
				return err
			})
			return tag, err
		case *pgproto3.CopyFail:
			c.abortCopy(r, m.Message)
			return "", sqlstate.New(sqlstate.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
		case *pgproto3.Terminate:
			c.abortCopy(r, "client terminated the connection during COPY")
			c.dead = true
			return "", errConnDone
		default:
			c.abortCopy(r, "unexpected message during COPY")
			return "", protocolError("unexpected message type 0x%02X during COPY from stdin", messageType(msg))
		}
	}
}

func (c *conn) abortCopy(r CopyInResult, reason string) {
	if err := c.safely(func() error { r.Abort(reason); return nil }); err != nil {
		c.srv.log.Error("wire: CopyInResult.Abort", "pid", c.pid, "err", err)
	}
}

// CopyOutDescriber may be implemented by a CopyOutResult to describe the
// copied columns: their names (the CSV header) and PostgreSQL types (which
// binary encoding each needs). A COPY statement's Columns is normally nil
// (Describe answers NoData, as PostgreSQL does), so without it wire uses
// the statement's Columns when set, else infers types from the records'
// Arrow schema (strings as text: numeric then travels as text in binary
// COPY).
type CopyOutDescriber interface {
	CopyColumns() exec.Schema
}

// copyOut drives COPY TO STDOUT: CopyOutResponse, one CopyData per row in
// the result's format, CopyDone. The tag is "COPY n".
func (c *conn) copyOut(ctx context.Context, r CopyOutResult, cols exec.Schema) (string, error) {
	var f CopyFormat
	if err := c.safely(func() error {
		f = r.CopyOut()
		if d, ok := r.(CopyOutDescriber); ok {
			if dc := d.CopyColumns(); dc != nil {
				cols = dc
			}
		}
		return nil
	}); err != nil {
		return "", err
	}
	switch f.Kind {
	case "text", "csv", "binary":
	default:
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "COPY format %q not recognized", f.Kind)
	}
	if f.Delimiter == 0 {
		f.Delimiter = '\t'
		if f.Kind == "csv" {
			f.Delimiter = ','
		}
	}
	if f.Quote == 0 {
		f.Quote = '"'
	}
	if f.Escape == 0 {
		f.Escape = f.Quote
	}
	var first arrow.Record
	if cols == nil {
		rec, err := c.next(ctx, r)
		if err != nil && err != io.EOF {
			return "", err
		}
		if rec != nil {
			first = rec
			if cols, err = inferColumns(rec.Schema()); err != nil {
				rec.Release()
				return "", err
			}
		}
	}
	defer func() {
		if first != nil {
			first.Release()
		}
	}()
	bin := f.Kind == "binary"
	format := int16(0)
	if bin {
		format = 1
	}
	loc := c.location()
	encs := make([]*colEncoder, len(cols))
	for i, col := range cols {
		e, err := newEncoder(col.Type, format, loc)
		if err != nil {
			return "", err
		}
		encs[i] = e
	}
	codes := make([]uint16, len(cols))
	for i := range codes {
		codes[i] = uint16(format)
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	// Binary: the file header goes in the same CopyData as the first row,
	// as PostgreSQL sends it (psycopg 3 parses each CopyData as one row
	// after stripping the header from the first), or alone without rows.
	var header []byte
	if bin {
		header = binaryCopyHeader
	} else if f.Kind == "csv" && f.Header {
		start := c.beginCopyData()
		for i, col := range cols {
			if i > 0 {
				c.wbuf = append(c.wbuf, f.Delimiter)
			}
			c.wbuf = appendCSVField(c.wbuf, []byte(col.Name), &f, false, len(cols) == 1)
		}
		c.wbuf = append(c.wbuf, '\n')
		c.endCopyData(start)
	}
	var rows int64
	for {
		rec := first
		first = nil
		if rec == nil {
			var err error
			if rec, err = c.next(ctx, r); err == io.EOF {
				break
			} else if err != nil {
				return "", err
			}
		}
		n := int(rec.NumRows())
		if int(rec.NumCols()) != len(encs) {
			rec.Release()
			return "", fmt.Errorf("BUG: COPY describes %d columns but the result returned a record of %d", len(encs), rec.NumCols())
		}
		err := c.encodeColumns(encs, rec, 0, n)
		rec.Release()
		if err != nil {
			return "", err
		}
		c.appendCopyRows(n, len(encs), &f, header)
		if n > 0 {
			header = nil
		}
		rows += int64(n)
		if err := c.flush(); err != nil {
			return "", err
		}
	}
	if header != nil {
		c.send(&pgproto3.CopyData{Data: header})
	}
	if bin {
		c.send(&pgproto3.CopyData{Data: []byte{0xff, 0xff}})
	}
	c.send(&pgproto3.CopyDone{})
	return fmt.Sprintf("COPY %d", rows), nil
}

func (c *conn) beginCopyData() int {
	c.wbuf = append(c.wbuf, 'd', 0, 0, 0, 0)
	return len(c.wbuf) - 4
}

func (c *conn) endCopyData(lenAt int) {
	binary.BigEndian.PutUint32(c.wbuf[lenAt:], uint32(len(c.wbuf)-lenAt))
}

// appendCopyRows appends one CopyData per row from the encoded columns;
// header (binary COPY's file header) starts the first one.
func (c *conn) appendCopyRows(n, ncols int, f *CopyFormat, header []byte) {
	cols := c.cols[:ncols]
	for i := 0; i < n; i++ {
		start := c.beginCopyData()
		if f.Kind == "binary" {
			if i == 0 {
				c.wbuf = append(c.wbuf, header...)
			}
			c.wbuf = binary.BigEndian.AppendUint16(c.wbuf, uint16(ncols))
			for j := range cols {
				s, e := cols[j].span(i)
				c.wbuf = append(c.wbuf, cols[j].buf[s:e]...)
			}
			c.endCopyData(start)
			continue
		}
		for j := range cols {
			if j > 0 {
				c.wbuf = append(c.wbuf, f.Delimiter)
			}
			s, e := cols[j].span(i)
			if cols[j].isNull(s) {
				c.wbuf = append(c.wbuf, f.Null...)
				continue
			}
			v := cols[j].buf[s+4 : e]
			if f.Kind == "csv" {
				force := j < len(f.ForceQuote) && f.ForceQuote[j]
				c.wbuf = appendCSVField(c.wbuf, v, f, force, ncols == 1)
			} else {
				c.wbuf = appendCopyText(c.wbuf, v, f.Delimiter)
			}
		}
		c.wbuf = append(c.wbuf, '\n')
		c.endCopyData(start)
	}
}

// appendCopyText escapes a value for COPY's text format as
// CopyAttributeOutText does: backslash, the delimiter and control
// characters are backslash-escaped.
func appendCopyText(buf, v []byte, delim byte) []byte {
	for _, ch := range v {
		switch ch {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\v':
			buf = append(buf, '\\', 'v')
		default:
			if ch == delim {
				buf = append(buf, '\\')
			}
			buf = append(buf, ch)
		}
	}
	return buf
}

// appendCSVField writes a value as CopyAttributeOutCSV does: quoted when
// forced, when it equals the NULL string, when it holds the delimiter, the
// quote, CR or LF, or when it is `\.` alone on a line; inside quotes the
// quote and escape characters are preceded by the escape character.
func appendCSVField(buf, v []byte, f *CopyFormat, force, single bool) []byte {
	quote := force || string(v) == f.Null || (single && string(v) == `\.`)
	if !quote {
		for _, ch := range v {
			if ch == f.Delimiter || ch == f.Quote || ch == '\n' || ch == '\r' {
				quote = true
				break
			}
		}
	}
	if !quote {
		return append(buf, v...)
	}
	buf = append(buf, f.Quote)
	for _, ch := range v {
		if ch == f.Quote || ch == f.Escape {
			buf = append(buf, f.Escape)
		}
		buf = append(buf, ch)
	}
	return append(buf, f.Quote)
}

// inferColumns maps Arrow fields to PostgreSQL types for a COPY whose
// statement does not describe its columns. Strings become text (a numeric
// column copied this way is copied as text).
func inferColumns(s *arrow.Schema) (exec.Schema, error) {
	cols := make(exec.Schema, s.NumFields())
	for i, f := range s.Fields() {
		t, err := typeOfArrow(f.Type)
		if err != nil {
			return nil, err
		}
		cols[i] = exec.Column{Name: f.Name, Type: t}
	}
	return cols, nil
}

func typeOfArrow(dt arrow.DataType) (*types.T, error) {
	switch dt.ID() {
	case arrow.BOOL:
		return types.Bool, nil
	case arrow.INT16:
		return types.Int2, nil
	case arrow.INT32:
		return types.Int4, nil
	case arrow.INT64:
		return types.Int8, nil
	case arrow.UINT32:
		return types.Oid, nil
	case arrow.FLOAT32:
		return types.Float4, nil
	case arrow.FLOAT64:
		return types.Float8, nil
	case arrow.STRING:
		return types.Text, nil
	case arrow.BINARY:
		return types.Bytea, nil
	case arrow.DATE32:
		return types.Date, nil
	case arrow.TIME64:
		return types.Time, nil
	case arrow.TIMESTAMP:
		if dt.(*arrow.TimestampType).TimeZone != "" {
			return types.TimestampTZ, nil
		}
		return types.Timestamp, nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return types.Interval, nil
	case arrow.NULL:
		return types.Text, nil
	case arrow.DICTIONARY:
		return typeOfArrow(dt.(*arrow.DictionaryType).ValueType)
	case arrow.LIST:
		el, err := typeOfArrow(dt.(*arrow.ListType).Elem())
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(el), nil
	}
	return nil, errors.New("BUG: COPY of an Arrow " + dt.String() + " column without a described type")
}
