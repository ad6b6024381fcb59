package sql

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZReplay(t *testing.T) {
	dir := os.Getenv("REPLAY_DIR")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.SplitN(string(b), "\n", 2)
		s := strings.TrimSpace(lines[1])
		s = strings.TrimPrefix(s, "string(")
		s = strings.TrimSuffix(s, ")")
		q, err := strconv.Unquote(s)
		if err != nil {
			continue
		}
		done := make(chan struct{})
		start := time.Now()
		go func() { Parse(q); close(done) }()
		select {
		case <-done:
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Logf("slow %v %s %q", d, f, q)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("hang %s %q", f, q)
		}
	}
}
