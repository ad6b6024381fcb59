package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"lambdasql/sql/sqlstate"
)

// kafkaCursor is a partition consumer positioned at next: the offset the
// next message it hands out must have. One Read uses it at a time (busy);
// between reads it keeps prefetching, so a read that continues where the
// previous one stopped finds its messages waiting.
//
// Each cursor has a sarama client of its own, and so its own connection:
// a broker answers one request per connection at a time, and a fetch
// long-polls for up to Consumer.MaxWaitTime, so a cursor sharing a
// connection would wait behind every other cursor's fetch to start.
type kafkaCursor struct {
	k      *KafkaLog
	p      int
	gen    uint64 // KafkaLog generation it was started in
	client sarama.Client
	cons   sarama.Consumer
	pc     sarama.PartitionConsumer
	next   int64
	// held is a message taken from the channel but not handed out (it is
	// at or beyond the until of the read that took it).
	held     *sarama.ConsumerMessage
	busy     bool // guarded by the partition's mutex
	lastUsed time.Time
	dec      *JSONDecoder

	mu      sync.Mutex
	fatal   error  // the consumer stopped (offset out of range)
	lastErr error  // the last error the consumer reported
	errs    uint64 // how many errors it reported
	errDone chan struct{}

	// scratch reused across reads
	batch    []*sarama.ConsumerMessage
	payloads [][]byte
	offs     []int64
	ats      []int64
}

func (c *kafkaCursor) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fatal
}

// acquire returns a cursor of partition p positioned at from, marked busy:
// an idle one already there, or a new one.
func (k *KafkaLog) acquire(ctx context.Context, p int, from int64) (*kafkaCursor, error) {
	k.mu.Lock()
	gen := k.gen
	k.mu.Unlock()
	part := k.parts[p]
	part.mu.Lock()
	for _, c := range part.cursors {
		if !c.busy && c.gen == gen && c.next == from && c.failed() == nil {
			c.busy = true
			part.mu.Unlock()
			return c, nil
		}
	}
	// None is there: retire stale idle cursors, and the least recently used
	// idle one when the partition has too many.
	now := time.Now()
	var retire []*kafkaCursor
	kept := part.cursors[:0]
	for _, c := range part.cursors {
		if !c.busy && (c.gen != gen || c.failed() != nil || now.Sub(c.lastUsed) > kafkaCursorIdle) {
			retire = append(retire, c)
			continue
		}
		kept = append(kept, c)
	}
	clear(part.cursors[len(kept):])
	part.cursors = kept
	if len(part.cursors) >= kafkaMaxCursors {
		lru := -1
		for i, c := range part.cursors {
			if !c.busy && (lru < 0 || c.lastUsed.Before(part.cursors[lru].lastUsed)) {
				lru = i
			}
		}
		if lru >= 0 {
			retire = append(retire, part.cursors[lru])
			part.cursors = slices.Delete(part.cursors, lru, lru+1)
		}
	}
	part.mu.Unlock()
	for _, c := range retire {
		k.retire(c)
	}
	cur := &kafkaCursor{k: k, p: p, gen: gen, next: from, busy: true, lastUsed: now}
	if err := k.startCursor(ctx, cur); err != nil {
		return nil, err
	}
	part.mu.Lock()
	part.cursors = append(part.cursors, cur)
	part.mu.Unlock()
	return cur, nil
}

// retire stops a cursor the caller took out of its partition's list. The
// consumer shuts down in the background; Close waits for it.
func (k *KafkaLog) retire(c *kafkaCursor) {
	if c.dec != nil {
		c.dec.Release()
		c.dec = nil
	}
	c.held = nil
	if c.pc == nil {
		return
	}
	c.pc.AsyncClose()
	k.retiring.Add(1)
	go func() {
		defer k.retiring.Done()
		<-c.errDone // sarama closes the errors channel last
		_ = c.cons.Close()
		_ = c.client.Close()
	}()
}

