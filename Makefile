# Vanity — build, run and test. See README.md.

GO       ?= go
BIN      := bin
FUZZTIME ?= 1m
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test test-go test-python lint fuzz bench bench-go bench-cluster chaos cluster-up cluster-down clean bench-resp

# The commit goes into --version also where Go's own VCS stamping is off.
COMMIT   := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +modified)

build:
	$(GO) build -ldflags "-X github.com/vanitydb/vanity/internal/version.commit=$(COMMIT)" -o $(BIN)/ ./cmd/...

# Start the all-in-one server on 127.0.0.1:9955 (files under $$HOME/.vanity).
run: build
	$(BIN)/vanity

# A local cluster of real processes: 3 nodes and a router (see docs/cluster.md).
cluster-up: build
	scripts/cluster up 3

cluster-down:
	scripts/cluster down

test: build test-go test-python

test-go:
	$(GO) test ./...

test-python: build
	@if [ -d python/tests ]; then cd python && VANITY_BIN=$(CURDIR)/$(BIN)/vanity python3 -m unittest discover -s tests -t . ; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

# The standard suite, side by side with redis-server (apt-get install
# redis-server), written to loadtest/reports/<date>-<commit>.md (+ .svg).
bench: build
	@command -v redis-server >/dev/null || { echo "bench: redis-server is needed (apt-get install redis-server)"; exit 1; }
	$(GO) run ./loadtest suite -memory -out loadtest/reports

# Micro-benchmarks of the hot paths.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./proto/ ./storage/ ./ring/ ./node/

# Vanity's port, its RESP port and redis-server side by side (ROUNDS=3).
bench-resp: build
	@command -v redis-server >/dev/null || { echo "bench-resp: redis-server is needed (apt-get install redis-server)"; exit 1; }
	scripts/bench-resp

# Router + 3 nodes with 3 copies (QUORUM) against the single process, one
# redis-server and a Redis Cluster of 3 masters + 2 replicas each, with
# rebalancing 1M keys; then the same with one copy (no Redis Cluster); then
# 3 copies again with the client speaking RESP to the routers' --resp-port.
bench-cluster: build
	@command -v redis-server >/dev/null || { echo "bench-cluster: redis-server is needed (apt-get install redis-server redis-tools)"; exit 1; }
	$(GO) run ./loadtest cluster -replicas 3 -redis-cluster -rounds 3 -out loadtest/reports
	$(GO) run ./loadtest cluster -replicas 1 -rebalance-keys 0 -out loadtest/reports
	$(GO) run ./loadtest cluster -replicas 3 -target vanity-resp -rebalance-keys 0 -out loadtest/reports
	$(GO) run ./loadtest failover -fault kill -out loadtest/reports
	$(GO) run ./loadtest failover -fault stop -out loadtest/reports

# A longer chaos run on its own 3-node cluster (CHAOS_SECONDS, default 120;
# CHAOS_REPLICAS copies of every partition, default 3): nodes killed and
# frozen while clients write, and, as root with iproute2 and iptables
# (nodes in network namespaces), cut off from each other; prints the JSON
# summary. Then the serial path's checker (registers with porcupine, and
# queues) under the same kinds of faults, a round of four faults per 5 s
# of CHAOS_SECONDS (it needs root and network namespaces, and skips
# without them).
CHAOS_SECONDS ?= 120
CHAOS_REPLICAS ?= 3
chaos: build
	@export VANITY_CLUSTER_DIR=$(CURDIR)/.chaos VANITY_CLUSTER_FAST=1 \
	  VANITY_CLUSTER_REPLICAS=$(CHAOS_REPLICAS) VANITY_CLUSTER_ANTI_ENTROPY=30s; faults=kill,stop; \
	  if [ "$$(id -u)" = 0 ] && command -v ip >/dev/null && command -v iptables >/dev/null; then \
	    export VANITY_CLUSTER_NETNS=1; faults=$$faults,partition,isolate; fi; \
	  scripts/cluster up 3 >/dev/null && scripts/chaos -d $(CHAOS_SECONDS) -i 3 -a $$faults; rc=$$?; \
	  scripts/cluster down >/dev/null; [ $$rc = 0 ] || exit $$rc; \
	  out=$$(mktemp); env -u VANITY_CLUSTER_DIR -u VANITY_CLUSTER_FAST -u VANITY_CLUSTER_ANTI_ENTROPY \
	    VANITY_SERIAL_FAULT_ROUNDS=$$(( $(CHAOS_SECONDS) / 5 )) $(GO) test ./scripts -count=1 -v -timeout 60m \
	    -run 'TestSerialIsLinearizableUnderNetworkFaults$$' >$$out 2>&1; rc=$$?; \
	  grep -v 'level=' $$out; rm -f $$out; exit $$rc

clean:
	rm -rf $(BIN)
