package server

import (
	"context"
	"strings"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/stream"
)

// openKafka connects a Kafka source's log: the topic, brokers, TLS and
// SASL options of CREATE SOURCE, and the JSON decoding of its columns.
func (e *engine) openKafka(src *catalog.Source, schema exec.Schema) (stream.Log, error) {
	o := src.Options
	cfg := stream.KafkaConfig{
		Topic:     o["topic"],
		ClientID:  o["client_id"],
		Start:     o["start"],
		Schema:    schema,
		EventTime: src.ColumnIndex(src.EventTime),
		MaxFuture: durationOpt(o, "max_future", 0),
		JSONPaths: map[int][]string{},
		Logger:    e.srv.log,
	}
	for _, b := range strings.Split(o["brokers"], ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.Brokers = append(cfg.Brokers, b)
		}
	}
	for i, c := range src.Columns {
		cfg.NotNull = append(cfg.NotNull, c.NotNull)
		if p, ok := o["json.path."+c.Name]; ok {
			cfg.JSONPaths[i] = strings.Split(p, ".")
		}
	}
	if on, ok := o["tls"]; ok && isTrue(on) {
		cfg.TLS = stream.KafkaTLS{Enabled: true, CAFile: o["tls.ca"], CertFile: o["tls.cert"], KeyFile: o["tls.key"],
			InsecureSkipVerify: isTrue(o["tls.insecure"])}
	}
	if m := o["sasl.mechanism"]; m != "" {
		cfg.SASL = stream.KafkaSASL{Mechanism: m, Username: o["sasl.username"], Password: o["sasl.password"]}
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	return stream.NewKafkaLog(ctx, cfg)
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1", "t", "y":
		return true
	}
	return false
}

// startOffsets returns where reading of each partition begins when the
// manifest holds no position yet (Kafka: per the source's start option).
func startOffsets(ctx context.Context, log stream.Log) []int64 {
	out := make([]int64, log.Partitions())
	kl, ok := log.(*stream.KafkaLog)
	if !ok {
		return out
	}
	for p := range out {
		if off, err := kl.StartOffset(ctx, p); err == nil {
			out[p] = off
		}
	}
	return out
}
