package exec

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// KeyedState is long-lived grouped aggregation state: the speed layer's
// window state. It folds records with the same code and accumulators as
// HashAggregate, keeps the groups until Prune drops them, and can be saved
// and loaded for checkpoints.
//
// Not safe for concurrent use; the speed layer guards it.
type KeyedState struct {
	keyTypes []*types.T
	aggs     []AggCall
	table    *GroupTable
	accs     []agg.Accumulator
	groups   []uint32
	gsel     []uint32
}

// NewKeyedState returns empty state grouped by keys of keyTypes with the
// given aggregates (their Args and Filter index the records Update gets).
func NewKeyedState(keyTypes []*types.T, aggs []AggCall) (*KeyedState, error) {
	s := &KeyedState{keyTypes: keyTypes, aggs: aggs, table: NewGroupTable(keyTypes)}
	for _, a := range aggs {
		acc, err := agg.New(a.Spec)
		if err != nil {
			return nil, err
		}
		s.accs = append(s.accs, acc)
	}
	return s, nil
}

// Update folds rec, whose key columns are keyCols.
func (s *KeyedState) Update(rec arrow.Record, keyCols []int) error {
	return foldRecord(s.table, s.accs, keyCols, s.aggs, rec, &s.groups, &s.gsel)
}

// Len returns the number of groups.
func (s *KeyedState) Len() int { return s.table.Len() }

// Size estimates the bytes held.
func (s *KeyedState) Size() int64 {
	n := s.table.Size()
	for _, a := range s.accs {
		n += a.Size()
	}
	return n
}

// Finalize returns one record per chunk of groups: the key columns then
// the finalized aggregates, in out's schema; keep (given the key arrays of
// all groups) chooses which groups to return (nil: all).
func (s *KeyedState) Finalize(out Schema, keep func(keys []arrow.Array, g int) bool) ([]arrow.Record, error) {
	ng := s.table.Len()
	if ng == 0 {
		return nil, nil
	}
	keys := s.table.KeyArrays(0, ng)
	defer func() {
		for _, k := range keys {
			k.Release()
		}
	}()
	var idx []int
	for g := 0; g < ng; g++ {
		if keep == nil || keep(keys, g) {
			idx = append(idx, g)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	if len(idx)*4 < ng {
		// A few groups (a point query): finalize only them.
		sel := make([]arrow.Array, len(keys))
		for i, k := range keys {
			sel[i] = TakeArray(k, idx)
		}
		return s.finalizeSubset(out, sel, idx)
	}
	vals := make([]arrow.Array, len(s.accs))
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.Release()
			}
		}
	}()
	for i, a := range s.accs {
		if a.Len() < ng {
			a.Grow(ng)
		}
		v, err := a.Finalize(Alloc)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	cols := append(append([]arrow.Array{}, keys...), vals...)
	all := array.NewRecord(out.Arrow(), cols, int64(ng))
	defer all.Release()
	var recs []arrow.Record
	for from := 0; from < len(idx); from += BatchSize {
		to := min(from+BatchSize, len(idx))
		recs = append(recs, TakeRecord(all, idx[from:to]))
	}
	return recs, nil
}

// FinalizeEq is Finalize for the groups whose key column key equals v,
// found through the table's equality index, so that its cost follows
// those groups, not the state: keep sees their key arrays only. ok is
// false when the column or value cannot use the index; the caller then
// uses Finalize.
func (s *KeyedState) FinalizeEq(out Schema, key int, v any, keep func(keys []arrow.Array, g int) bool) (recs []arrow.Record, ok bool, err error) {
	cands, ok := s.table.GroupsWithKey(key, v)
	if !ok {
		return nil, false, nil
	}
	if len(cands) == 0 {
		return nil, true, nil
	}
	keys := s.table.KeyArraysOf(cands)
	var sel []int // positions in cands
	for j := range cands {
		if keep == nil || keep(keys, j) {
			sel = append(sel, j)
		}
	}
	if len(sel) < len(cands) {
		for i, k := range keys {
			keys[i] = TakeArray(k, sel)
			k.Release()
		}
	}
	idx := make([]int, len(sel))
	for i, j := range sel {
		idx[i] = int(cands[j])
	}
	if len(idx) == 0 {
		for _, k := range keys {
			k.Release()
		}
		return nil, true, nil
	}
	recs, err = s.finalizeSubset(out, keys, idx)
	return recs, true, err
}

