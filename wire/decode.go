package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
	"unicode/utf8"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// errBadBinary is any malformed binary value; the caller reports it as
// 22P03 with the parameter or field it came from.
var errBadBinary = errors.New("incorrect binary data format")

// maxArrayElems bounds a binary array parameter (PostgreSQL's MaxArraySize
// is larger, but every element costs at least 4 bytes of message anyway).
const maxArrayElems = 1 << 27

// RegParser reads the text form of a reg* parameter (regclass, regtype,
// …): a name looked up in the catalog, as regclassin does. The server sets
// it; without it a reg* parameter must be a number.
var RegParser func(t *types.T, s string) (any, error)

// decodeParam converts one Bind parameter to a datum of type t (see
// sql/types for the representation). raw is nil for NULL; it aliases the
// read buffer, so nothing returned may keep it.
func decodeParam(t *types.T, format int16, raw []byte, loc *time.Location, n int) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch format {
	case 0:
		if !utf8.Valid(raw) {
			return nil, invalidUTF8(raw)
		}
		if t == nil || t.Family == types.FamUnknown || t.Family == types.FamNull {
			return string(raw), nil
		}
		if RegParser != nil && t.Family == types.FamOid && t.OID != types.Oid.OID && t.OID != types.Xid.OID {
			return RegParser(t, string(raw))
		}
		return types.ParseText(t, string(raw), loc)
	case 1:
		v, err := decodeBinary(t, raw)
		if err != nil {
			var se *sqlstate.Error
			if errors.As(err, &se) {
				return nil, err
			}
			return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
		}
		return v, nil
	}
	return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unsupported format code: %d", format)
}

// invalidUTF8 is PostgreSQL's 22021 error for bytes that are not UTF-8.
func invalidUTF8(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return sqlstate.New(sqlstate.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", b[i])
		}
		i += size
	}
	return sqlstate.New(sqlstate.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
}

// DecodeBinary converts a value in PostgreSQL's binary format (what the
// type's send function writes; a field of binary COPY) to a datum of type
// t (see sql/types for the representation). A malformed value is 22P03
// "incorrect binary data format". raw may be reused after the call.
func DecodeBinary(t *types.T, raw []byte) (any, error) {
	v, err := decodeBinary(t, raw)
	if err != nil {
		var se *sqlstate.Error
		if !errors.As(err, &se) {
			err = sqlstate.New(sqlstate.InvalidBinaryRepresentation, "incorrect binary data format")
		}
		return nil, err
	}
	return v, nil
}

