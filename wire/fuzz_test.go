package wire

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// fuzzMaxMessage is the message limit of the fuzzed server: small, so
// that an allocation past it stands out.
const fuzzMaxMessage = 64 << 10

// FuzzBackend feeds arbitrary bytes, after a valid startup, to a
// connection over net.Pipe (one per direction) served by the test Handler. The connection must
// not panic (a panic in the connection goroutine kills the process), must
// not allocate far past the message limit, must release every Arrow record
// and must close cleanly once the client goes away. Seeds live in
// testdata/fuzz/FuzzBackend.
func FuzzBackend(f *testing.F) {
	f.Add([]byte{})
	h := newTestHandler()
	srv, err := NewServer(Config{MaxMessageBytes: fuzzMaxMessage, StatementTimeout: 100 * time.Millisecond}, h)
	if err != nil {
		f.Fatal(err)
	}
	startup := startupPacket(map[string]string{"user": "fuzz", "database": "fuzz"})
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)

		toServer, fromClient := net.Pipe()
		fromServer, toClient := net.Pipe()
		srv.serveConn(&pipeConn{Conn: fromClient, w: toClient})
		go func() {
			_ = toServer.SetWriteDeadline(time.Now().Add(20 * time.Second))
			_, _ = toServer.Write(startup)
			_, _ = toServer.Write(data) // the server may close first
			toServer.Close()            // the server reads EOF once it has handled all of data
		}()
		_ = fromServer.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.Copy(io.Discard, fromServer); err != nil {
			t.Fatalf("the connection did not close: %v", err)
		}
		fromServer.Close()
		deadline := time.Now().Add(10 * time.Second)
		for srv.ConnectionCount() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the connection goroutine did not end")
			}
			time.Sleep(time.Millisecond)
		}

		runtime.ReadMemStats(&after)
		// Generous for what the input legitimately asks for (results,
		// COPY data, decoded messages), far below what an unchecked
		// length field could request.
		budget := uint64(64<<20 + 200*len(data))
		if got := after.TotalAlloc - before.TotalAlloc; got > budget {
			t.Fatalf("allocated %d bytes for %d bytes of input", got, len(data))
		}
		if n := srv.stats.crashes.Load(); n != 0 {
			t.Fatalf("the connection panicked (%d)", n)
		}
		h.mem.AssertSize(t, 0)
		h.mu.Lock()
		h.starts, h.items = nil, nil
		h.mu.Unlock()
	})
}

// pipeConn is the server end of two net.Pipes, one per direction, so that
// the client can close its sending side and still read every response.
type pipeConn struct {
	net.Conn          // reads come from the client
	w        net.Conn // writes go to the client
}

func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeConn) Close() error {
	p.w.Close()
	return p.Conn.Close()
}
func (p *pipeConn) SetDeadline(t time.Time) error {
	_ = p.w.SetWriteDeadline(t)
	return p.Conn.SetReadDeadline(t)
}
func (p *pipeConn) SetWriteDeadline(t time.Time) error { return p.w.SetWriteDeadline(t) }
