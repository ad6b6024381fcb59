package exec

// Array functions over []any datums (Arrow List columns): array_length,
// array_upper/lower, cardinality, array_ndims, array_dims,
// array_position(s), array_cat/append/prepend/remove/replace, the array
// forms of ||, string_to_array and array_to_string. Arrays are rare on hot
// paths, so these run through rowKernel.
//
// Functions taking an element next to an array are registered once per
// element type rather than over Any: the resolver then casts an untyped
// literal to the element type (array_append(a, 'x') on text[]), as
// PostgreSQL's anyelement does, and an untyped literal alone never binds
// to an array overload of ||.

import (
	"strconv"
	"strings"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// arrayArg returns argument d as an array, failing for untyped literals
// that reached an anyarray parameter.
func arrayArg(d any) ([]any, error) {
	if a, ok := d.([]any); ok {
		return a, nil
	}
	return nil, sqlstate.New(sqlstate.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
}

// arrayDims returns the lengths of each dimension of a (nested []any for
// multidimensional arrays); nil for an empty array.
func arrayDims(a []any) []int {
	if len(a) == 0 {
		return nil
	}
	dims := []int{len(a)}
	for {
		inner, ok := a[0].([]any)
		if !ok || len(inner) == 0 {
			return dims
		}
		dims = append(dims, len(inner))
		a = inner
	}
}

// flatten returns the elements of a in storage order.
func flatten(a []any) []any {
	if len(a) == 0 {
		return a
	}
	if _, ok := a[0].([]any); !ok {
		return a
	}
	var out []any
	for _, e := range a {
		if inner, ok := e.([]any); ok {
			out = append(out, flatten(inner)...)
		} else {
			out = append(out, e)
		}
	}
	return out
}

// sameElem is IS NOT DISTINCT FROM over two elements of type t.
func sameElem(t *types.T, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return CompareDatums(t, a, b) == 0
}

// elemTypeOf returns the element type of array argument i.
func elemTypeOf(k *KernelCtx, i int) *types.T {
	if t := k.ArgType(i); t.Family == types.FamArray && t.Elem != nil {
		return t.Elem
	}
	if k.Ret != nil && k.Ret.Family == types.FamArray && k.Ret.Elem != nil {
		return k.Ret.Elem
	}
	return types.Text
}

func arrayDimFn(kind byte) Kernel {
	return rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		arr, err := arrayArg(a[0])
		if err != nil {
			return nil, err
		}
		dims := arrayDims(arr)
		d := a[1].(int64)
		if d < 1 || d > int64(len(dims)) {
			return nil, nil
		}
		if kind == 'l' {
			return int64(1), nil
		}
		return int64(dims[d-1]), nil
	})
}

// stringToArray is string_to_array(s, delim [, null_string]).
func stringToArray(s string, delim any, nullStr any) []any {
	var parts []string
	switch {
	case s == "":
		return []any{}
	case delim == nil:
		for _, r := range s {
			parts = append(parts, string(r))
		}
	case delim.(string) == "":
		parts = []string{s}
	default:
		parts = strings.Split(s, delim.(string))
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		if ns, ok := nullStr.(string); ok && p == ns {
			continue
		}
		out[i] = p
	}
	return out
}

// arrayToString is array_to_string(a, delim [, null_string]).
func arrayToString(k *KernelCtx, elem *types.T, a []any, delim string, nullStr any) string {
	var b []byte
	first := true
	for _, e := range flatten(a) {
		var s []byte
		if e == nil {
			ns, ok := nullStr.(string)
			if !ok {
				continue
			}
			s = []byte(ns)
		} else {
			s = appendDatumText(k, nil, elem, e)
		}
		if !first {
			b = append(b, delim...)
		}
		first = false
		b = append(b, s...)
	}
	return string(b)
}

