package server

import (
	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/stream"
)

// openKafka connects a Kafka source's log.
func (e *engine) openKafka(src *catalog.Source, schema exec.Schema) (stream.Log, error) {
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "Kafka sources are not available in this build")
}
