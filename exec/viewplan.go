package exec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// ViewPlan is a lambda view compiled into the stages both layers run (the
// planner builds it from the view's definition; batch and stream execute
// it):
//
//	source rows → window assignment (adds window_start, window_end; a
//	hopping window repeats a row per window) → Pre (WHERE, the grouping
//	keys and aggregate arguments) → grouping by Keys with Aggs on the
//	shared accumulators → Post over finalized groups (HAVING, the select
//	list with window_start and window_end in front).
//
// The batch layer folds groups with HashAggregate over the master dataset;
// the speed layer folds the same Pre output into KeyedState over the log.
type ViewPlan struct {
	Source     string
	EventTime  int    // index of the event-time column in SourceCols
	SourceCols Schema // the source's columns (without _layer)
	Size, Hop  time.Duration
	Gap        time.Duration // session windows (> 0)
	InSchema   Schema        // SourceCols then window_start, window_end
	Pre        []Step
	Keys       []int // into Pre's output; Keys[0], Keys[1] are window_start, window_end
	Aggs       []AggCall
	AggOut     Schema // keys then aggregates
	Post       []Step
	Out        Schema // window_start, window_end, then the select list
	// NeededCols are the source columns the view reads (indexes into
	// SourceCols); scans read only these.
	NeededCols []int
}

// Grid is the spacing of window starts in µs (0 for session windows).
func (p *ViewPlan) Grid() int64 {
	switch {
	case p.Gap > 0:
		return 0
	case p.Hop > 0:
		return p.Hop.Microseconds()
	}
	return p.Size.Microseconds()
}

// Assign returns the window assignment step over the source columns. For
// session windows it is a placeholder (the event time in both window
// columns); SessionAssign computes the sessions after Pre.
func (p *ViewPlan) Assign() Step {
	if p.Gap > 0 {
		return &SessionPlaceholder{EventTime: p.EventTime, In: p.SourceCols, Out: p.InSchema}
	}
	return NewWindowAssign(p.SourceCols, p.EventTime, p.Size, p.Hop)
}

// SessionKeys are the Pre output columns that key sessions (the grouping
// keys besides the window).
func (p *ViewPlan) SessionKeys() []int { return p.Keys[2:] }

// RunPre applies window assignment and Pre to a record of source rows.
// The result may be nil when no row survives.
func (p *ViewPlan) RunPre(ctx *Ctx, rec arrow.Record) (arrow.Record, error) {
	cur, err := p.Assign().Apply(ctx, rec)
	if err != nil || cur == nil {
		return nil, err
	}
	for _, s := range p.Pre {
		next, err := s.Apply(ctx, cur)
		cur.Release()
		if err != nil {
			return nil, err
		}
		if next == nil || next.NumRows() == 0 {
			if next != nil {
				next.Release()
			}
			return nil, nil
		}
		cur = next
	}
	return cur, nil
}

// RunPost applies Post to finalized group records (keys then aggregates).
func (p *ViewPlan) RunPost(ctx *Ctx, recs []arrow.Record) ([]arrow.Record, error) {
	var out []arrow.Record
	for _, r := range recs {
		cur := r
		cur.Retain()
		for _, s := range p.Post {
			next, err := s.Apply(ctx, cur)
			cur.Release()
			if err != nil {
				for _, o := range out {
					o.Release()
				}
				return nil, err
			}
			cur = next
			if cur == nil {
				break
			}
		}
		if cur != nil {
			if cur.NumRows() > 0 {
				out = append(out, cur)
			} else {
				cur.Release()
			}
		}
	}
	return out, nil
}

func (p *ViewPlan) windowString() string {
	switch {
	case p.Gap > 0:
		return fmt.Sprintf("session(gap %s)", p.Gap)
	case p.Hop > 0 && p.Hop != p.Size:
		return fmt.Sprintf("hop(size %s, every %s)", p.Size, p.Hop)
	}
	return fmt.Sprintf("tumble(%s)", p.Size)
}

// Describe renders the stages, one per line, for EXPLAIN.
func (p *ViewPlan) Describe(source string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n", source)
	fmt.Fprintf(&sb, "  -> WindowAssign %s on %s\n", p.windowString(), p.SourceCols[p.EventTime].Name)
	for _, s := range p.Pre {
		fmt.Fprintf(&sb, "  -> %s\n", s.String())
	}
	keys := make([]string, len(p.Keys))
	for i := range p.Keys {
		keys[i] = p.AggOut[i].Name
	}
	aggs := make([]string, len(p.Aggs))
	for i, a := range p.Aggs {
		aggs[i] = a.Name
		if j := strings.Index(aggs[i], "§"); j >= 0 {
			aggs[i] = aggs[i][:j]
		}
	}
	fmt.Fprintf(&sb, "  -> Aggregate keys [%s] aggs [%s]\n", strings.Join(keys, ", "), strings.Join(aggs, ", "))
	for _, s := range p.Post {
		fmt.Fprintf(&sb, "  -> %s\n", s.String())
	}
	return sb.String()
}

