package lambdatest

import (
	"testing"
	"time"
)

func TestProbeIdle(t *testing.T) {
	srv := openServer(t, t.TempDir())
	conn := connect(t, srv.addr())
	mustExec(t, conn, sourceDDL("ev", time.Minute, 2, "idle_timeout = '1s'"))
	mustExec(t, conn, viewDDL("v", "ev", tumbling(minute, minute)))
	m := newModel(tumbling(minute, minute), 2)
	s := newScenario(t, conn, "ev", "v", m, newGenerator(41, m, false))
	ins := func(ts int64) { s.insertEvents([]event{s.g.newEvent(ts)}) }
	ins(t0 + 10*minute)
	ins(t0 + 2*minute)
	mustExec(t, conn, "REFRESH VIEW v")
	ins(t0 + 11*minute)
	time.Sleep(1500 * time.Millisecond)
	mustExec(t, conn, "REFRESH VIEW v")
	mf := srv.srv.Catalog().Snapshot().Manifests["ev"]
	t.Logf("now %d committed %d marks %+v wm %d valid %v", time.Now().UnixMicro(), mf.CommittedAt, mf.Marks, mf.Watermark, mf.WatermarkValid)
	t.Logf("status %+v", readStatus(t, conn, "v"))
}
