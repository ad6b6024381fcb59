package catalog

import (
	"encoding/binary"
	"encoding/json"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// RejectedEvent is an event a source could not accept (lambda_rejected).
type RejectedEvent struct {
	Source     string    `json:"source"`
	Partition  int       `json:"partition"`
	Offset     int64     `json:"offset"`
	ReceivedAt time.Time `json:"received_at"`
	Payload    []byte    `json:"payload"`
	Error      string    `json:"error"`
}

// BatchRun is one run of a view's batch layer (lambda_batch_runs).
type BatchRun struct {
	View      string    `json:"view"`
	RunID     int64     `json:"run_id"`
	Kind      string    `json:"kind"` // incremental, full, rebuild
	Started   time.Time `json:"started_at"`
	Finished  time.Time `json:"finished_at"`
	Status    string    `json:"status"` // running, succeeded, failed, skipped
	RowsIn    int64     `json:"rows_in"`
	RowsOut   int64     `json:"rows_out"`
	Files     int       `json:"files"`
	Watermark int64     `json:"watermark"` // µs; 0 when none
	Error     string    `json:"error,omitempty"`
	Version   int64     `json:"version"`
}

func rejectedKey(source string, p int, off int64) []byte {
	k := append([]byte("r/"+source+"/"), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	n := len(k)
	binary.BigEndian.PutUint16(k[n-10:], uint16(p))
	binary.BigEndian.PutUint64(k[n-8:], uint64(off))
	return k
}

// PutRejected records rejected events. Keys are (source, partition,
// offset), so recording the same event twice (after a crash and replay)
// keeps one copy.
func (c *Catalog) PutRejected(evs []RejectedEvent) error {
	if len(evs) == 0 {
		return nil
	}
	b := c.db.NewBatch()
	defer b.Close()
	for _, e := range evs {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Set(rejectedKey(e.Source, e.Partition, e.Offset), v, nil); err != nil {
			return err
		}
	}
	return b.Commit(pebble.Sync)
}

// Rejected returns up to limit rejected events of a source ("" = all
// sources), newest offsets last, and the total count.
func (c *Catalog) Rejected(source string, limit int) ([]RejectedEvent, int64, error) {
	prefix := []byte("r/")
	if source != "" {
		prefix = []byte("r/" + source + "/")
	}
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	var out []RejectedEvent
	var total int64
	for it.First(); it.Valid(); it.Next() {
		total++
		if limit > 0 && len(out) >= limit {
			continue
		}
		var e RejectedEvent
		if err := json.Unmarshal(it.Value(), &e); err == nil {
			out = append(out, e)
		}
	}
	return out, total, nil
}

// DeleteRecords removes the rejected events of a source and the batch runs
// of a view (DROP).
func (c *Catalog) DeleteRecords(source, view string) error {
	if source != "" {
		p := []byte("r/" + source + "/")
		if err := c.db.DeleteRange(p, prefixEnd(p), pebble.Sync); err != nil {
			return err
		}
	}
	if view != "" {
		p := []byte("j/" + view + "/")
		if err := c.db.DeleteRange(p, prefixEnd(p), pebble.Sync); err != nil {
			return err
		}
	}
	return nil
}

func runKey(view string, id int64) []byte {
	k := append([]byte("j/"+view+"/"), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint64(k[len(k)-8:], uint64(id))
	return k
}

// maxRunsKept bounds the run history per view.
const maxRunsKept = 1000

// PutRun records (or updates) a batch run.
func (c *Catalog) PutRun(r BatchRun) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := c.db.Set(runKey(r.View, r.RunID), v, pebble.Sync); err != nil {
		return err
	}
	if r.RunID > maxRunsKept {
		_ = c.db.DeleteRange(runKey(r.View, 0), runKey(r.View, r.RunID-maxRunsKept), pebble.NoSync)
	}
	return nil
}

// Runs returns the batch runs of a view ("" = all views), oldest first.
func (c *Catalog) Runs(view string) ([]BatchRun, error) {
	prefix := []byte("j/")
	if view != "" {
		prefix = []byte("j/" + view + "/")
	}
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []BatchRun
	for it.First(); it.Valid(); it.Next() {
		var r BatchRun
		if err := json.Unmarshal(it.Value(), &r); err == nil {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].View != out[j].View {
			return out[i].View < out[j].View
		}
		return out[i].RunID < out[j].RunID
	})
	return out, nil
}

// LastRunID returns the highest run id recorded for a view.
func (c *Catalog) LastRunID(view string) int64 {
	prefix := []byte("j/" + view + "/")
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0
	}
	defer it.Close()
	if !it.Last() {
		return 0
	}
	k := it.Key()
	return int64(binary.BigEndian.Uint64(k[len(k)-8:]))
}

func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
