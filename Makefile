# Tempest — make targets. `make demo` and `make test` work on a fresh machine:
# both install what they need (mariadb-server, mydumper) when it is missing.
GO      ?= go
BIN     := bin
GOTEST_FLAGS ?= -timeout 40m

.PHONY: all build deps demo test bench bench-physical vet clean

all: build

# The revision labels the workers' history events (and spares the SDK from
# hashing the executable at every start).
REVISION := $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS  := -X github.com/tempestdb/tempest/internal/workerhost.revision=$(REVISION) -X main.version=$(REVISION)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./starter ./worker

# Installs the system packages tests and the demo use, only when missing.
deps:
	@bash scripts/deps.sh

demo: deps build
	$(BIN)/starter demo

test: deps
	$(GO) vet ./...
	$(GO) test $(GOTEST_FLAGS) ./...

# Writes BENCHMARKS.md: Tempest's logical backend vs myloader on the same
# generated dump, plus the codec micro-benchmarks.
bench: deps build
	$(BIN)/starter bench --out BENCHMARKS.md
	bash scripts/bench-codec.sh BENCHMARKS.md

# Adds the physical backend's section to BENCHMARKS.md: per-phase MiB/s into
# the in-process sandbox cluster, vs the logical backend and a read floor.
bench-physical: build
	$(BIN)/starter bench --physical --out BENCHMARKS.md

clean:
	rm -rf $(BIN) .tempest