// WidenStep turns records holding only some columns of a schema into
// records of the full schema, with NULL columns for the ones not read
// (scans read only the columns a view needs; the view's steps index the
// full source schema).
type WidenStep struct {
	Have []int // the full-schema index of each input column
	Full Schema
}

// Apply implements Step.
func (w *WidenStep) Apply(_ *Ctx, rec arrow.Record) (arrow.Record, error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, len(w.Full))
	for i, idx := range w.Have {
		cols[idx] = rec.Column(i)
		cols[idx].Retain()
	}
	for i := range cols {
		if cols[i] == nil {
			cols[i] = array.MakeArrayOfNull(Alloc, w.Full[i].Type.Arrow(), n)
		}
	}
	out := array.NewRecord(w.Full.Arrow(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// Schema implements Step.
func (w *WidenStep) Schema() Schema { return w.Full }

func (w *WidenStep) String() string { return "Widen" }

// OutKey returns the grouping-key column (an index into AggOut's keys)
// that output column col shows unchanged, or -1 when col is computed (an
// aggregate, an expression). Filters on such columns can select windows
// from keyed state before anything is finalized.
func (p *ViewPlan) OutKey(col int) int {
	if len(p.Post) == 0 {
		if col < len(p.Keys) {
			return col
		}
		return -1
	}
	ps, ok := p.Post[len(p.Post)-1].(*ProjectStep)
	if !ok || col >= len(ps.Exprs) {
		return -1
	}
	if c, ok := ps.Exprs[col].(*ColRef); ok && c.Idx < len(p.Keys) {
		return c.Idx
	}
	return -1
}

// KeyEq returns an equality bound on a text or integer key of the state
// (the key's index among the keys and its value), for an index lookup.
func (p *ViewPlan) KeyEq(bounds []Bound) (key int, v any, ok bool) {
	for _, b := range bounds {
		if b.Op != OpEQ {
			continue
		}
		k := p.OutKey(b.Col)
		if k < 0 {
			continue
		}
		switch x := b.Value.(type) {
		case string:
			if p.AggOut[k].Type.Family == types.FamString {
				return k, x, true
			}
		case int64:
			if p.AggOut[k].Type.Family == types.FamInt {
				return k, x, true
			}
		}
	}
	return -1, nil, false
}

// KeyFilter returns a test of group g's key arrays against the bounds
// (over Out columns) that OutKey maps to keys; bounds on computed columns
// are left to the query's own filter. nil when no bound applies.
func (p *ViewPlan) KeyFilter(bounds []Bound) func(keys []arrow.Array, g int) bool {
	type keyBound struct {
		key int
		b   Bound
		t   *types.T
	}
	var kbs []keyBound
	for _, b := range bounds {
		if k := p.OutKey(b.Col); k >= 0 && b.Value != nil {
			kbs = append(kbs, keyBound{key: k, b: b, t: p.AggOut[k].Type})
		}
	}
	if len(kbs) == 0 {
		return nil
	}
	// Equalities first: they reject almost every group of a point query.
	slices.SortStableFunc(kbs, func(a, b keyBound) int {
		return cmp.Compare(min(a.b.Op, 1), min(b.b.Op, 1))
	})
	return func(keys []arrow.Array, g int) bool {
		for _, kb := range kbs {
			a := keys[kb.key]
			if a.IsNull(g) {
				return false
			}
			var c int
			switch x := a.(type) {
			case *array.String:
				s, ok := kb.b.Value.(string)
				if !ok || kb.t.OID == types.BPChar.OID {
					c = CompareDatums(kb.t, Datum(a, g, kb.t), kb.b.Value)
				} else if kb.b.Op == OpEQ {
					if x.Value(g) != s {
						return false
					}
					continue
				} else {
					c = strings.Compare(x.Value(g), s)
				}
			case *array.Timestamp:
				v, ok := kb.b.Value.(types.TimestampD)
				if !ok {
					c = CompareDatums(kb.t, Datum(a, g, kb.t), kb.b.Value)
				} else {
					c = cmp.Compare(int64(x.Value(g)), int64(v))
				}
			default:
				c = CompareDatums(kb.t, Datum(a, g, kb.t), kb.b.Value)
			}
			if !kb.b.Op.Holds(c) {
				return false
			}
		}
		return true
	}
}
