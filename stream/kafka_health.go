package stream

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"lambdasql/sql/sqlstate"
)

// The connection state of a KafkaLog. sarama reconnects by itself, but it
// neither says so nor bounds how long a consumer waits on a dead broker;
// the supervisor does both. A failing call or a consumer error asks it to
// probe the brokers (a metadata request and the high water of every
// partition); while probes fail the log is down — calls fail at once with
// ErrUnavailable and Status says when the next attempt is — and it probes
// again with exponential backoff. Going down or up bumps the generation,
// which retires every partition consumer: after an outage each read starts
// a fresh consumer at exactly the offset it asks for, so nothing is lost or
// read twice whatever the consumers saw while the brokers were away.

// Status implements Log: "ok", or "reconnecting: <reason> (attempt n,
// next in Xs)" while the brokers cannot be reached, or "closed".
func (k *KafkaLog) Status() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.closed:
		return "closed"
	case !k.down:
		return "ok"
	}
	next := time.Until(k.nextAt).Round(100 * time.Millisecond)
	if next < 0 {
		next = 0
	}
	return fmt.Sprintf("reconnecting: %s (attempt %d, next in %s)", k.reason, k.attempt, next)
}

// unavailable returns the ErrUnavailable error while the log is down, nil
// otherwise.
func (k *KafkaLog) unavailable() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return k.closedError()
	}
	if !k.down {
		return nil
	}
	return k.unavailableLocked()
}

func (k *KafkaLog) unavailableLocked() error {
	return sqlstate.Wrap(fmt.Errorf("kafka topic %q on %s: %w: %s (reconnecting, attempt %d)",
		k.cfg.Topic, k.brokers, ErrUnavailable, k.reason, k.attempt), sqlstate.ConnectionFailure)
}

// probeSoon asks the supervisor to check the brokers.
func (k *KafkaLog) probeSoon() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// supervise probes the brokers when asked and while they are down, and
// sweeps idle cursors.
func (k *KafkaLog) supervise() {
	defer k.done.Done()
	sweep := time.NewTicker(kafkaJanitorInterval)
	defer sweep.Stop()
	for {
		select {
		case <-k.closing:
			return
		case <-sweep.C:
			k.sweepCursors(false)
			continue
		case <-k.kick:
		}
		for attempt := 1; ; attempt++ {
			err := k.probe()
			if err == nil {
				k.markUp()
				break
			}
			delay := backoff(attempt, kafkaBackoffMax)
			k.markDown(err, attempt, delay)
			t := time.NewTimer(delay)
			select {
			case <-k.closing:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// probe checks that the topic's metadata and every partition's leader
// answer.
func (k *KafkaLog) probe() error {
	if err := k.client.RefreshMetadata(k.cfg.Topic); err != nil {
		return err
	}
	for p := range k.parts {
		if _, err := k.client.GetOffset(k.cfg.Topic, int32(p), sarama.OffsetNewest); err != nil {
			return err
		}
	}
	return nil
}

func (k *KafkaLog) markDown(err error, attempt int, delay time.Duration) {
	k.mu.Lock()
	was := k.down
	k.down = true
	k.reason = err.Error()
	k.attempt = attempt
	k.nextAt = time.Now().Add(delay)
	if !was {
		close(k.downCh)
		k.gen++
	}
	k.mu.Unlock()
	if !was {
		k.log.Warn("kafka brokers unreachable, reconnecting", "err", err)
		k.sweepCursors(true)
	} else {
		k.log.Debug("kafka brokers still unreachable", "err", err, "attempt", attempt, "next", delay)
	}
}

func (k *KafkaLog) markUp() {
	k.mu.Lock()
	was := k.down
	if was {
		k.down = false
		k.reason = ""
		k.attempt = 0
		k.downCh = make(chan struct{})
		k.gen++
	}
	k.mu.Unlock()
	if was {
		k.log.Info("kafka brokers reachable again")
		k.sweepCursors(true)
	}
}

// sweepCursors retires idle cursors: all of them (all true) or those of
// an old generation, stopped by an error or idle for kafkaCursorIdle.
func (k *KafkaLog) sweepCursors(all bool) {
	k.mu.Lock()
	gen := k.gen
	k.mu.Unlock()
	now := time.Now()
	for _, part := range k.parts {
		var stale []*kafkaCursor
		part.mu.Lock()
		kept := part.cursors[:0]
		for _, c := range part.cursors {
			if !c.busy && (all || c.gen != gen || c.failed() != nil || now.Sub(c.lastUsed) > kafkaCursorIdle) {
				stale = append(stale, c)
				continue
			}
			kept = append(kept, c)
		}
		clear(part.cursors[len(kept):])
		part.cursors = kept
		part.mu.Unlock()
		for _, c := range stale {
			k.retire(c)
		}
	}
}
