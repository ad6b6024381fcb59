package stream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
)

// KafkaConfig configures a KafkaLog: where the topic is, how to reach it
// and how its JSON events become rows.
type KafkaConfig struct {
	// Brokers are the bootstrap brokers, "host:port".
	Brokers []string
	// Topic is the topic to read.
	Topic string
	// ClientID is the client.id sent to the brokers ("lambdasql" when empty).
	ClientID string
	// Start is where a read of offset -1 begins: "earliest" (the default:
	// the oldest offset Kafka still holds) or "latest" (the high water).
	Start string
	TLS   KafkaTLS
	SASL  KafkaSASL

	// Schema lists the source's columns in order.
	Schema exec.Schema
	// NotNull marks NOT NULL columns (nil, or one entry per column).
	NotNull []bool
	// EventTime is the index of the event-time column (timestamp or
	// timestamptz), -1 when the source has none.
	EventTime int
	// MaxFuture rejects events stamped further ahead of Clock than this;
	// 0 turns the check off.
	MaxFuture time.Duration
	// JSONPaths maps a column index to the keys leading to its value in
	// nested objects (json.path.device_id = 'payload.device.id' gives
	// ["payload", "device", "id"]); other columns read the top-level key
	// of their own name.
	JSONPaths map[int][]string
	// Clock is the server clock MaxFuture is measured against (nil =
	// time.Now).
	Clock Clock
	// Logger receives connection state changes (nil = slog.Default()).
	Logger *slog.Logger
}

// KafkaTLS configures TLS to the brokers.
type KafkaTLS struct {
	Enabled bool
	// CAFile is a PEM bundle of the CAs to trust; empty = the system pool.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key, for
	// brokers that require mutual TLS; both or neither.
	CertFile, KeyFile string
	// InsecureSkipVerify accepts any server certificate (tests only).
	InsecureSkipVerify bool
}

// KafkaSASL configures SASL authentication.
type KafkaSASL struct {
	// Mechanism is "" (none), "plain", "scram-sha-256" or "scram-sha-512".
	Mechanism string
	Username  string
	Password  string
}

// ErrUnavailable is wrapped by the errors a KafkaLog returns while it
// cannot reach the brokers (SQLSTATE 08006). The log keeps reconnecting
// in the background; retry the same read later.
var ErrUnavailable = errors.New("kafka is unavailable")

// ErrOffsetOutOfRange is wrapped by the error of a read from an offset
// Kafka does not hold: below LowWater (removed by retention) or above
// HighWater (SQLSTATE 55000).
var ErrOffsetOutOfRange = errors.New("offset out of range")

// Tuning (PERF-NOTES, Kafka consumption): an 8 MiB fetch per partition and
// a 4096-message channel buffer gave sarama its best throughput.
const (
	kafkaFetchDefault      = 8 << 20
	kafkaChannelBuffer     = 4096
	kafkaDialTimeout       = 5 * time.Second
	kafkaIOTimeout         = 10 * time.Second
	kafkaBackoffMin        = 100 * time.Millisecond
	kafkaBackoffMax        = 10 * time.Second
	kafkaMaxWait           = 250 * time.Millisecond // a fetch's long poll at the high water; bounds how long retiring a consumer takes
	kafkaMaxCursors        = 4                      // cursors per partition before the least recently used idle one is retired
	kafkaCursorIdle        = 2 * time.Minute        // an idle cursor is closed after this
	kafkaNoWaitFirstRecord = 2 * time.Second        // a read without wait waits this long for data it knows exists
	kafkaJanitorInterval   = 30 * time.Second       // how often idle cursors are swept
)

