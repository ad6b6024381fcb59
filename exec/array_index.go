package exec

import (
	"lambdasql/sql/types"
)

// Array subscripts: a[i] and a[lo:hi], 1-based as in PostgreSQL; out of
// range is NULL, never an error.
func init() {
	elemOf := func(args []*types.T) *types.T {
		if len(args) > 0 && args[0].Elem != nil {
			return args[0].Elem
		}
		return types.Text
	}
	sameArray := func(args []*types.T) *types.T {
		if len(args) > 0 {
			return args[0]
		}
		return types.ArrayOf(types.Text)
	}
	Register(
		&Func{Name: "array_element", Args: []*types.T{AnyArray, types.Int4}, RetFn: elemOf,
			Kernel: rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
				arr := a[0].([]any)
				i := a[1].(int64)
				if i < 1 || i > int64(len(arr)) {
					return nil, nil
				}
				return arr[i-1], nil
			})},
		&Func{Name: "array_slice", Args: []*types.T{AnyArray, types.Int4, types.Int4}, RetFn: sameArray,
			Kernel: rowKernel(false, func(_ *KernelCtx, a []any) (any, error) {
				if a[0] == nil {
					return nil, nil
				}
				arr := a[0].([]any)
				lo, hi := int64(1), int64(len(arr))
				if a[1] != nil {
					lo = a[1].(int64)
				}
				if a[2] != nil {
					hi = a[2].(int64)
				}
				lo = max(lo, 1)
				hi = min(hi, int64(len(arr)))
				if lo > hi {
					return []any{}, nil
				}
				return append([]any{}, arr[lo-1:hi]...), nil
			})},
	)
	// int2vector and oidvector subscripts (pg_index.indkey[0] style) are
	// 0-based in PostgreSQL.
	for _, vt := range []*types.T{types.Int2Vector, types.OidVector} {
		vt := vt
		Register(&Func{Name: "array_element", Args: []*types.T{vt, types.Int4}, Ret: vt.Elem,
			Kernel: rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
				arr := a[0].([]any)
				i := a[1].(int64)
				if i < 0 || i >= int64(len(arr)) {
					return nil, nil
				}
				return arr[i], nil
			})})
	}
}
