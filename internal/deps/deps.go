// Package deps pins the modules the project builds on until their users land.
package deps

import (
	_ "github.com/DataDog/sketches-go/ddsketch"
	_ "github.com/IBM/sarama"
	_ "github.com/apache/arrow/go/v15/arrow"
	_ "github.com/axiomhq/hyperloglog"
	_ "github.com/caio/go-tdigest/v4"
	_ "github.com/cockroachdb/apd/v3"
	_ "github.com/cockroachdb/datadriven"
	_ "github.com/cockroachdb/pebble/v2"
	_ "github.com/jackc/pgerrcode"
	_ "github.com/jackc/pgproto3/v2"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/lib/pq"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/pingcap/tidb/pkg/parser"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/valyala/fastjson"
	_ "github.com/xdg-go/scram"
	_ "go.etcd.io/bbolt"
)
