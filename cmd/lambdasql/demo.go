package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"lambdasql/server"
)

// startDemo creates the demo source and views on first start, runs the
// telemetry generator and tells the user how to look at it.
//
// A first start backfills history and builds three views, which takes a
// while: SIGINT or SIGTERM meanwhile closes the server cleanly (the
// half-built demo is completed on the next start) and exits 0.
func startDemo(srv *server.Server, o options, log *slog.Logger) error {
	log.Info("starting the demo", "events_per_sec", o.demoRate, "devices", o.demoDevices, "backfill", o.demoBackfill)
	// Registered before main's own handler and left registered: after
	// StartDemo returns, main's channel takes the signals and this one
	// just stays full.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	errc := make(chan error, 1)
	go func() {
		errc <- server.StartDemo(srv, server.DemoConfig{Rate: o.demoRate, Devices: o.demoDevices, Backfill: o.demoBackfill})
	}()
	select {
	case err := <-errc:
		if err != nil {
			return err
		}
	case s := <-sig:
		log.Info("shutting down while the demo starts", "signal", s.String())
		err := srv.Close() // cancels the demo's setup and waits for it
		<-errc
		if err != nil {
			log.Error("shutdown", "err", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	printDemoHelp(os.Stdout, srv.Addr(), srv.HTTPAddr())
	return nil
}

// printDemoHelp prints how to connect and what to try.
func printDemoHelp(w io.Writer, pgAddr, httpAddr string) {
	host, port, err := net.SplitHostPort(pgAddr)
	if err != nil {
		host, port = "127.0.0.1", "5433"
	}
	fmt.Fprintf(w, `
lambdasql demo is running: IoT telemetry flows into the source "telemetry",
and the lambda views device_metrics (1m windows), device_hourly (1h) and
user_activity (10m) serve batch history up to B and the speed layer after it.

Connect:
  psql -h %s -p %s -U lambdasql
`, host, port)
	if httpAddr != "" {
		fmt.Fprintf(w, `
Status page:  http://%[1]s/
Metrics:      http://%[1]s/metrics   (Grafana dashboard: http://%[1]s/grafana/dashboard.json)
`, httpAddr)
	}
	fmt.Fprint(w, `
Try:
  -- the newest windows of one device, and which layer serves each
  SELECT window_start, event_count, round(avg_temperature::numeric, 2) AS avg_temp, _layer
  FROM device_metrics WHERE device_id = 'device-00042' ORDER BY window_start DESC LIMIT 10;

  -- batch watermark B, freshness and speed-layer state of every view
  SELECT name, batch_watermark, freshness, speed_windows, late_events FROM lambda_views;

  -- malformed events, kept with the reason they were rejected
  SELECT received_at, error, payload FROM lambda_rejected ORDER BY received_at DESC LIMIT 5;

Press Ctrl-C to stop; the data directory keeps everything for the next start.
`)
}
