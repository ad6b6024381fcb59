package wire

import (
	"errors"
	"fmt"
	"io"
	"time"

	"lambdasql/sql/sqlstate"
)

const (
	// readBufBytes is the read buffer a connection starts with and shrinks
	// back to after a large message.
	readBufBytes = 8 << 10
	// keepReadBufBytes is the largest read buffer kept between messages.
	keepReadBufBytes = 256 << 10
)

// errMessageTooLarge is returned by msgReader.Next for a request past the
// message limit. The connection cannot resynchronise after it (the body
// is not read), so it ends with a FATAL error.
type errMessageTooLarge struct {
	size, limit int
}

func (e *errMessageTooLarge) Error() string {
	return fmt.Sprintf("message too large: %d bytes, the limit is %d", e.size, e.limit)
}

func (e *errMessageTooLarge) sqlError() *sqlstate.Error {
	return sqlstate.New(sqlstate.ProgramLimitExceeded, "message too large").
		WithDetail("The message is %d bytes; the server accepts at most %d bytes per message.", e.size, e.limit)
}

// msgReader is the pgproto3.ChunkReader of one connection. It buffers what
// it reads from the socket and, unlike the default chunk reader, refuses a
// request longer than the message limit before allocating for it: the
// length field of a message is client input, and a 1 GiB claim must not
// become a 1 GiB allocation.
//
// A slice returned by Next stays valid until the next call to Next; the
// connection decodes and handles one message before reading the next, so
// reusing the buffer is safe (pgproto3's messages are only valid until the
// next Receive).
type msgReader struct {
	r      io.Reader
	buf    []byte
	rp, wp int
	limit  int    // largest n Next accepts
	block  func() // called before a read that will block (flushes output)
}

func newMsgReader(r io.Reader, limit int, block func()) *msgReader {
	return &msgReader{r: r, buf: make([]byte, readBufBytes), limit: limit, block: block}
}

// Next returns the next n bytes.
func (r *msgReader) Next(n int) ([]byte, error) {
	if n < 0 || n > r.limit {
		// The body length excludes the 4 length bytes and the type byte.
		return nil, &errMessageTooLarge{size: n + 5, limit: r.limit + 5}
	}
	if r.wp-r.rp >= n {
		b := r.buf[r.rp : r.rp+n : r.rp+n]
		r.rp += n
		return b, nil
	}
	if len(r.buf)-r.rp < n {
		// Not enough room after rp: move the unread bytes to the front of
		// a buffer big enough for n (grown in 8 KiB steps, never past n
		// rounded up, so a large claim costs what it actually needs).
		size := len(r.buf)
		if size < n {
			size = (n + readBufBytes - 1) / readBufBytes * readBufBytes
		}
		nb := r.buf
		if size != len(r.buf) {
			nb = make([]byte, size)
		}
		r.wp = copy(nb, r.buf[r.rp:r.wp])
		r.rp = 0
		r.buf = nb
	}
	if r.block != nil {
		r.block()
	}
	m, err := io.ReadAtLeast(r.r, r.buf[r.wp:], n-(r.wp-r.rp))
	r.wp += m
	if err != nil {
		if errors.Is(err, io.EOF) && r.wp > r.rp {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	b := r.buf[r.rp : r.rp+n : r.rp+n]
	r.rp += n
	return b, nil
}

// buffered reports how many bytes were read from the socket but not yet
// consumed.
func (r *msgReader) buffered() int { return r.wp - r.rp }

// shrink drops a buffer that grew for a large message, keeping any
// pipelined bytes. Call it only between messages.
func (r *msgReader) shrink() {
	if len(r.buf) <= keepReadBufBytes || r.wp-r.rp > readBufBytes {
		return
	}
	nb := make([]byte, readBufBytes)
	r.wp = copy(nb, r.buf[r.rp:r.wp])
	r.rp = 0
	r.buf = nb
}

// netReader is the io.Reader under a connection's msgReader. It counts
// bytes, arms the idle timeout while the connection waits for a new
// command, and turns server shutdown into errShutdown.
type netReader struct{ c *conn }

func (nr netReader) Read(p []byte) (int, error) {
	c := nr.c
	s := c.srv
	if c.idle && s.cfg.IdleTimeout > 0 {
		_ = c.rconn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		c.deadlineSet = true
	}
	// Checked after arming the deadline: Shutdown sets the flag before it
	// sets its own deadline, so either we see the flag or its deadline
	// wakes the read below.
	if s.closing.Load() {
		return 0, errShutdown
	}
	n, err := c.rconn.Read(p)
	s.stats.bytesIn.Add(uint64(n))
	if err != nil && s.closing.Load() {
		return n, errShutdown
	}
	return n, err
}
