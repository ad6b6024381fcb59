package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCopyFromBinary copies into a source with pgx's CopyFrom, which
// sends binary COPY data (COPY … FROM STDIN BINARY), and reads it back.
func TestCopyFromBinary(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	mustExec(t, c, `CREATE SOURCE readings (device TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL, temp DOUBLE PRECISION,
		n INTEGER, big BIGINT, ok BOOLEAN, day DATE, note TEXT) WITH (event_time = 'ts')`)
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := [][]any{
		{"d1", t0, 21.5, int32(7), int64(1) << 40, true, t0, "plain"},
		{"d2", t0.Add(time.Second), nil, nil, nil, nil, nil, nil},
		{"d3", t0.Add(2 * time.Second), -0.25, int32(-3), int64(-5), false, t0.AddDate(0, 0, 1), "tab\there, ünïcode"},
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"readings"}, []string{"device", "ts", "temp", "n", "big", "ok", "day", "note"}, pgx.CopyFromRows(rows))
	if err != nil || n != 3 {
		t.Fatalf("CopyFrom: %d %v", n, err)
	}
	// A column subset: the others are NULL.
	n, err = c.CopyFrom(ctx, pgx.Identifier{"readings"}, []string{"ts", "device"}, pgx.CopyFromRows([][]any{{t0.Add(3 * time.Second), "d4"}}))
	if err != nil || n != 1 {
		t.Fatalf("CopyFrom (device, ts): %d %v", n, err)
	}
	got := selectText(t, c, "SELECT device, ts, temp, n, big, ok, day, note FROM readings ORDER BY ts")
	want := []string{
		"d1|2024-03-01 12:00:00+00|21.5|7|1099511627776|t|2024-03-01|plain",
		"d2|2024-03-01 12:00:01+00|NULL|NULL|NULL|NULL|NULL|NULL",
		"d3|2024-03-01 12:00:02+00|-0.25|-3|-5|f|2024-03-02|tab\there, ünïcode",
		"d4|2024-03-01 12:00:03+00|NULL|NULL|NULL|NULL|NULL|NULL",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Hand-made binary data: the header, tuples straddling CopyData
	// messages, the trailer; then malformed data, each failing with its
	// SQLSTATE and the connection still usable.
	header := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	tuple := func(fields ...[]byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
		for _, f := range fields {
			if f == nil {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
			b = append(b, f...)
		}
		return b
	}
	ts := func(d time.Duration) []byte { // microseconds since 2000-01-01
		return binary.BigEndian.AppendUint64(nil, uint64(t0.Add(d).Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Microseconds()))
	}
	f8 := func(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }
	trailer := []byte{0xff, 0xff}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	const cp = "COPY readings (device, ts, temp) FROM STDIN WITH (FORMAT binary)"
	good := cat(header, tuple([]byte("d5"), ts(4*time.Second), f8(1.25)), tuple([]byte("d6"), ts(5*time.Second), nil), trailer)
	tag, err := c.PgConn().CopyFrom(ctx, &chunkReader{data: good, size: 5}, cp)
	if err != nil || tag.String() != "COPY 2" {
		t.Fatalf("hand-made binary copy: %q %v", tag, err)
	}
	// Without the trailer, data that ends at a tuple boundary is complete.
	tag, err = c.PgConn().CopyFrom(ctx, bytes.NewReader(cat(header, tuple([]byte("d7"), ts(6*time.Second), f8(2)))), cp)
	if err != nil || tag.String() != "COPY 1" {
		t.Fatalf("binary copy without trailer: %q %v", tag, err)
	}
	// COPY FROM a file reads binary data the same way.
	file := filepath.Join(t.TempDir(), "readings.bin")
	if err := os.WriteFile(file, cat(header, tuple([]byte("d7"), ts(7*time.Second), f8(3)), trailer), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, fmt.Sprintf("COPY readings (device, ts, temp) FROM '%s' (FORMAT binary)", file)); err != nil {
		t.Fatalf("binary COPY FROM file: %v", err)
	}
	for _, bad := range []struct {
		name string
		data []byte
		code string
	}{
		{"no data", nil, "22P04"},
		{"text data", []byte("d8\t2024-03-01 12:00:00+00\t1\n"), "22P04"},
		{"short header", header[:15], "22P04"},
		{"OIDs", cat(header[:11], []byte{0, 1, 0, 0}, header[15:], trailer), "22P04"},
		{"field count", cat(header, tuple([]byte("d8"), ts(0)), trailer), "22P04"},
		{"partial tuple", cat(header, tuple([]byte("d8"), ts(0), f8(1))[:12]), "22P04"},
		{"field size", cat(header, []byte{0, 3, 0xff, 0xff, 0xff, 0xfe}, trailer), "22P04"},
		{"data after trailer", cat(header, trailer, tuple([]byte("d8"), ts(0), f8(1))), "22P04"},
		{"bad float8", cat(header, tuple([]byte("d8"), ts(0), []byte{1, 2, 3}), trailer), "22P03"},
		{"bad utf8", cat(header, tuple([]byte("d\xff"), ts(0), nil), trailer), "22021"},
		{"NULL device", cat(header, tuple(nil, ts(0), nil), trailer), "23502"},
	} {
		_, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(bad.data), cp)
		if got := codeOf(err); got != bad.code {
			t.Errorf("%s: %v, want %s", bad.name, err, bad.code)
		}
		var one int
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("%s: connection unusable: %v", bad.name, err)
		}
	}
	got = selectText(t, c, "SELECT device, ts, temp FROM readings WHERE device > 'd4' ORDER BY ts")
	want = []string{"d5|2024-03-01 12:00:04+00|1.25", "d6|2024-03-01 12:00:05+00|NULL", "d7|2024-03-01 12:00:06+00|2", "d7|2024-03-01 12:00:07+00|3"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows after the bad copies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// chunkReader returns data in pieces of size bytes, so that CopyData
// messages split tuples.
type chunkReader struct {
	data []byte
	size int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// selectText runs q and returns its rows in text form, "|"-separated.
func selectText(t *testing.T, c *pgx.Conn, q string) []string {
	t.Helper()
	res, err := c.PgConn().Exec(context.Background(), q).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, row := range res[0].Rows {
		var vals []string
		for _, v := range row {
			if v == nil {
				vals = append(vals, "NULL")
			} else {
				vals = append(vals, string(v))
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	return out
}