// KafkaLog is a Kafka topic read as a Log. Offsets are owned by lambdasql:
// it uses plain partition consumers, no consumer group, and never commits
// offsets to Kafka. Every Read names the offset it starts from; the log
// keeps a prefetching partition consumer per (partition, position) so
// sequential reads continue where the last one stopped, and starts a new
// one when a read jumps elsewhere.
//
// When the brokers cannot be reached, calls fail fast with an error
// wrapping ErrUnavailable, Status reports the reconnection, and the log
// retries in the background with exponential backoff (100 ms doubling to
// 10 s). When the brokers are back, reads resume from exactly the offsets
// the callers ask for. A KafkaLog is safe for concurrent use.
type KafkaLog struct {
	cfg     KafkaConfig
	brokers string // for messages
	log     *slog.Logger
	sc      *sarama.Config
	// client answers metadata and offset queries; every cursor has a
	// client of its own (see kafkaCursor).
	client sarama.Client
	start  int64 // sarama.OffsetOldest or sarama.OffsetNewest
	parts  []*kafkaPart

	mu       sync.Mutex
	gen      uint64 // bumped when the connection state changes; older cursors are dropped
	down     bool
	reason   string
	attempt  int
	nextAt   time.Time
	downCh   chan struct{} // closed when the log goes down; replaced when it is back
	closed   bool
	readers  sync.WaitGroup // Reads in flight
	retiring sync.WaitGroup // cursors whose consumers are shutting down

	kick    chan struct{} // asks the supervisor to probe the brokers
	closing chan struct{}
	done    sync.WaitGroup // background goroutines
	closeMu sync.Mutex
	closeE  error
	isDone  atomic.Bool
}

type kafkaPart struct {
	mu      sync.Mutex
	cursors []*kafkaCursor
}

var _ Log = (*KafkaLog)(nil)

// NewKafkaLog connects to cfg.Brokers and reads the metadata of cfg.Topic.
// It fails with 08006 when no broker can be reached, 28000 when
// authentication fails, 42704 when the topic does not exist and 22023
// for a bad configuration. The log must be closed.
func NewKafkaLog(ctx context.Context, cfg KafkaConfig) (*KafkaLog, error) {
	if len(cfg.Brokers) == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "a kafka source needs brokers")
	}
	if cfg.Topic == "" {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "a kafka source needs a topic")
	}
	// Validate the decoding options before connecting.
	dec, err := newKafkaDecoder(cfg)
	if err != nil {
		return nil, err
	}
	dec.Release()
	start := sarama.OffsetOldest
	switch strings.ToLower(cfg.Start) {
	case "", "earliest":
	case "latest":
		start = sarama.OffsetNewest
	default:
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid kafka start %q", cfg.Start).
			WithHint("Use 'earliest' or 'latest'.")
	}
	sc, err := saramaConfig(cfg)
	if err != nil {
		return nil, err
	}
	k := &KafkaLog{
		cfg:     cfg,
		sc:      sc,
		brokers: strings.Join(cfg.Brokers, ","),
		log:     cfg.Logger,
		start:   start,
		downCh:  make(chan struct{}),
		kick:    make(chan struct{}, 1),
		closing: make(chan struct{}),
	}
	if k.log == nil {
		k.log = slog.Default()
	}
	k.log = k.log.With("topic", cfg.Topic, "brokers", k.brokers)
	type result struct {
		c   sarama.Client
		n   int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := sarama.NewClient(cfg.Brokers, sc)
		if err != nil {
			ch <- result{err: err}
			return
		}
		ps, err := c.Partitions(cfg.Topic)
		if err == nil && len(ps) == 0 {
			err = sarama.ErrUnknownTopicOrPartition
		}
		if err != nil {
			c.Close()
			ch <- result{err: err}
			return
		}
		ch <- result{c: c, n: len(ps)}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		// The connection attempt is bounded by the network timeouts;
		// close whatever it returns.
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, k.connectError(r.err)
	}
	k.client = r.c
	k.parts = make([]*kafkaPart, r.n)
	for i := range k.parts {
		k.parts[i] = &kafkaPart{}
	}
	k.done.Add(1)
	go k.supervise()
	return k, nil
}

// connectError classifies a failure to connect or to read the topic's
// metadata.
func (k *KafkaLog) connectError(err error) error {
	switch {
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		return sqlstate.New(sqlstate.UndefinedObject, "kafka topic %q does not exist on brokers %s", k.cfg.Topic, k.brokers)
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed) || errors.Is(err, sarama.ErrTopicAuthorizationFailed) ||
		errors.Is(err, sarama.ErrClusterAuthorizationFailed) || errors.Is(err, sarama.ErrUnsupportedSASLMechanism):
		return sqlstate.Wrap(fmt.Errorf("kafka brokers %s refused the credentials: %w", k.brokers, err), sqlstate.InvalidAuthorizationSpecification)
	}
	return sqlstate.Wrap(fmt.Errorf("could not connect to kafka brokers %s: %w: %w", k.brokers, ErrUnavailable, err), sqlstate.ConnectionFailure)
}