// startCursor connects cur and starts its partition consumer at cur.next.
func (k *KafkaLog) startCursor(ctx context.Context, cur *kafkaCursor) error {
	dec, err := newKafkaDecoder(k.cfg)
	if err != nil {
		return err
	}
	type result struct {
		client sarama.Client
		cons   sarama.Consumer
		pc     sarama.PartitionConsumer
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		if r.client, r.err = sarama.NewClient(k.cfg.Brokers, k.sc); r.err != nil {
			ch <- r
			return
		}
		if r.cons, r.err = sarama.NewConsumerFromClient(r.client); r.err == nil {
			r.pc, r.err = r.cons.ConsumePartition(k.cfg.Topic, int32(cur.p), cur.next)
		}
		if r.err != nil {
			if r.cons != nil {
				r.cons.Close()
			}
			r.client.Close()
		}
		ch <- r
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		// Connecting is bounded by the network timeouts; clean up after it.
		go func() {
			if r := <-ch; r.err == nil {
				r.pc.AsyncClose()
				for range r.pc.Errors() {
				}
				r.cons.Close()
				r.client.Close()
			}
		}()
		dec.Release()
		return ctx.Err()
	}
	if r.err != nil {
		dec.Release()
		if errors.Is(r.err, sarama.ErrOffsetOutOfRange) {
			return k.outOfRange(ctx, cur.p, cur.next)
		}
		return k.callError(r.err)
	}
	cur.client, cur.cons, cur.pc = r.client, r.cons, r.pc
	cur.dec = dec
	cur.errDone = make(chan struct{})
	go cur.watchErrors()
	return nil
}

// outOfRange builds the error of a read from an offset Kafka does not hold.
func (k *KafkaLog) outOfRange(ctx context.Context, p int, from int64) error {
	low, err1 := k.LowWater(ctx, p)
	high, err2 := k.HighWater(ctx, p)
	if err1 != nil || err2 != nil {
		return sqlstate.Wrap(fmt.Errorf("kafka topic %q partition %d: %w: offset %d", k.cfg.Topic, p, ErrOffsetOutOfRange, from),
			sqlstate.ObjectNotInPrerequisiteState)
	}
	if from < low {
		return sqlstate.Wrap(fmt.Errorf("kafka topic %q partition %d: %w: offset %d is no longer held (the oldest is %d; retention removed the rest)",
			k.cfg.Topic, p, ErrOffsetOutOfRange, from, low), sqlstate.ObjectNotInPrerequisiteState)
	}
	return sqlstate.Wrap(fmt.Errorf("kafka topic %q partition %d: %w: offset %d is beyond the end (the high water is %d)",
		k.cfg.Topic, p, ErrOffsetOutOfRange, from, high), sqlstate.ObjectNotInPrerequisiteState)
}

// watchErrors drains the consumer's errors (sarama blocks until they are
// read): an out-of-range offset stops the cursor, anything else asks the
// supervisor to probe the brokers.
func (c *kafkaCursor) watchErrors() {
	defer close(c.errDone)
	for e := range c.pc.Errors() {
		c.mu.Lock()
		if errors.Is(e.Err, sarama.ErrOffsetOutOfRange) {
			c.fatal = e.Err
		} else {
			c.lastErr = e.Err
			c.errs++
		}
		c.mu.Unlock()
		if !errors.Is(e.Err, sarama.ErrOffsetOutOfRange) {
			c.k.probeSoon()
		}
	}
}

// releaseCursor returns a cursor after a read; one of an old generation or
// stopped by an error is retired.
func (k *KafkaLog) releaseCursor(c *kafkaCursor) {
	k.mu.Lock()
	gen, closed := k.gen, k.closed
	k.mu.Unlock()
	part := k.parts[c.p]
	part.mu.Lock()
	c.busy = false
	c.lastUsed = time.Now()
	drop := closed || c.gen != gen || c.failed() != nil
	if drop {
		if i := slices.Index(part.cursors, c); i >= 0 {
			part.cursors = slices.Delete(part.cursors, i, i+1)
		}
	}
	part.mu.Unlock()
	if drop {
		k.retire(c)
	}
}