// finalizeSubset finalizes the groups idx (ascending) only, whose key
// arrays (one value per entry of idx) it takes over: their states are
// merged into fresh accumulators (exact, as every Merge is) and those are
// finalized, so the cost follows the groups returned, not the state.
func (s *KeyedState) finalizeSubset(out Schema, sel []arrow.Array, idx []int) ([]arrow.Record, error) {
	ng := s.table.Len()
	// Very few groups copy their states one by one (AppendState then
	// LoadState, exact like Merge); more merge in one pass over the state.
	perGroup := len(idx)*64 <= ng
	var dst []uint32
	if !perGroup {
		dst = make([]uint32, ng)
		for i := range dst {
			dst[i] = NoGroup
		}
		for j, g := range idx {
			dst[g] = uint32(j)
		}
	}
	var buf []byte
	cols := make([]arrow.Array, 0, len(sel)+len(s.accs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	cols = append(cols, sel...)
	for i, a := range s.aggs {
		if s.accs[i].Len() < ng {
			s.accs[i].Grow(ng)
		}
		if gf, ok := s.accs[i].(agg.GroupFinalizer); ok {
			v, err := gf.FinalizeGroups(Alloc, idx)
			if err != nil {
				return nil, err
			}
			cols = append(cols, v)
			continue
		}
		acc, err := agg.New(a.Spec)
		if err != nil {
			return nil, err
		}
		acc.Grow(len(idx))
		if perGroup {
			for j, g := range idx {
				buf = s.accs[i].AppendState(buf[:0], uint32(g))
				if err := acc.LoadState(uint32(j), buf); err != nil {
					return nil, err
				}
			}
		} else if err := acc.Merge(s.accs[i], dst); err != nil {
			return nil, err
		}
		v, err := acc.Finalize(Alloc)
		if err != nil {
			return nil, err
		}
		cols = append(cols, v)
	}
	all := array.NewRecord(out.Arrow(), cols, int64(len(idx)))
	defer all.Release()
	var recs []arrow.Record
	for from := 0; from < len(idx); from += BatchSize {
		recs = append(recs, all.NewSlice(int64(from), int64(min(from+BatchSize, len(idx)))))
	}
	return recs, nil
}

// Prune drops the groups for which drop (given all key arrays) is true,
// compacting the state into fresh tables.
func (s *KeyedState) Prune(drop func(keys []arrow.Array, g int) bool) (int, error) {
	ng := s.table.Len()
	if ng == 0 {
		return 0, nil
	}
	keys := s.table.KeyArrays(0, ng)
	defer func() {
		for _, k := range keys {
			k.Release()
		}
	}()
	var keepIdx []int
	for g := 0; g < ng; g++ {
		if !drop(keys, g) {
			keepIdx = append(keepIdx, g)
		}
	}
	dropped := ng - len(keepIdx)
	if dropped == 0 {
		return 0, nil
	}
	nt := NewGroupTable(s.keyTypes)
	dst := make([]uint32, ng)
	for i := range dst {
		dst[i] = NoGroup
	}
	if len(keepIdx) > 0 {
		kept := make([]arrow.Array, len(keys))
		for i, k := range keys {
			kept[i] = TakeArray(k, keepIdx)
		}
		ids := make([]uint32, len(keepIdx))
		nt.Insert(kept, len(keepIdx), ids)
		for j, g := range keepIdx {
			dst[g] = ids[j]
		}
		for _, k := range kept {
			k.Release()
		}
	}
	naccs := make([]agg.Accumulator, len(s.accs))
	for i, a := range s.aggs {
		acc, err := agg.New(a.Spec)
		if err != nil {
			return 0, err
		}
		acc.Grow(nt.Len())
		if s.accs[i].Len() < ng {
			s.accs[i].Grow(ng)
		}
		if err := acc.Merge(s.accs[i], dst); err != nil {
			return 0, err
		}
		naccs[i] = acc
	}
	s.table, s.accs = nt, naccs
	return dropped, nil
}

// Save writes the state: the key columns as an Arrow IPC stream, then
// each group's accumulator states.
func (s *KeyedState) Save(w io.Writer) error {
	ng := s.table.Len()
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(ng))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if ng == 0 {
		return nil
	}
	keys := s.table.KeyArrays(0, ng)
	ks := make(Schema, len(keys))
	for i, t := range s.keyTypes {
		ks[i] = Column{Name: fmt.Sprintf("k%d", i), Type: t}
	}
	rec := array.NewRecord(ks.Arrow(), keys, int64(ng))
	for _, k := range keys {
		k.Release()
	}
	defer rec.Release()
	var buf bufWriter
	iw := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := iw.Write(rec); err != nil {
		return err
	}
	if err := iw.Close(); err != nil {
		return err
	}
	if err := writeChunk(w, buf.b); err != nil {
		return err
	}
	var st []byte
	for i, a := range s.accs {
		if a.Len() < ng {
			a.Grow(ng)
		}
		if sa, ok := a.(agg.StatesAppender); ok {
			if err := sa.AppendStates(ng, func(_ uint32, b []byte) error { return writeChunk(w, b) }); err != nil {
				return fmt.Errorf("save aggregate %d: %w", i, err)
			}
			continue
		}
		for g := 0; g < ng; g++ {
			st = a.AppendState(st[:0], uint32(g))
			if err := writeChunk(w, st); err != nil {
				return fmt.Errorf("save aggregate %d: %w", i, err)
			}
		}
	}
	return nil
}

// Load restores state written by Save into an empty KeyedState.
func (s *KeyedState) Load(r io.Reader) error {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	ng := int(binary.LittleEndian.Uint64(hdr[:]))
	if ng == 0 {
		return nil
	}
	kb, err := readChunk(r)
	if err != nil {
		return err
	}
	ir, err := ipc.NewReader(&byteReader{b: kb})
	if err != nil {
		return err
	}
	defer ir.Release()
	if !ir.Next() {
		return fmt.Errorf("checkpoint: missing key record")
	}
	rec := ir.Record()
	ids := make([]uint32, ng)
	if s.table.Insert(rec.Columns(), ng, ids) != ng {
		return fmt.Errorf("checkpoint: duplicate keys")
	}
	for _, a := range s.accs {
		a.Grow(ng)
		for g := 0; g < ng; g++ {
			st, err := readChunk(r)
			if err != nil {
				return err
			}
			if err := a.LoadState(ids[g], st); err != nil {
				return err
			}
		}
	}
	return nil
}

type bufWriter struct{ b []byte }

func (w *bufWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

func writeChunk(w io.Writer, b []byte) error {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

func readChunk(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > 1<<30 {
		return nil, fmt.Errorf("checkpoint: chunk of %d bytes is corrupt", size)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}
