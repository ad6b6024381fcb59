package main

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The benchmark telemetry, after the seeds' IoT scenario: devices report
// temperature and energy; users log in, transact and log out through them.
// Every field of event i is a pure function of (seed, i), so any slice of
// the data set can be generated on its own, in parallel, and regenerated
// identically.
const (
	numDevices = 10_000
	numUsers   = 100_000
	// hotShare is the share of readings above 85 °C (Q4's predicate).
	hotShare = 0.03
)

// epoch is the first instant of the generated Parquet data set: day d of
// the data set is epoch + d days.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// event is one telemetry event. hasSession and hasRevenue mark the
// nullable integer and float columns (NULL when false).
type event struct {
	device      int // 0 … numDevices-1
	tsMicros    int64
	temperature float64
	energy      float64
	user        int // 0 … numUsers-1
	typ         int // index into eventTypes
	session     int32
	hasSession  bool
	revenue     float64
	hasRevenue  bool
}

var eventTypes = [...]string{"login", "transaction", "telemetry", "logout"}

// mix is SplitMix64's finalizer: a bijection of uint64 with good
// avalanche, used as a counter-based random generator.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a random word to [0, 1).
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// makeEvent returns event i of the stream with the given seed, stamped
// tsMicros.
func makeEvent(seed uint64, i int64, tsMicros int64) event {
	r := mix(seed ^ mix(uint64(i)))
	r1, r2, r3, r4, r5 := mix(r+1), mix(r+2), mix(r+3), mix(r+4), mix(r+5)
	ev := event{device: int(r % numDevices), tsMicros: tsMicros}
	// A device's base temperature is a function of the device, so groups
	// have a stable mean and a real spread.
	base := 18 + 12*unit(mix(uint64(ev.device)+0x5eed))
	if unit(r1) < hotShare {
		ev.temperature = round2(85 + 15*unit(r2)) // an overheating device
	} else {
		ev.temperature = round2(base + 6*(unit(r2)-0.5) + 3*(unit(r3)-0.5))
	}
	ev.energy = math.Round((0.2+1.8*unit(r4))*1000) / 1000
	ev.user = int(r5 % numUsers)
	switch u := unit(r3 ^ r5); {
	case u < 0.10:
		ev.typ = 0
	case u < 0.30:
		ev.typ = 1
		ev.revenue, ev.hasRevenue = round2(1+200*unit(r1^r4)), true
	case u < 0.90:
		ev.typ = 2
	default:
		ev.typ = 3
		ev.session, ev.hasSession = int32(5+(r2>>7)%3600), true
	}
	return ev
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// deviceID and userID name devices and users as the demo does.
func deviceID(d int) string { return fmt.Sprintf("device-%05d", d) }
func userID(u int) string   { return fmt.Sprintf("user-%06d", u) }

func appendDeviceID(b []byte, d int) []byte {
	b = append(b, "device-"...)
	return appendPadded(b, d, 5)
}

func appendUserID(b []byte, u int) []byte {
	b = append(b, "user-"...)
	return appendPadded(b, u, 6)
}

func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// sourceColumnsSQL is the column list of the telemetry sources the
// ingest and lambda benchmarks create (the demo's source).
const sourceColumnsSQL = `device_id        TEXT NOT NULL,
  event_timestamp  TIMESTAMPTZ NOT NULL,
  temperature      DOUBLE PRECISION,
  energy_consumed  DOUBLE PRECISION,
  user_id          TEXT,
  event_type       TEXT,
  session_duration INTEGER,
  revenue          DOUBLE PRECISION`

// sourceColumnNames lists the columns of sourceColumnsSQL in order.
var sourceColumnNames = []string{"device_id", "event_timestamp", "temperature", "energy_consumed",
	"user_id", "event_type", "session_duration", "revenue"}

// appendCSV appends ev as one CSV line in the column order of
// sourceColumnsSQL; NULL is the empty field (COPY … (FORMAT csv)).
func appendCSV(b []byte, ev *event) []byte {
	b = appendDeviceID(b, ev.device)
	b = append(b, ',')
	b = appendTimestamp(b, ev.tsMicros)
	b = append(b, ',')
	b = strconv.AppendFloat(b, ev.temperature, 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, ev.energy, 'f', -1, 64)
	b = append(b, ',')
	b = appendUserID(b, ev.user)
	b = append(b, ',')
	b = append(b, eventTypes[ev.typ]...)
	b = append(b, ',')
	if ev.hasSession {
		b = strconv.AppendInt(b, int64(ev.session), 10)
	}
	b = append(b, ',')
	if ev.hasRevenue {
		b = strconv.AppendFloat(b, ev.revenue, 'f', -1, 64)
	}
	return append(b, '\n')
}

// appendJSON appends ev as one JSON object with every column, NULLs
// explicit (about 235 bytes, the size PERF-NOTES measured).
func appendJSON(b []byte, ev *event) []byte {
	b = append(b, `{"device_id":"`...)
	b = appendDeviceID(b, ev.device)
	b = append(b, `","event_timestamp":"`...)
	b = appendTimestamp(b, ev.tsMicros)
	b = append(b, `","temperature":`...)
	b = strconv.AppendFloat(b, ev.temperature, 'f', -1, 64)
	b = append(b, `,"energy_consumed":`...)
	b = strconv.AppendFloat(b, ev.energy, 'f', -1, 64)
	b = append(b, `,"user_id":"`...)
	b = appendUserID(b, ev.user)
	b = append(b, `","event_type":"`...)
	b = append(b, eventTypes[ev.typ]...)
	b = append(b, `","session_duration":`...)
	if ev.hasSession {
		b = strconv.AppendInt(b, int64(ev.session), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"revenue":`...)
	if ev.hasRevenue {
		b = strconv.AppendFloat(b, ev.revenue, 'f', -1, 64)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"firmware":"2.4.1"}`...)
	return b
}

// appendTimestamp appends an RFC 3339 UTC timestamp with microseconds,
// which both PostgreSQL and lambdasql read as timestamptz.
func appendTimestamp(b []byte, micros int64) []byte {
	return time.UnixMicro(micros).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
}
