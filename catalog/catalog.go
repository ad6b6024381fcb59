package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// FirstUserOID is the first OID given to user objects, as in PostgreSQL.
const FirstUserOID = 16384

// Well-known namespace OIDs (PostgreSQL's).
const (
	PgCatalogNamespace         = 11
	PublicNamespace            = 2200
	InformationSchemaNamespace = 13206
)

// Column is a column of a source or view.
type Column struct {
	Name    string `json:"name"`
	TypeOID uint32 `json:"type_oid"`
	TypeMod int32  `json:"type_mod"`
	NotNull bool   `json:"not_null,omitempty"`
}

// Type resolves the column's type.
func (c Column) Type() *types.T {
	t := types.ByOID(c.TypeOID)
	if t == nil {
		t = types.Text
	}
	if c.TypeMod >= 0 && c.TypeMod != t.Mod {
		cp := *t
		cp.Mod = c.TypeMod
		return &cp
	}
	return t
}

// ColumnOf makes a Column of type t.
func ColumnOf(name string, t *types.T, notNull bool) Column {
	return Column{Name: name, TypeOID: t.OID, TypeMod: t.Mod, NotNull: notNull}
}

// Source is an event source.
type Source struct {
	OID     uint32            `json:"oid"`
	Name    string            `json:"name"`
	Columns []Column          `json:"columns"`
	Options map[string]string `json:"options"`
	// EventTime is the event-time column; Lateness the allowed
	// out-of-orderness (the stream watermark is max event time − Lateness).
	EventTime string        `json:"event_time"`
	Lateness  time.Duration `json:"lateness"`
	// Partitions of the embedded log (Kafka sources: learned from the
	// broker).
	Partitions int       `json:"partitions"`
	SQL        string    `json:"sql"`
	Created    time.Time `json:"created"`
}

