GO ?= go
BIN := bin/lambdasql
# make test runs every Go test plus each fuzz target briefly.
FUZZTIME ?= 5s

.PHONY: build run demo test test-go test-fuzz test-clients bench vet fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/lambdasql

run: build
	./$(BIN) demo

test: build vet test-go test-fuzz

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 -timeout 12m ./... ./testdata/slt ./testdata/lambdatest

test-fuzz:
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$t/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$t $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$t || exit 1; \
	  done; \
	done

# test-clients runs real clients (psql, psycopg2/3, node-postgres, pgjdbc,
# kcat, Chromium, Grafana and Npgsql statement replays) against a demo
# server; .ci/run installs them. See clients/README.md.
test-clients: build
	./scripts/test-clients.sh

bench: build
	./scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