// decodeBinary converts PostgreSQL's binary form of a value of type t (as
// its typreceive function reads it) to a datum. It never keeps raw.
func decodeBinary(t *types.T, raw []byte) (any, error) {
	if t == nil {
		t = types.Text
	}
	switch t.Family {
	case types.FamBool:
		if len(raw) != 1 {
			return nil, errBadBinary
		}
		return raw[0] != 0, nil
	case types.FamInt:
		if len(raw) != t.Width && !(t.Width <= 0 && len(raw) == 8) {
			return nil, errBadBinary
		}
		switch len(raw) {
		case 2:
			return int64(int16(binary.BigEndian.Uint16(raw))), nil
		case 4:
			return int64(int32(binary.BigEndian.Uint32(raw))), nil
		case 8:
			return int64(binary.BigEndian.Uint64(raw)), nil
		}
		return nil, errBadBinary
	case types.FamFloat:
		switch {
		case t.Width == 4 && len(raw) == 4:
			return float64(math.Float32frombits(binary.BigEndian.Uint32(raw))), nil
		case t.Width != 4 && len(raw) == 8:
			return math.Float64frombits(binary.BigEndian.Uint64(raw)), nil
		}
		return nil, errBadBinary
	case types.FamNumeric:
		return decodeNumeric(raw)
	case types.FamString, types.FamUnknown, types.FamNull:
		if !utf8.Valid(raw) {
			return nil, invalidUTF8(raw)
		}
		s := string(raw)
		if t.Family == types.FamString && t.Mod >= 4 {
			// Apply varchar(n)/char(n) length rules as text input does.
			return types.ParseText(t, s, nil)
		}
		return s, nil
	case types.FamJSON:
		if t.OID == types.JSONB.OID {
			if len(raw) == 0 || raw[0] != 1 {
				return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "unsupported jsonb version number")
			}
			raw = raw[1:]
		}
		if !utf8.Valid(raw) {
			return nil, invalidUTF8(raw)
		}
		return string(raw), nil
	case types.FamBytes:
		return append([]byte{}, raw...), nil
	case types.FamDate:
		if len(raw) != 4 {
			return nil, errBadBinary
		}
		raw32 := int32(binary.BigEndian.Uint32(raw))
		if raw32 == int32(types.DateInfinity) || raw32 == int32(types.DateNegInfinity) {
			return types.DateD(raw32), nil
		}
		d := int64(raw32) + pgEpochDays
		if d > math.MaxInt32 || d < math.MinInt32 {
			return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date out of range")
		}
		return types.DateD(d), nil
	case types.FamTime:
		if len(raw) != 8 {
			return nil, errBadBinary
		}
		us := int64(binary.BigEndian.Uint64(raw))
		if us < 0 || us > 86400e6 {
			return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "time out of range")
		}
		return types.TimeOfDay(us), nil
	case types.FamTimestamp, types.FamTimestampTZ:
		if len(raw) != 8 {
			return nil, errBadBinary
		}
		us := int64(binary.BigEndian.Uint64(raw))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return types.TimestampD(us), nil // ±infinity
		}
		if us > math.MaxInt64-pgEpochMicros {
			return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp out of range")
		}
		return types.TimestampD(us + pgEpochMicros), nil
	case types.FamInterval:
		if len(raw) != 16 {
			return nil, errBadBinary
		}
		return types.IntervalD{
			Micros: int64(binary.BigEndian.Uint64(raw)),
			Days:   int32(binary.BigEndian.Uint32(raw[8:])),
			Months: int32(binary.BigEndian.Uint32(raw[12:])),
		}, nil
	case types.FamOid:
		if len(raw) != 4 {
			return nil, errBadBinary
		}
		return types.OidD(binary.BigEndian.Uint32(raw)), nil
	case types.FamVoid:
		return nil, nil
	case types.FamArray:
		return decodeBinaryArray(t, raw)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "binary input of type %s is not supported", t.Name)
}

// decodeBinaryArray reads array_send's form: int32 ndim, int32 flags,
// uint32 element OID, per dimension int32 length and int32 lower bound,
// then per element an int32 length (-1 NULL) and its bytes.
func decodeBinaryArray(t *types.T, raw []byte) (any, error) {
	if len(raw) < 12 || t.Elem == nil {
		return nil, errBadBinary
	}
	ndim := int32(binary.BigEndian.Uint32(raw))
	flags := binary.BigEndian.Uint32(raw[4:])
	elemOID := binary.BigEndian.Uint32(raw[8:])
	if flags > 1 {
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid array flags")
	}
	if elemOID != t.Elem.OID && elemOID != 0 && t.Elem.OID != 0 {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "binary data has array element type %d instead of expected %d", elemOID, t.Elem.OID)
	}
	raw = raw[12:]
	switch {
	case ndim == 0:
		if len(raw) != 0 {
			return nil, errBadBinary
		}
		return []any{}, nil
	case ndim < 0 || ndim > 6:
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid number of dimensions: %d", ndim)
	case ndim > 1:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "multidimensional arrays are not supported")
	}
	if len(raw) < 8 {
		return nil, errBadBinary
	}
	n := int64(int32(binary.BigEndian.Uint32(raw)))
	raw = raw[8:] // the lower bound is not kept: arrays are 1-based
	if n < 0 || n > maxArrayElems || n > int64(len(raw)/4) {
		return nil, errBadBinary
	}
	out := make([]any, n)
	for i := range out {
		if len(raw) < 4 {
			return nil, errBadBinary
		}
		l := int32(binary.BigEndian.Uint32(raw))
		raw = raw[4:]
		if l == -1 {
			continue
		}
		if l < 0 || int(l) > len(raw) {
			return nil, errBadBinary
		}
		v, err := decodeBinary(t.Elem, raw[:l])
		if err != nil {
			return nil, err
		}
		out[i] = v
		raw = raw[l:]
	}
	if len(raw) != 0 {
		return nil, errBadBinary
	}
	return out, nil
}
