package main

import (
	"log/slog"

	"lambdasql/server"
)

// startDemo creates the demo source and views on first start and runs the
// telemetry generator.
func startDemo(srv *server.Server, o options, log *slog.Logger) error {
	return server.StartDemo(srv, server.DemoConfig{Rate: o.demoRate, Devices: o.demoDevices, Backfill: o.demoBackfill})
}
