package batch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
)

// WriteParquetFileAtomic writes recs as the Parquet file path so that path
// either does not change or holds the complete file: the data goes to
// "path.tmp-<random>" in the same directory, which is fsynced, renamed
// over path, and the directory fsynced so the rename survives a crash. On
// any error the temporary file is removed. An existing file at path is
// replaced.
func WriteParquetFileAtomic(path string, schema exec.Schema, opts WriteOptions, recs ...arrow.Record) (FileStats, error) {
	w, err := CreateParquetFile(path, schema, opts)
	if err != nil {
		return FileStats{}, err
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			w.Abort()
			return FileStats{}, err
		}
	}
	return w.Commit()
}

// ParquetFile is a Parquet file being written atomically: records stream
// into a temporary file that Commit publishes under its final path and
// Abort removes. Exactly one of Commit or Abort must be called.
type ParquetFile struct {
	path, tmp string
	f         *os.File
	w         *ParquetWriter
	done      bool
}

// CreateParquetFile starts writing path atomically (see
// WriteParquetFileAtomic for the protocol).
func CreateParquetFile(path string, schema exec.Schema, opts WriteOptions) (*ParquetFile, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.SystemError)
	}
	tmp := path + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fileError(tmp, err)
	}
	w, err := NewParquetWriter(f, schema, opts)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &ParquetFile{path: path, tmp: tmp, f: f, w: w}, nil
}

// Write appends rec (see ParquetWriter.Write). After an error the file
// can only be aborted.
func (p *ParquetFile) Write(rec arrow.Record) error {
	if p.done {
		return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "parquet file %q is already committed or aborted", p.path)
	}
	return p.w.Write(rec)
}

// Commit finishes the file, makes it durable and renames it to its path.
// On error the temporary file is removed and path is untouched.
func (p *ParquetFile) Commit() (FileStats, error) {
	if p.done {
		return FileStats{}, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "parquet file %q is already committed or aborted", p.path)
	}
	fs, err := p.w.Close()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.tmp, p.path)
	}
	if err != nil {
		p.done = true
		os.Remove(p.tmp)
		if sqlstate.As(err) != nil {
			return FileStats{}, err
		}
		return FileStats{}, sqlstate.Wrap(fmt.Errorf("write parquet file %q: %w", p.path, err), sqlstate.IOError)
	}
	p.done = true
	if err := syncDir(filepath.Dir(p.path)); err != nil {
		// The file is in place; only its durability across a crash is in
		// doubt. Report it: callers must not record the file as durable.
		return fs, sqlstate.Wrap(fmt.Errorf("sync directory of %q: %w", p.path, err), sqlstate.IOError)
	}
	return fs, nil
}

// Abort discards the file. It may be called after a failed Write or
// Commit; it is a no-op after a successful Commit.
func (p *ParquetFile) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	cerr := p.f.Close()
	rerr := os.Remove(p.tmp)
	if errors.Is(cerr, os.ErrClosed) {
		cerr = nil
	}
	return errors.Join(cerr, rerr)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
