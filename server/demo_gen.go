package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// The demo's IoT telemetry, after the seeds: devices report temperature
// and energy; users log in, transact and log out through them.
const (
	demoUsers = 100_000
	// Shares of live events (the rest arrive in order, stamped now).
	demoOutOfOrderShare = 0.05  // stamped up to 60 s in the past
	demoLateShare       = 0.002 // stamped 3–10 min in the past: behind the 2m lateness
	demoMalformedShare  = 0.001 // bad types, missing device_id, broken JSON, wrong clocks
	demoSpikeShare      = 0.0005
	// demoTick is how often the generator sends a batch.
	demoTick = 100 * time.Millisecond
)

// demoDevice is one simulated device: a base temperature with a slow
// sinusoidal drift, an energy draw and the user who owns it.
type demoDevice struct {
	id     string
	base   float64 // °C
	amp    float64 // °C of drift
	period float64 // seconds
	phase  float64
	energy float64 // kWh per reading at 25 °C
	owner  string
}

// demoGenerator makes demo events. It is not safe for concurrent use.
type demoGenerator struct {
	rng     *rand.Rand
	users   *rand.Zipf
	devices []demoDevice
	buf     []byte
}

// demoEvent is one telemetry event; empty strings and the has* flags mark
// NULLs.
type demoEvent struct {
	device      string
	at          time.Time
	temperature float64
	energy      float64
	user        string
	typ         string
	session     int64
	hasSession  bool
	revenue     float64
	hasRevenue  bool
}

func newDemoGenerator(devices int, seed int64) *demoGenerator {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1a4bd5a1))
	g := &demoGenerator{rng: rng, users: rand.NewZipf(rng, 1.1, 4, demoUsers-1), devices: make([]demoDevice, devices)}
	width := max(len(strconv.Itoa(devices-1)), 5)
	for i := range g.devices {
		// Device parameters come from their own seeded stream, so device
		// 42 behaves the same in the backfilled history and the live
		// stream, across restarts.
		dr := rand.New(rand.NewPCG(uint64(i), 0xd3e1ce))
		g.devices[i] = demoDevice{
			id:     fmt.Sprintf("device-%0*d", width, i),
			base:   20 + dr.Float64()*10,
			amp:    0.5 + dr.Float64()*2.5,
			period: (20 + dr.Float64()*100) * 60,
			phase:  dr.Float64() * 2 * math.Pi,
			energy: 0.2 + dr.Float64()*1.8,
			owner:  demoUserID(dr.IntN(demoUsers)),
		}
	}
	return g
}

// demoUserID names user i. Zipf draws favour small indexes; a fixed
// permutation spreads the popular users over the id space.
func demoUserID(i int) string {
	return fmt.Sprintf("user-%06d", (i*7919)%demoUsers)
}

// event makes one event at time at (its stamp; live events are jittered
// by the caller).
func (g *demoGenerator) event(at time.Time) demoEvent {
	d := &g.devices[g.rng.IntN(len(g.devices))]
	t := float64(at.UnixMicro()) / 1e6
	temp := d.base + d.amp*math.Sin(2*math.Pi*t/d.period+d.phase) + g.rng.NormFloat64()*0.4
	if g.rng.Float64() < demoSpikeShare {
		temp = 85 + g.rng.Float64()*15 // an overheating device
	}
	energy := math.Max(0, d.energy*(1+0.02*(temp-25))+g.rng.NormFloat64()*0.05*d.energy)
	ev := demoEvent{device: d.id, at: at, temperature: round2(temp), energy: math.Round(energy*1000) / 1000}
	switch r := g.rng.Float64(); {
	case r < 0.70:
		ev.typ = "telemetry"
		if g.rng.Float64() < 0.9 {
			ev.user = d.owner
		}
	case r < 0.80:
		ev.typ = "login"
		ev.user = g.user()
	case r < 0.92:
		ev.typ = "transaction"
		ev.user = g.user()
		ev.revenue, ev.hasRevenue = round2(math.Exp(math.Log(25)+g.rng.NormFloat64()*0.8)), true
	default:
		ev.typ = "logout"
		ev.user = g.user()
		secs := math.Exp(math.Log(600) + g.rng.NormFloat64()*0.9)
		ev.session, ev.hasSession = int64(math.Min(math.Max(secs, 5), 4*3600)), true
	}
	return ev
}

func (g *demoGenerator) user() string { return demoUserID(int(g.users.Uint64())) }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// batch makes n live JSON events around now: most stamped now, some out
// of order, a few late and a trickle malformed.
func (g *demoGenerator) batch(now time.Time, n int) [][]byte {
	out := make([][]byte, 0, n)
	for range n {
		if g.rng.Float64() < demoMalformedShare {
			out = append(out, g.malformed(now))
			continue
		}
		at := now
		switch r := g.rng.Float64(); {
		case r < demoLateShare:
			at = now.Add(-3*time.Minute - time.Duration(g.rng.Int64N(int64(7*time.Minute))))
		case r < demoLateShare+demoOutOfOrderShare:
			at = now.Add(-time.Duration(g.rng.Int64N(int64(60 * time.Second))))
		}
		ev := g.event(at)
		out = append(out, appendEventJSON(nil, &ev))
	}
	return out
}

