package exec

import (
	"testing"
	"time"
)

func TestWatermarkIdlePartitions(t *testing.T) {
	const s = int64(time.Second / time.Microsecond)
	now := 1000 * s
	idle := 30 * time.Second
	cases := []struct {
		name  string
		parts []PartitionClock
		want  int64
		ok    bool
	}{
		{"min over partitions", []PartitionClock{{MaxTime: 500 * s, LastAt: now}, {MaxTime: 400 * s, LastAt: now}}, 400*s - s, true},
		{"an idle partition stops holding it back", []PartitionClock{{MaxTime: 500 * s, LastAt: now}, {MaxTime: 400 * s, LastAt: now - 31*s}}, 500*s - s, true},
		{"a partition with a backlog is never idle", []PartitionClock{{MaxTime: 500 * s, LastAt: now}, {MaxTime: 400 * s, LastAt: now - 31*s, Behind: true}}, 400*s - s, true},
		{"no event yet, not idle: undefined", []PartitionClock{{MaxTime: 500 * s, LastAt: now}, {MaxTime: NoTime, LastAt: now - s}}, 0, false},
		{"no event yet, backlog: undefined", []PartitionClock{{MaxTime: 500 * s, LastAt: now}, {MaxTime: NoTime, Behind: true}}, 0, false},
		{"every partition idle: the highest", []PartitionClock{{MaxTime: 500 * s, LastAt: now - 40*s}, {MaxTime: 400 * s, LastAt: now - 40*s}}, 500*s - s, true},
	}
	for _, c := range cases {
		got, ok := Watermark(c.parts, time.Second, idle, now)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