func saramaConfig(cfg KafkaConfig) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.ClientID = cfg.ClientID
	if sc.ClientID == "" {
		sc.ClientID = "lambdasql"
	}
	sc.Net.DialTimeout = kafkaDialTimeout
	sc.Net.ReadTimeout = kafkaIOTimeout
	sc.Net.WriteTimeout = kafkaIOTimeout
	// Never create the topic by asking for it, and fetch metadata for
	// this topic only.
	sc.Metadata.AllowAutoTopicCreation = false
	sc.Metadata.Full = false
	sc.Metadata.Retry.Max = 1
	sc.Metadata.Retry.Backoff = kafkaBackoffMin
	sc.Consumer.Return.Errors = true
	sc.Consumer.Fetch.Default = kafkaFetchDefault
	sc.Consumer.MaxWaitTime = kafkaMaxWait
	sc.ChannelBufferSize = kafkaChannelBuffer
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Retry.BackoffFunc = func(retries int) time.Duration { return backoff(retries, time.Second) }
	if cfg.TLS.Enabled {
		tc, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	switch m := strings.ToLower(cfg.SASL.Mechanism); m {
	case "":
	case "plain", "scram-sha-256", "scram-sha-512":
		if cfg.SASL.Username == "" {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "SASL mechanism %s needs a username", m)
		}
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = cfg.SASL.Username
		sc.Net.SASL.Password = cfg.SASL.Password
		switch m {
		case "plain":
			sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case "scram-sha-256":
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return newSCRAMClient(scramSHA256) }
		case "scram-sha-512":
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return newSCRAMClient(scramSHA512) }
		}
	default:
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unsupported SASL mechanism %q", cfg.SASL.Mechanism).
			WithHint("Use 'plain', 'scram-sha-256' or 'scram-sha-512'.")
	}
	if err := sc.Validate(); err != nil {
		return nil, sqlstate.Wrap(fmt.Errorf("invalid kafka configuration: %w", err), sqlstate.InvalidParameterValue)
	}
	return sc, nil
}

