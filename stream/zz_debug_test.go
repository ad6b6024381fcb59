package stream

import (
	"context"
	"testing"
	"time"
)

func TestZZDebug(t *testing.T) {
	c := newCluster(t)
	produce(t, c.ListenAddrs(), 0, events(0, 200))
	l := openLog(t, telemetryConfig(c.ListenAddrs()))
	ctx := context.Background()
	for from := int64(0); from < 200; {
		es, err := l.Read(ctx, 0, from, 0, 30, true)
		if err != nil {
			t.Fatal(err)
		}
		from = es[0].Next
		releaseAll(es)
	}
	t0 := time.Now()
	es := readTo(t, l, 0, 50, 60, 100)
	t.Logf("jump %v", time.Since(t0))
	releaseAll(es)
	t0 = time.Now()
	l.Close()
	t.Logf("close %v", time.Since(t0))
}
