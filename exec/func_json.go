package exec

// JSON access over json and jsonb values stored as text: the -> and ->>
// operators (object key or array index, negative indexes counting from
// the end), #> and #>> (path), json[b]_extract_path[_text],
// json[b]_array_length and json[b]_typeof. json results keep the source
// text of the element, as PostgreSQL's json does; jsonb results are
// printed the way jsonb prints ({"a": 1, "b": [1, 2]}, keys ordered by
// length, then bytes). Values are parsed per call with encoding/json:
// JSON access is not on the engine's hot paths.

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func errBadJSON(t *types.T) error {
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type %s", t.TypName)
}

// jsonStep descends one step (an object key, or an array index when the
// value is an array) into raw; ok is false when there is no such element.
func jsonStep(raw []byte, key string, isIndex bool, idx int64, t *types.T) (json.RawMessage, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, errBadJSON(t)
	}
	switch raw[0] {
	case '{':
		if isIndex {
			return nil, false, nil
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return nil, false, errBadJSON(t)
		}
		var found json.RawMessage
		ok := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, false, errBadJSON(t)
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, false, errBadJSON(t)
			}
			if k, _ := kt.(string); k == key {
				found, ok = v, true // the last duplicate wins, as in jsonb
			}
		}
		return found, ok, nil
	case '[':
		if !isIndex {
			// A text key over an array: PostgreSQL accepts an integer
			// written as text only in paths (#>), handled by the caller.
			return nil, false, nil
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, false, errBadJSON(t)
		}
		if idx < 0 {
			idx += int64(len(arr))
		}
		if idx < 0 || idx >= int64(len(arr)) {
			return nil, false, nil
		}
		return arr[idx], true, nil
	}
	if !json.Valid(raw) {
		return nil, false, errBadJSON(t)
	}
	return nil, false, nil
}

// jsonOut renders an element for ->: its source text for json, jsonb's
// canonical text for jsonb.
func jsonOut(raw json.RawMessage, t *types.T) (string, error) {
	if t.OID == types.JSONB.OID {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return "", errBadJSON(t)
		}
		var b strings.Builder
		writeJSONB(&b, v)
		return b.String(), nil
	}
	return string(bytes.TrimSpace(raw)), nil
}

// jsonText renders an element for ->>: strings unquoted, null as SQL
// NULL, everything else as for ->.
func jsonText(raw json.RawMessage, t *types.T) (any, error) {
	r := bytes.TrimSpace(raw)
	switch {
	case len(r) > 0 && r[0] == '"':
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, errBadJSON(t)
		}
		return s, nil
	case string(r) == "null":
		return nil, nil
	}
	return jsonOut(raw, t)
}

// writeJSONB writes v as jsonb prints it.
func writeJSONB(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(x.String())
	case string:
		writeJSONString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONB(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSONB(b, x[k])
		}
		b.WriteByte('}')
	}
}

// writeJSONString quotes s as PostgreSQL's escape_json does.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(r)&15, 16))
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// jsonPath follows path (keys, or indexes for arrays) from doc.
func jsonPath(doc string, path []any, t *types.T) (json.RawMessage, bool, error) {
	cur := json.RawMessage(doc)
	if !json.Valid(cur) {
		return nil, false, errBadJSON(t)
	}
	for _, p := range path {
		if p == nil {
			return nil, false, nil
		}
		key := p.(string)
		tr := bytes.TrimSpace(cur)
		isIndex := false
		var idx int64
		if len(tr) > 0 && tr[0] == '[' {
			n, err := strconv.ParseInt(strings.TrimSpace(key), 10, 64)
			if err != nil {
				return nil, false, nil
			}
			isIndex, idx = true, n
		}
		next, ok, err := jsonStep(cur, key, isIndex, idx, t)
		if err != nil || !ok {
			return nil, ok, err
		}
		cur = next
	}
	return cur, true, nil
}

func jsonTypeof(doc string, t *types.T) (string, error) {
	r := bytes.TrimSpace([]byte(doc))
	if !json.Valid(r) {
		return "", errBadJSON(t)
	}
	switch r[0] {
	case '{':
		return "object", nil
	case '[':
		return "array", nil
	case '"':
		return "string", nil
	case 't', 'f':
		return "boolean", nil
	case 'n':
		return "null", nil
	}
	return "number", nil
}

func init() {
	Text, I4 := types.Text, types.Int4
	for _, jt := range []*types.T{types.JSON, types.JSONB} {
		jt := jt
		prefix := jt.TypName
		arrow := func(asText bool, index bool) Kernel {
			return rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
				var raw json.RawMessage
				var ok bool
				var err error
				if index {
					raw, ok, err = jsonStep([]byte(a[0].(string)), "", true, a[1].(int64), jt)
				} else {
					raw, ok, err = jsonStep([]byte(a[0].(string)), a[1].(string), false, 0, jt)
				}
				if err != nil || !ok {
					return nil, err
				}
				if asText {
					return jsonText(raw, jt)
				}
				return jsonOut(raw, jt)
			})
		}
		Register(
			&Func{Name: "->", Args: sig(jt, Text), Ret: jt, Kernel: arrow(false, false), Infix: true},
			&Func{Name: "->", Args: sig(jt, I4), Ret: jt, Kernel: arrow(false, true), Infix: true},
			&Func{Name: "->>", Args: sig(jt, Text), Ret: Text, Kernel: arrow(true, false), Infix: true},
			&Func{Name: "->>", Args: sig(jt, I4), Ret: Text, Kernel: arrow(true, true), Infix: true},
		)
		path := func(asText bool, variadic bool) Kernel {
			return rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
				if a[0] == nil {
					return nil, nil
				}
				var p []any
				if variadic {
					p = a[1:]
				} else {
					if a[1] == nil {
						return nil, nil
					}
					p = a[1].([]any)
				}
				raw, ok, err := jsonPath(a[0].(string), p, jt)
				if err != nil || !ok {
					return nil, err
				}
				if asText {
					return jsonText(raw, jt)
				}
				return jsonOut(raw, jt)
			})
		}
		textArr := types.ArrayOf(Text)
		Register(
			&Func{Name: "#>", Args: sig(jt, textArr), Ret: jt, Kernel: path(false, false), Infix: true},
			&Func{Name: "#>>", Args: sig(jt, textArr), Ret: Text, Kernel: path(true, false), Infix: true},
			&Func{Name: prefix + "_extract_path", Args: sig(jt, Text), Variadic: true, Ret: jt, Kernel: path(false, true)},
			&Func{Name: prefix + "_extract_path_text", Args: sig(jt, Text), Variadic: true, Ret: Text, Kernel: path(true, true)},
		)
		regFn(prefix+"_typeof", sig(jt), Text, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
			return jsonTypeof(a[0].(string), jt)
		}))
		regFn(prefix+"_array_length", sig(jt), I4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
			var arr []json.RawMessage
			r := bytes.TrimSpace([]byte(a[0].(string)))
			if len(r) == 0 || r[0] != '[' {
				if json.Valid(r) {
					return nil, errInvalidParam("cannot get array length of a non-array")
				}
				return nil, errBadJSON(jt)
			}
			if err := json.Unmarshal(r, &arr); err != nil {
				return nil, errBadJSON(jt)
			}
			return int64(len(arr)), nil
		}))
	}
}