func tlsConfig(c KafkaTLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, for tests
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, sqlstate.Wrap(fmt.Errorf("read kafka TLS CA file: %w", err), sqlstate.InvalidParameterValue)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "kafka TLS CA file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "kafka TLS needs both a certificate and a key file, or neither")
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, sqlstate.Wrap(fmt.Errorf("load kafka TLS client certificate: %w", err), sqlstate.InvalidParameterValue)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func newKafkaDecoder(cfg KafkaConfig) (*JSONDecoder, error) {
	return NewJSONDecoder(cfg.Schema, cfg.NotNull, cfg.EventTime, cfg.JSONPaths, cfg.MaxFuture, cfg.Clock)
}

// waitTimeout waits for wg, or gives up after d (sarama's shutdown of a
// consumer stuck on a dead broker is bounded by its network timeouts; Close
// must not hang longer than that).
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// backoff is the delay before retry n (1-based): 100 ms doubling up to max.
func backoff(n int, max time.Duration) time.Duration {
	d := kafkaBackoffMin
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Partitions implements Log: the partition count read from the topic's
// metadata when the log was opened (partitions added later are not read).
func (k *KafkaLog) Partitions() int { return len(k.parts) }

// Schema implements Log.
func (k *KafkaLog) Schema() exec.Schema { return k.cfg.Schema }

// Topic returns the topic name.
func (k *KafkaLog) Topic() string { return k.cfg.Topic }

// HighWater implements Log: the offset the next message of p will get,
// asked from the partition's leader.
func (k *KafkaLog) HighWater(ctx context.Context, p int) (int64, error) {
	return k.offset(ctx, p, sarama.OffsetNewest)
}

// LowWater implements Log: the oldest offset of p Kafka still holds. A
// reader whose next offset is below it has lost data to retention.
func (k *KafkaLog) LowWater(ctx context.Context, p int) (int64, error) {
	return k.offset(ctx, p, sarama.OffsetOldest)
}

// StartOffset returns where a read of p from offset -1 begins per
// KafkaConfig.Start. Callers that must not miss events between two reads
// resolve it once and then read from explicit offsets.
func (k *KafkaLog) StartOffset(ctx context.Context, p int) (int64, error) {
	return k.offset(ctx, p, k.start)
}

func (k *KafkaLog) offset(ctx context.Context, p int, which int64) (int64, error) {
	if err := k.checkPartition(p); err != nil {
		return 0, err
	}
	if err := k.unavailable(); err != nil {
		return 0, err
	}
	type result struct {
		off int64
		err error
	}
	ch := make(chan result, 1)
	go func() {
		off, err := k.client.GetOffset(k.cfg.Topic, int32(p), which)
		ch <- result{off, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return 0, k.callError(r.err)
		}
		return r.off, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (k *KafkaLog) checkPartition(p int) error {
	if p < 0 || p >= len(k.parts) {
		return sqlstate.New(sqlstate.InvalidParameterValue, "kafka topic %q has no partition %d (it has %d)", k.cfg.Topic, p, len(k.parts))
	}
	return nil
}

// callError turns a failed broker call into the caller's error and, when
// it looks like a connection problem, asks the supervisor to probe.
func (k *KafkaLog) callError(err error) error {
	switch {
	case errors.Is(err, sarama.ErrClosedClient):
		return k.closedError()
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		k.probeSoon()
		return sqlstate.New(sqlstate.UndefinedObject, "kafka topic %q does not exist on brokers %s", k.cfg.Topic, k.brokers)
	}
	k.probeSoon()
	return sqlstate.Wrap(fmt.Errorf("kafka topic %q on %s: %w: %w", k.cfg.Topic, k.brokers, ErrUnavailable, err), sqlstate.ConnectionFailure)
}

func (k *KafkaLog) closedError() error {
	return sqlstate.New(sqlstate.AdminShutdown, "the kafka log of topic %q is closed", k.cfg.Topic)
}

// Read implements Log. It reads partition p from offset from on (-1:
// from StartOffset). The returned entry covers exactly the messages read:
// Offset is from and Next follows the last message; rows and rejected
// events are in offset order, and Offsets is set whenever the rows are not
// exactly Offset, Offset+1, … (a rejected event, or offsets Kafka skips
// after compaction or for transaction markers). AppendedAt is the
// timestamp of the last message (the producer's CreateTime, or the
// broker's LogAppendTime on topics configured for it); each Rejected
// carries its own message's. maxRows <= 0 means exec.BatchSize.
//
// Without wait, Read returns the messages already fetched; when it knows
// more exist (from is below the last high water seen) it waits up to 2 s
// for the first. With wait it blocks until a message arrives, ctx ends
// (ctx.Err()), the brokers are found unreachable (ErrUnavailable) or the
// log closes (57P01). A from outside [LowWater, HighWater] fails with
// ErrOffsetOutOfRange. While the brokers are unreachable Read fails at
// once with ErrUnavailable; it never blocks on a dead broker longer than
// the network timeouts (5 s to dial, 10 s per request).
func (k *KafkaLog) Read(ctx context.Context, p int, from, until int64, maxRows int, wait bool) ([]Entry, error) {
	if err := k.checkPartition(p); err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, k.closedError()
	}
	k.readers.Add(1)
	k.mu.Unlock()
	defer k.readers.Done()
	if maxRows <= 0 {
		maxRows = exec.BatchSize
	}
	if from < 0 {
		var err error
		if from, err = k.StartOffset(ctx, p); err != nil {
			return nil, err
		}
	}
	if until > 0 && from >= until {
		return nil, nil
	}
	if err := k.unavailable(); err != nil {
		return nil, err
	}
	cur, err := k.acquire(ctx, p, from)
	if err != nil {
		return nil, err
	}
	entries, err := cur.read(ctx, until, maxRows, wait)
	k.releaseCursor(cur)
	return entries, err
}

// Close implements Log: it stops the consumers and the supervisor and
// closes the client, after waiting for Reads in flight to return (they
// return promptly with 57P01). It may be called more than once.
func (k *KafkaLog) Close() error {
	k.closeMu.Lock()
	defer k.closeMu.Unlock()
	if k.isDone.Load() {
		return k.closeE
	}
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	close(k.closing)
	k.readers.Wait()
	k.done.Wait()
	k.sweepCursors(true) // no read is in flight: every cursor is idle
	waitTimeout(&k.retiring, 2*kafkaIOTimeout)
	if err := k.client.Close(); err != nil && !errors.Is(err, sarama.ErrClosedClient) {
		k.closeE = err
	}
	k.isDone.Store(true)
	return k.closeE
}
