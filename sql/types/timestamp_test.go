package types

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestParseISOTimestamp: the fast path agrees with the general parser on
// every input it accepts, and declines what it must not take.
func TestParseISOTimestamp(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{
		"2024-02-29 12:00:00", "2023-02-29 12:00:00", "2024-04-31 00:00:00",
		"2024-01-01T00:00:00Z", "2024-01-01 00:00:00.5", "2024-01-01 00:00:00.123456+02:30",
		"2024-01-01 00:00:00.1234567", "2024-01-01 24:00:00", "2024-13-01 00:00:00",
		"2024-03-31 02:30:00", "2024-10-27 02:30:00", "0001-01-01 00:00:00-01",
		"2024-01-01 00:00:00+0200", "2024-01-01 00:00:00 UTC", "2024-01-01 00:00:60",
		"2024-01-01 00:00:00.", "2024-01-01 00:00:00+1", "1969-12-31 23:59:59.999999",
	}
	for range 20000 {
		s := fmt.Sprintf("%04d-%02d-%02d%c%02d:%02d:%02d", r.IntN(3000), r.IntN(14), r.IntN(33),
			" T"[r.IntN(2)], r.IntN(25), r.IntN(61), r.IntN(61))
		if r.IntN(2) == 0 {
			s += "." + fmt.Sprintf("%06d", r.IntN(1000000))[:1+r.IntN(6)]
		}
		switch r.IntN(5) {
		case 0:
			s += "Z"
		case 1:
			s += fmt.Sprintf("%+03d", r.IntN(29)-14)
		case 2:
			s += fmt.Sprintf("%+03d:%02d", r.IntN(29)-14, r.IntN(60))
		}
		inputs = append(inputs, s)
	}
	fast := 0
	for _, s := range inputs {
		for _, loc := range []*time.Location{time.UTC, paris} {
			for _, tz := range []bool{false, true} {
				got, ok := parseISOTimestamp(s, loc, tz)
				want, err := parseTimestamp(s, loc, tz)
				if !ok {
					continue
				}
				fast++
				if err != nil || got != want {
					t.Fatalf("%q (loc %s, tz %v): fast %d, general %d %v", s, loc, tz, got, want, err)
				}
			}
		}
	}
	if fast < len(inputs) { // most random inputs are valid timestamps
		t.Fatalf("fast path took only %d of %d", fast, 4*len(inputs))
	}
	for _, s := range []string{"2023-02-29 12:00:00", "2024-01-01 24:00:00", "2024-01-01 00:00:60", "2024-01-01 00:00:00.1234567"} {
		if _, ok := parseISOTimestamp(s, time.UTC, true); ok {
			t.Errorf("fast path took %q", s)
		}
	}
}

func BenchmarkParseTimestamp(b *testing.B) {
	for _, c := range []struct {
		name string
		f    func(string, *time.Location, bool) (TimestampD, error)
	}{{"fast", ParseTimestamp}, {"general", parseTimestamp}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.f("2024-05-01 12:34:56.789+00", time.UTC, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
