package wire

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// NUMERIC's binary form (numeric_send in src/backend/utils/adt/numeric.c):
//
//	int16  ndigits  number of base-10000 digits that follow
//	int16  weight   power of 10000 of the first digit
//	uint16 sign     0x0000 +, 0x4000 -, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity
//	uint16 dscale   decimal digits after the point shown in text output
//	int16  digits[ndigits]
const (
	numericPos    = 0x0000
	numericNeg    = 0x4000
	numericNaN    = 0xC000
	numericPInf   = 0xD000
	numericNInf   = 0xF000
	numericMaxDSc = 0x3FFF
)

var errBadNumeric = errors.New("invalid numeric text")

// appendNumericBinary appends the binary form of the decimal text s
// ("-12.3400", "NaN", "Infinity", "1.5e3").
func appendNumericBinary(buf []byte, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "nan":
		return appendNumericHeader(buf, 0, 0, numericNaN, 0), nil
	case "infinity", "+infinity", "inf", "+inf":
		return appendNumericHeader(buf, 0, 0, numericPInf, 0), nil
	case "-infinity", "-inf":
		return appendNumericHeader(buf, 0, 0, numericNInf, 0), nil
	}
	sign := uint16(numericPos)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = numericNeg
		}
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1<<20 || e < -(1<<20) {
			return buf, errBadNumeric
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return buf, errBadNumeric
	}
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return buf, errBadNumeric
			}
		}
	}
	// Apply the exponent by moving the decimal point.
	if exp != 0 {
		all := intPart + frac
		point := len(intPart) + exp
		switch {
		case point <= 0:
			intPart, frac = "", strings.Repeat("0", -point)+all
		case point >= len(all):
			intPart, frac = all+strings.Repeat("0", point-len(all)), ""
		default:
			intPart, frac = all[:point], all[point:]
		}
	}
	dscale := len(frac)
	if dscale > numericMaxDSc {
		return buf, errBadNumeric
	}
	intPart = strings.TrimLeft(intPart, "0")
	// Group into base-10000 digits aligned on the decimal point.
	lead := (4 - len(intPart)%4) % 4
	nInt := (len(intPart) + lead) / 4
	nFrac := (len(frac) + 3) / 4
	digits := make([]int16, 0, nInt+nFrac)
	digit := func(str string, from, to int) int16 {
		v := 0
		for k := from; k < to; k++ {
			v *= 10
			if k >= 0 && k < len(str) {
				v += int(str[k] - '0')
			}
		}
		return int16(v)
	}
	for g := 0; g < nInt; g++ {
		digits = append(digits, digit(intPart, g*4-lead, g*4-lead+4))
	}
	for g := 0; g < nFrac; g++ {
		digits = append(digits, digit(frac, g*4, g*4+4))
	}
	weight := nInt - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight, sign = 0, numericPos
	}
	if len(digits) > 0x7FFF || weight > 0x7FFF || weight < -0x8000 {
		return buf, errBadNumeric
	}
	buf = appendNumericHeader(buf, len(digits), weight, sign, dscale)
	for _, d := range digits {
		buf = binary.BigEndian.AppendUint16(buf, uint16(d))
	}
	return buf, nil
}

func appendNumericHeader(buf []byte, ndigits, weight int, sign uint16, dscale int) []byte {
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	return binary.BigEndian.AppendUint16(buf, uint16(dscale))
}

// numericText renders binary NUMERIC b as decimal text with dscale digits
// after the point, as numeric_out does.
func numericText(b []byte) (string, error) {
	if len(b) < 8 {
		return "", errBadNumeric
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	switch sign {
	case numericNaN:
		return "NaN", nil
	case numericPInf:
		return "Infinity", nil
	case numericNInf:
		return "-Infinity", nil
	case numericPos, numericNeg:
	default:
		return "", errBadNumeric
	}
	if ndigits < 0 || len(b) != 8+2*ndigits || dscale > numericMaxDSc {
		return "", errBadNumeric
	}
	digits := make([]int, ndigits)
	for i := range digits {
		d := int(int16(binary.BigEndian.Uint16(b[8+2*i:])))
		if d < 0 || d > 9999 {
			return "", errBadNumeric
		}
		digits[i] = d
	}
	at := func(i int) int { // the base-10000 digit of weight i
		k := weight - i
		if k < 0 || k >= ndigits {
			return 0
		}
		return digits[k]
	}
	var sb strings.Builder
	if sign == numericNeg {
		sb.WriteByte('-')
	}
	if weight < 0 {
		sb.WriteByte('0')
	} else {
		for i := weight; i >= 0; i-- {
			d := at(i)
			if i == weight {
				sb.WriteString(strconv.Itoa(d))
			} else {
				s := strconv.Itoa(d)
				sb.WriteString("0000"[len(s):])
				sb.WriteString(s)
			}
		}
	}
	if dscale > 0 {
		sb.WriteByte('.')
		for i, written := -1, 0; written < dscale; i-- {
			s := strconv.Itoa(at(i))
			s = "0000"[len(s):] + s
			if n := dscale - written; n < 4 {
				s = s[:n]
			}
			sb.WriteString(s)
			written += len(s)
		}
	}
	out := sb.String()
	if out == "-0" || (sign == numericNeg && strings.Trim(out, "-0.") == "") {
		out = strings.TrimPrefix(out, "-")
	}
	return out, nil
}

// decodeNumeric decodes binary NUMERIC into the numeric datum.
func decodeNumeric(b []byte) (*apd.Decimal, error) {
	s, err := numericText(b)
	if err != nil {
		return nil, err
	}
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return nil, errBadNumeric
	}
	return d, nil
}