// malformed makes one event the source must reject into lambda_rejected.
func (g *demoGenerator) malformed(now time.Time) []byte {
	ev := g.event(now)
	good := appendEventJSON(nil, &ev)
	switch g.rng.IntN(6) {
	case 0: // a string where a number belongs
		return fmt.Appendf(nil, `{"device_id":%q,"event_timestamp":%q,"temperature":"hot","event_type":"telemetry"}`, ev.device, jsonTime(now))
	case 1: // no device_id (NOT NULL)
		return fmt.Appendf(nil, `{"event_timestamp":%q,"temperature":%g,"event_type":"telemetry"}`, jsonTime(now), ev.temperature)
	case 2: // broken JSON: cut off in transit
		return good[:len(good)/2]
	case 3: // a device with a wrong clock, beyond max_future
		return fmt.Appendf(nil, `{"device_id":%q,"event_timestamp":%q,"temperature":%g,"event_type":"telemetry"}`,
			ev.device, jsonTime(now.Add(time.Hour+time.Duration(g.rng.Int64N(int64(2*time.Hour))))), ev.temperature)
	case 4: // an unparsable timestamp
		return fmt.Appendf(nil, `{"device_id":%q,"event_timestamp":"yesterday","temperature":%g}`, ev.device, ev.temperature)
	default: // a fraction for an INTEGER column
		return fmt.Appendf(nil, `{"device_id":%q,"event_timestamp":%q,"event_type":"logout","session_duration":61.5}`, ev.device, jsonTime(now))
	}
}

func jsonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// appendEventJSON appends ev as a JSON object; NULL fields are left out.
func appendEventJSON(b []byte, ev *demoEvent) []byte {
	b = append(b, `{"device_id":"`...)
	b = append(b, ev.device...)
	b = append(b, `","event_timestamp":"`...)
	b = ev.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","temperature":`...)
	b = strconv.AppendFloat(b, ev.temperature, 'f', -1, 64)
	b = append(b, `,"energy_consumed":`...)
	b = strconv.AppendFloat(b, ev.energy, 'f', -1, 64)
	if ev.user != "" {
		b = append(b, `,"user_id":"`...)
		b = append(b, ev.user...)
		b = append(b, '"')
	}
	b = append(b, `,"event_type":"`...)
	b = append(b, ev.typ...)
	b = append(b, '"')
	if ev.hasSession {
		b = append(b, `,"session_duration":`...)
		b = strconv.AppendInt(b, ev.session, 10)
	}
	if ev.hasRevenue {
		b = append(b, `,"revenue":`...)
		b = strconv.AppendFloat(b, ev.revenue, 'f', -1, 64)
	}
	return append(b, '}')
}

// run sends rate events per second until ctx ends, in batches every
// demoTick. A generator that falls more than a second behind (a slow
// disk) skips ahead instead of bursting.
func (g *demoGenerator) run(ctx context.Context, s *Server, rate int) {
	tick := time.NewTicker(demoTick)
	defer tick.Stop()
	start := time.Now()
	var sent int64
	var lastErr string
	var lastErrAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		target := int64(time.Since(start).Seconds() * float64(rate))
		due := target - sent
		if due > int64(rate) {
			sent = target - int64(rate)/10
			due = target - sent
		}
		if due <= 0 {
			continue
		}
		payloads := g.batch(time.Now(), int(due))
		sent += due
		_, _, err := s.IngestJSON(ctx, demoSource, payloads)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// The source may have been dropped by hand or the log be
			// full: say so once a minute, keep trying.
			if msg := err.Error(); msg != lastErr || time.Since(lastErrAt) > time.Minute {
				s.log.Warn("demo generator cannot ingest", "source", demoSource, "code", sqlstate.CodeOf(err), "err", err)
				lastErr, lastErrAt = msg, time.Now()
			}
		} else if lastErr != "" {
			s.log.Info("demo generator ingests again", "source", demoSource)
			lastErr = ""
		}
	}
}

// eventBuilder accumulates demo events into a record of a source's schema
// (columns matched by name; others stay NULL).
type eventBuilder struct {
	schema exec.Schema
	bs     []array.Builder
	n      int64
}

func newEventBuilder(schema exec.Schema) *eventBuilder {
	b := &eventBuilder{schema: schema, bs: make([]array.Builder, len(schema))}
	for i, c := range schema {
		b.bs[i] = exec.NewBuilder(c.Type)
	}
	return b
}

func (b *eventBuilder) add(ev *demoEvent) {
	for i, c := range b.schema {
		var v any
		switch c.Name {
		case "device_id":
			v = ev.device
		case "event_timestamp":
			v = types.TimestampOf(ev.at)
		case "temperature":
			v = ev.temperature
		case "energy_consumed":
			v = ev.energy
		case "user_id":
			if ev.user != "" {
				v = ev.user
			}
		case "event_type":
			v = ev.typ
		case "session_duration":
			if ev.hasSession {
				v = ev.session
			}
		case "revenue":
			if ev.hasRevenue {
				v = ev.revenue
			}
		}
		exec.AppendDatum(b.bs[i], c.Type, v)
	}
	b.n++
}

// record returns the accumulated rows (the caller releases it) and
// releases the builders.
func (b *eventBuilder) record() arrow.Record {
	cols := make([]arrow.Array, len(b.bs))
	for i, bb := range b.bs {
		cols[i] = bb.NewArray()
		bb.Release()
	}
	rec := array.NewRecord(b.schema.Arrow(), cols, b.n)
	for _, c := range cols {
		c.Release()
	}
	return rec
}
