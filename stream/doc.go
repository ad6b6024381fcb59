// Package stream owns the speed layer: connectors (Kafka via
// github.com/IBM/sarama and the embedded log), decoding, event-time
// watermarks, window assignment, keyed window state on the shared
// accumulators, speed views and checkpoints.
//
// stream imports exec and catalog; it never imports batch.
// Invariant: speed state for a window is dropped only after the catalog
// publishes a batch watermark B >= window_end and no running query holds an
// older snapshot.
package stream
