package agg

import (
	"bytes"
	"hash/maphash"
	"unsafe"
)

// fmix64 is MurmurHash3's 64-bit finalizer: a bijection with full
// avalanche, so distinct inputs never collide.
func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// pairHash hashes a (group, value) pair. Multiplying g+1 by an odd
// constant moves it into the high bits, away from small integer values.
func pairHash(g uint32, v uint64) uint64 {
	return fmix64(v ^ (uint64(g)+1)*0x9E3779B97F4A7C15)
}

// pslot is one slot of a wide pairSet. gp1 is the group id + 1, so that 0
// marks a free slot and a fresh table needs no initialization pass (group
// ids never reach NoGroup inside a set).
type pslot struct {
	v   uint64
	gp1 uint32
	aux uint32 // per-pair payload: the representative value's intern id (numeric, interval)
}

// pairSet is an open-addressing hash set (linear probing, load ≤ 3/4) of
// (group id, value) pairs: one table per accumulator rather than a map per
// group, so that exact count(DISTINCT) over millions of groups costs one
// probe sequence per row and 8 or 16 bytes per distinct pair.
//
// A narrow set holds values below 2^32 (interned string ids, int4, dates,
// oids, booleans) packed with the group into one uint64 slot: (g+1)<<32 | v,
// 0 when free. A wide set holds 64-bit values and a per-pair aux word.
type pairSet struct {
	narrow bool
	slots  []uint64 // narrow
	wide   []pslot  // wide
	n      int
	mask   uint64
}

func (s *pairSet) capacity() int {
	if s.narrow {
		return len(s.slots)
	}
	return len(s.wide)
}

func (s *pairSet) alloc(c int) {
	if s.narrow {
		s.slots = make([]uint64, c)
	} else {
		s.wide = make([]pslot, c)
	}
	s.mask = uint64(c - 1)
	s.n = 0
}

// insert adds (g, v) and returns its slot index and whether it was new. The
// index is valid until the next insert. A narrow set requires v < 2^32.
func (s *pairSet) insert(g uint32, v uint64) (int, bool) {
	if s.n >= s.capacity()*3/4 {
		s.grow()
	}
	if s.narrow {
		key := (uint64(g)+1)<<32 | v
		i := fmix64(key) & s.mask
		for {
			k := s.slots[i]
			if k == key {
				return int(i), false
			}
			if k == 0 {
				s.slots[i] = key
				s.n++
				return int(i), true
			}
			i = (i + 1) & s.mask
		}
	}
	gp1 := g + 1
	i := pairHash(g, v) & s.mask
	for {
		sl := &s.wide[i]
		if sl.gp1 == 0 {
			sl.gp1, sl.v = gp1, v
			s.n++
			return int(i), true
		}
		if sl.gp1 == gp1 && sl.v == v {
			return int(i), false
		}
		i = (i + 1) & s.mask
	}
}

// at returns slot i: its group, value and aux, or ok false when free.
func (s *pairSet) at(i int) (g uint32, v uint64, aux uint32, ok bool) {
	if s.narrow {
		k := s.slots[i]
		return uint32(k>>32) - 1, k & 0xFFFFFFFF, 0, k != 0
	}
	sl := s.wide[i]
	return sl.gp1 - 1, sl.v, sl.aux, sl.gp1 != 0
}

func (s *pairSet) grow() {
	c := 64
	if old := s.capacity(); old > 0 {
		c = old * 2
	}
	oldN, oldW := s.slots, s.wide
	s.alloc(c)
	for _, k := range oldN {
		if k == 0 {
			continue
		}
		i := fmix64(k) & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = k
		s.n++
	}
	for _, sl := range oldW {
		if sl.gp1 == 0 {
			continue
		}
		i := pairHash(sl.gp1-1, sl.v) & s.mask
		for s.wide[i].gp1 != 0 {
			i = (i + 1) & s.mask
		}
		s.wide[i] = sl
		s.n++
	}
}

func (s *pairSet) size() int64 {
	return int64(len(s.slots))*8 + int64(len(s.wide))*int64(unsafe.Sizeof(pslot{}))
}

// interner maps byte strings to dense uint32 ids, keeping each distinct
// string once in an append-only arena. Ids are stable for the interner's
// life; bytes(id) stays valid until the next intern.
//
// A slot holds the high 32 bits of the string's hash (which also pick the
// home slot) and id + 1 (0 is free), so a probe compares bytes only on a
// hash match and a resize rehashes without touching the strings.
type interner struct {
	arena  []byte
	starts []uint64 // starts[id] = arena offset; len = ids + 1
	slots  []uint64 // hash>>32<<32 | id+1; 0 is free
	mask   uint64
	seed   maphash.Seed
}

func (t *interner) len() int {
	if len(t.starts) == 0 {
		return 0
	}
	return len(t.starts) - 1
}

func (t *interner) bytes(id uint32) []byte {
	return t.arena[t.starts[id]:t.starts[id+1]]
}

// intern returns the id of b, adding it when new.
func (t *interner) intern(b []byte) uint32 {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
		t.starts = []uint64{0}
		t.resize(64)
	}
	hi := maphash.Bytes(t.seed, b) >> 32
	tag := hi << 32
	i := hi & t.mask
	for {
		s := t.slots[i]
		if s == 0 {
			break
		}
		if s&^0xFFFFFFFF == tag {
			if id := uint32(s) - 1; bytes.Equal(t.bytes(id), b) {
				return id
			}
		}
		i = (i + 1) & t.mask
	}
	id := uint32(t.len())
	t.arena = append(t.arena, b...)
	t.starts = append(t.starts, uint64(len(t.arena)))
	t.slots[i] = tag | uint64(id+1)
	if t.len() > len(t.slots)/2 {
		t.resize(len(t.slots) * 2)
	}
	return id
}

func (t *interner) resize(n int) {
	old := t.slots
	t.slots = make([]uint64, n)
	t.mask = uint64(n - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := (s >> 32) & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

func (t *interner) size() int64 {
	return int64(cap(t.arena)) + int64(cap(t.starts))*8 + int64(cap(t.slots))*8
}