func init() {
	Int4, Text := types.Int4, types.Text
	regFn("array_length", sig(AnyArray, Int4), Int4, arrayDimFn('n'))
	regFn("array_upper", sig(AnyArray, Int4), Int4, arrayDimFn('u'))
	regFn("array_lower", sig(AnyArray, Int4), Int4, arrayDimFn('l'))
	regFn("cardinality", sig(AnyArray), Int4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		arr, err := arrayArg(a[0])
		if err != nil {
			return nil, err
		}
		return int64(len(flatten(arr))), nil
	}))
	regFn("array_ndims", sig(AnyArray), Int4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		arr, err := arrayArg(a[0])
		if err != nil {
			return nil, err
		}
		if d := arrayDims(arr); len(d) > 0 {
			return int64(len(d)), nil
		}
		return nil, nil
	}))
	regFn("array_dims", sig(AnyArray), Text, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		arr, err := arrayArg(a[0])
		if err != nil {
			return nil, err
		}
		dims := arrayDims(arr)
		if len(dims) == 0 {
			return nil, nil
		}
		var b strings.Builder
		for _, d := range dims {
			b.WriteString("[1:" + strconv.Itoa(d) + "]")
		}
		return b.String(), nil
	}))
	arrayCat := rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
		if a[0] == nil && a[1] == nil {
			return nil, nil
		}
		x, _ := a[0].([]any)
		y, _ := a[1].([]any)
		return append(append([]any{}, x...), y...), nil
	})
	arrayAppend := rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
		x, _ := a[0].([]any)
		return append(append([]any{}, x...), a[1]), nil
	})
	arrayPrepend := rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
		y, _ := a[1].([]any)
		return append([]any{a[0]}, y...), nil
	})
	position := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		start := int64(1)
		if len(a) == 3 {
			if a[2] == nil {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "initial position must not be null")
			}
			start = a[2].(int64)
		}
		et := elemTypeOf(k, 0)
		for i, e := range flatten(a[0].([]any)) {
			if int64(i+1) >= start && sameElem(et, e, a[1]) {
				return int64(i + 1), nil
			}
		}
		return nil, nil
	})
	positions := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		et := elemTypeOf(k, 0)
		out := []any{}
		for i, e := range flatten(a[0].([]any)) {
			if sameElem(et, e, a[1]) {
				out = append(out, int64(i+1))
			}
		}
		return out, nil
	})
	remove := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		et := elemTypeOf(k, 0)
		out := []any{}
		for _, e := range a[0].([]any) {
			if !sameElem(et, e, a[1]) {
				out = append(out, e)
			}
		}
		return out, nil
	})
	replace := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		et := elemTypeOf(k, 0)
		out := make([]any, 0, len(a[0].([]any)))
		for _, e := range a[0].([]any) {
			if sameElem(et, e, a[1]) {
				e = a[2]
			}
			out = append(out, e)
		}
		return out, nil
	})
	for _, t := range types.Scalars {
		if t.ArrayOID == 0 {
			continue
		}
		at := types.ArrayOf(t)
		Register(
			&Func{Name: "||", Args: sig(at, at), Ret: at, Kernel: arrayCat, Infix: true},
			&Func{Name: "||", Args: sig(at, t), Ret: at, Kernel: arrayAppend, Infix: true},
			&Func{Name: "||", Args: sig(t, at), Ret: at, Kernel: arrayPrepend, Infix: true},
			&Func{Name: "array_cat", Args: sig(at, at), Ret: at, Kernel: arrayCat},
			&Func{Name: "array_append", Args: sig(at, t), Ret: at, Kernel: arrayAppend},
			&Func{Name: "array_prepend", Args: sig(t, at), Ret: at, Kernel: arrayPrepend},
			&Func{Name: "array_position", Args: sig(at, t), Ret: Int4, Kernel: position},
			&Func{Name: "array_position", Args: sig(at, t, Int4), Ret: Int4, Kernel: position},
			&Func{Name: "array_positions", Args: sig(at, t), Ret: types.ArrayOf(Int4), Kernel: positions},
			&Func{Name: "array_remove", Args: sig(at, t), Ret: at, Kernel: remove},
			&Func{Name: "array_replace", Args: sig(at, t, t), Ret: at, Kernel: replace},
		)
	}
	textArr := types.ArrayOf(Text)
	regFn("string_to_array", sig(Text, Text), textArr, rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		return stringToArray(a[0].(string), a[1], nil), nil
	}))
	regFn("string_to_array", sig(Text, Text, Text), textArr, rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		return stringToArray(a[0].(string), a[1], a[2]), nil
	}))
	a2s := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		arr, err := arrayArg(a[0])
		if err != nil {
			return nil, err
		}
		var ns any
		if len(a) == 3 {
			ns = a[2]
		}
		return arrayToString(k, elemTypeOf(k, 0), arr, a[1].(string), ns), nil
	})
	regFn("array_to_string", sig(AnyArray, Text), Text, a2s)
	regFn("array_to_string", sig(AnyArray, Text, Text), Text, a2s)
}