// read takes the messages waiting at the cursor (see KafkaLog.Read) and
// decodes them into one entry.
func (c *kafkaCursor) read(ctx context.Context, until int64, maxRows int, wait bool) ([]Entry, error) {
	msgs := c.pc.Messages()
	start := c.next
	batch := c.batch[:0]
	defer func() {
		clear(batch)
		c.batch = batch[:0]
	}()
	m := c.held
	c.held = nil
	for {
		if m == nil {
			// Take what is waiting, without blocking.
			select {
			case m = <-msgs:
			default:
			}
		}
		if m == nil {
			if len(batch) > 0 {
				break
			}
			var err error
			if m, err = c.waitFirst(ctx, msgs, wait); err != nil || m == nil {
				return nil, err
			}
		}
		if m.Offset < c.next {
			// Already handed out (a consumer may restart inside a
			// compressed batch); skip.
			m = nil
			continue
		}
		if until > 0 && m.Offset >= until {
			c.held = m
			break
		}
		batch = append(batch, m)
		c.next = m.Offset + 1
		m = nil
		if len(batch) >= maxRows {
			break
		}
	}
	if len(batch) == 0 {
		return nil, nil
	}
	return []Entry{c.decode(start, batch)}, nil
}

// waitFirst waits for the first message of a read. It returns nil, nil
// when a read without wait finds nothing to wait for.
func (c *kafkaCursor) waitFirst(ctx context.Context, msgs <-chan *sarama.ConsumerMessage, wait bool) (*sarama.ConsumerMessage, error) {
	var timeout <-chan time.Time
	if !wait {
		// Only wait when the broker said more exists: a new consumer's
		// first fetch is in flight, or the prefetch is catching up.
		if c.next >= c.pc.HighWaterMarkOffset() {
			return nil, nil
		}
		t := time.NewTimer(kafkaNoWaitFirstRecord)
		defer t.Stop()
		timeout = t.C
	}
	k := c.k
	k.mu.Lock()
	downCh := k.downCh
	k.mu.Unlock()
	c.mu.Lock()
	errs0 := c.errs
	c.mu.Unlock()
	select {
	case m, ok := <-msgs:
		if !ok {
			if err := c.failed(); err != nil {
				return nil, k.outOfRange(ctx, c.p, c.next)
			}
			return nil, k.closedError()
		}
		return m, nil
	case <-downCh:
		return nil, k.unavailable()
	case <-k.closing:
		return nil, k.closedError()
	case <-timeout:
		return nil, nil
	case <-ctx.Done():
		// If the consumer failed meanwhile, the wait ended for want of a
		// broker (one that hangs rather than refuses takes the supervisor
		// a dial timeout to declare down): say so.
		c.mu.Lock()
		errs, last := c.errs, c.lastErr
		c.mu.Unlock()
		if errs != errs0 {
			return nil, sqlstate.Wrap(fmt.Errorf("kafka topic %q on %s: %w: %w (%v)", k.cfg.Topic, k.brokers, ErrUnavailable, last, ctx.Err()),
				sqlstate.ConnectionFailure)
		}
		return nil, ctx.Err()
	}
}

// decode turns consecutive messages, read from offset start on, into one
// entry.
func (c *kafkaCursor) decode(start int64, batch []*sarama.ConsumerMessage) Entry {
	payloads, offs, ats := c.payloads[:0], c.offs[:0], c.ats[:0]
	var nowMicros int64
	for _, m := range batch {
		payloads = append(payloads, m.Value)
		offs = append(offs, m.Offset)
		at := int64(0)
		if !m.Timestamp.IsZero() {
			at = m.Timestamp.UnixMicro()
		} else {
			// Messages of the pre-0.10 format carry no timestamp.
			if nowMicros == 0 {
				nowMicros = time.Now().UnixMicro()
			}
			at = nowMicros
		}
		ats = append(ats, at)
	}
	rec, rowOffs, rejected := c.dec.Decode(payloads, offs, ats)
	clear(payloads)
	c.payloads, c.offs, c.ats = payloads[:0], offs[:0], ats[:0]
	e := Entry{
		Partition:  c.p,
		Offset:     start,
		Next:       batch[len(batch)-1].Offset + 1,
		Rec:        rec,
		Rejected:   rejected,
		AppendedAt: ats[len(ats)-1],
	}
	for i := range e.Rejected {
		e.Rejected[i].Partition = c.p
	}
	if int64(len(rowOffs)) != e.Next-e.Offset {
		e.Offsets = rowOffs
	}
	return e
}