// ColumnIndex returns the index of the named column, -1 if absent.
func (s *Source) ColumnIndex(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// View is a view: an ordinary (logical) view or a lambda view.
type View struct {
	OID     uint32            `json:"oid"`
	Name    string            `json:"name"`
	Columns []Column          `json:"columns"`
	Options map[string]string `json:"options"`
	SQL     string            `json:"sql"`   // the CREATE VIEW statement as written
	Query   string            `json:"query"` // the SELECT as written
	Lambda  bool              `json:"lambda"`
	Source  string            `json:"source,omitempty"` // lambda views: the source they read
	// Generation increases with every CREATE OR REPLACE: batch versions
	// and speed state belong to one generation.
	Generation int64     `json:"generation"`
	Created    time.Time `json:"created"`
	// Pending is a replacement definition being built (CREATE OR REPLACE
	// VIEW rebuilds both layers before switching).
	Pending *View `json:"pending,omitempty"`
}

// BatchFile is one Parquet file of a batch view version.
type BatchFile struct {
	Path string `json:"path"` // relative to the data directory
	Rows int64  `json:"rows"`
	// Bucket is the start (µs) of the time chunk of windows the file holds.
	Bucket int64 `json:"bucket"`
	MinEnd int64 `json:"min_end"` // smallest window_end in the file (µs)
	MaxEnd int64 `json:"max_end"`
}

// BatchVersion is one published version of a lambda view's batch view,
// together with its batch watermark B.
type BatchVersion struct {
	View       string      `json:"view"`
	Generation int64       `json:"generation"`
	Version    int64       `json:"version"`
	B          int64       `json:"b"` // batch watermark, µs since epoch
	Files      []BatchFile `json:"files"`
	// Cutoff is the master-dataset manifest sequence the run covered.
	Cutoff    int64     `json:"cutoff"`
	Offsets   []int64   `json:"offsets"` // per source partition: next offset covered
	Published time.Time `json:"published"`
}

// MasterFile is one immutable Parquet file of a source's master dataset.
type MasterFile struct {
	Path      string  `json:"path"` // relative to the data directory
	EventDate string  `json:"event_date"`
	Hour      int     `json:"hour"`
	Rows      int64   `json:"rows"`
	Bytes     int64   `json:"bytes"`
	MinTime   int64   `json:"min_time"` // µs
	MaxTime   int64   `json:"max_time"`
	Seq       int64   `json:"seq"`  // manifest sequence that added it
	From      []int64 `json:"from"` // per partition: first offset covered
	To        []int64 `json:"to"`   // per partition: next offset after
}

// PartitionMark is the capture state of one log partition.
type PartitionMark struct {
	Offset  int64 `json:"offset"`   // next offset to capture
	MaxTime int64 `json:"max_time"` // highest event time captured (µs), MinInt64 if none
	LastAt  int64 `json:"last_at"`  // wall clock (µs) of the last captured event
}

// Manifest lists a source's master dataset.
type Manifest struct {
	Source string       `json:"source"`
	Seq    int64        `json:"seq"` // increases with every commit
	Files  []MasterFile `json:"files"`
	// Marks are the capture position per log partition, committed
	// atomically with the files that cover them.
	Marks []PartitionMark `json:"marks"`
	// Watermark is the source's stream watermark at the capture cutoff
	// (µs); Valid false until one is known.
	Watermark      int64 `json:"watermark"`
	WatermarkValid bool  `json:"watermark_valid"`
	// CommittedAt is the wall clock (µs) of the commit: idle partitions
	// are judged against it, so every reader of the manifest computes the
	// same watermark.
	CommittedAt int64 `json:"committed_at"`
}

// Snapshot is one immutable state of the catalog. Never modify a snapshot
// or anything reachable from it; Update hands out copies to change.
type Snapshot struct {
	Seq       uint64                   `json:"-"`
	Sources   map[string]*Source       `json:"-"`
	Views     map[string]*View         `json:"-"`
	Batch     map[string]*BatchVersion `json:"-"`
	Manifests map[string]*Manifest     `json:"-"`
	NextOID   uint32                   `json:"-"`
}

// SourceNames returns the source names, sorted.
func (s *Snapshot) SourceNames() []string { return sortedKeys(s.Sources) }

// ViewNames returns the view names, sorted.
func (s *Snapshot) ViewNames() []string { return sortedKeys(s.Views) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Catalog holds the current snapshot and persists every change durably
// (pebble, synced) before publishing it. A crash at any instant leaves
// the previous or the next catalog, never a mix: each Update is one
// atomic pebble batch.
type Catalog struct {
	db  *pebble.DB
	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex // serializes updates
	// watchers are notified after each published update.
	wmu      sync.Mutex
	watchers []chan struct{}
}

const (
	keySources  = "s/"
	keyViews    = "v/"
	keyBatch    = "b/"
	keyManifest = "m/"
	keyMeta     = "meta"
)

type meta struct {
	NextOID uint32 `json:"next_oid"`
	Format  int    `json:"format"`
}

// Open opens (or creates) the catalog in dir.
func Open(dir string) (*Catalog, error) {
	db, err := pebble.Open(filepath.Join(dir, "catalog"), &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, sqlstate.Wrap(fmt.Errorf("open catalog: %w", err), sqlstate.IOError)
	}
	c := &Catalog{db: db}
	snap := &Snapshot{Sources: map[string]*Source{}, Views: map[string]*View{}, Batch: map[string]*BatchVersion{},
		Manifests: map[string]*Manifest{}, NextOID: FirstUserOID}
	it, err := db.NewIter(nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		k, v := string(it.Key()), it.Value()
		var derr error
		switch {
		case k == keyMeta:
			var m meta
			if derr = json.Unmarshal(v, &m); derr == nil {
				snap.NextOID = max(m.NextOID, FirstUserOID)
			}
		case strings.HasPrefix(k, keySources):
			var s Source
			if derr = json.Unmarshal(v, &s); derr == nil {
				snap.Sources[s.Name] = &s
			}
		case strings.HasPrefix(k, keyViews):
			var x View
			if derr = json.Unmarshal(v, &x); derr == nil {
				snap.Views[x.Name] = &x
			}
		case strings.HasPrefix(k, keyBatch):
			var x BatchVersion
			if derr = json.Unmarshal(v, &x); derr == nil {
				snap.Batch[x.View] = &x
			}
		case strings.HasPrefix(k, keyManifest):
			var x Manifest
			if derr = json.Unmarshal(v, &x); derr == nil {
				snap.Manifests[x.Source] = &x
			}
		}
		if derr != nil {
			it.Close()
			db.Close()
			return nil, fmt.Errorf("catalog entry %q is corrupt: %w", k, derr)
		}
	}
	if err := it.Close(); err != nil {
		db.Close()
		return nil, err
	}
	c.cur.Store(snap)
	return c, nil
}

// Close closes the catalog store.
func (c *Catalog) Close() error { return c.db.Close() }

// Snapshot returns the current snapshot.
func (c *Catalog) Snapshot() *Snapshot { return c.cur.Load() }

// Tx is a pending change to the catalog. Its maps start as copies of the
// snapshot's; replace entries, never modify the snapshot's objects.
type Tx struct {
	Sources   map[string]*Source
	Views     map[string]*View
	Batch     map[string]*BatchVersion
	Manifests map[string]*Manifest
	nextOID   uint32
	base      *Snapshot
}

// NewOID allocates a stable object identifier.
func (tx *Tx) NewOID() uint32 {
	o := tx.nextOID
	tx.nextOID++
	return o
}

// Base is the snapshot the transaction started from.
func (tx *Tx) Base() *Snapshot { return tx.base }

// ErrNoChange may be returned by an Update function to abandon the
// transaction without error.
var ErrNoChange = errors.New("no change")

// Update applies f to a copy of the current snapshot, persists the
// difference in one synced atomic write and publishes the new snapshot.
// Updates are serialized. If f fails nothing changes.
func (c *Catalog) Update(f func(tx *Tx) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	base := c.cur.Load()
	tx := &Tx{
		Sources:   clone(base.Sources),
		Views:     clone(base.Views),
		Batch:     clone(base.Batch),
		Manifests: clone(base.Manifests),
		nextOID:   base.NextOID,
		base:      base,
	}
	if err := f(tx); err != nil {
		if err == ErrNoChange {
			return nil
		}
		return err
	}
	b := c.db.NewBatch()
	defer b.Close()
	if err := diff(b, keySources, base.Sources, tx.Sources); err != nil {
		return err
	}
	if err := diff(b, keyViews, base.Views, tx.Views); err != nil {
		return err
	}
	if err := diff(b, keyBatch, base.Batch, tx.Batch); err != nil {
		return err
	}
	if err := diff(b, keyManifest, base.Manifests, tx.Manifests); err != nil {
		return err
	}
	if tx.nextOID != base.NextOID {
		v, _ := json.Marshal(meta{NextOID: tx.nextOID, Format: 1})
		if err := b.Set([]byte(keyMeta), v, nil); err != nil {
			return err
		}
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return sqlstate.Wrap(fmt.Errorf("persist catalog: %w", err), sqlstate.IOError)
	}
	next := &Snapshot{Seq: base.Seq + 1, Sources: tx.Sources, Views: tx.Views, Batch: tx.Batch,
		Manifests: tx.Manifests, NextOID: tx.nextOID}
	c.cur.Store(next)
	c.notify()
	return nil
}

// Watch returns a channel that receives (without blocking the catalog)
// after every published update.
func (c *Catalog) Watch() <-chan struct{} {
	ch := make(chan struct{}, 1)
	c.wmu.Lock()
	c.watchers = append(c.watchers, ch)
	c.wmu.Unlock()
	return ch
}

func (c *Catalog) notify() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, ch := range c.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func clone[V any](m map[string]*V) map[string]*V {
	out := make(map[string]*V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func diff[V any](b *pebble.Batch, prefix string, old, cur map[string]*V) error {
	for k, v := range cur {
		if ov, ok := old[k]; ok && ov == v {
			continue
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := b.Set([]byte(prefix+k), data, nil); err != nil {
			return err
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			if err := b.Delete([]byte(prefix+k), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// quietLogger drops pebble's informational logging; errors still reach
// the caller through returned errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

var _ io.Closer = (*Catalog)(nil)
