package server

import "time"

// observer receives events the metrics layer counts. The zero observer
// ignores them.
type observer interface {
	// QueryDone is called after every statement with rows, with the layers
	// its lambda view scans read ("batch", "speed").
	QueryDone(d time.Duration, err error, layers []string)
}

type noObserver struct{}

func (noObserver) QueryDone(time.Duration, error, []string) {}
