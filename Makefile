# berth: make demo (install what is missing, start the demo), make test (the whole suite).
GO ?= go
BIN := bin/berth
export CGO_ENABLED := 0

.PHONY: all build deps demo test unit integration bench vet clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) .

# Installs busybox-static, iptables, tmux, libseccomp-dev, pkg-config, runc at
# go.mod's version and CRIU 4.x; quick when everything is present.
deps:
	bash scripts/deps.sh

demo: deps build
	$(BIN) demo

vet:
	$(GO) vet ./...

# Unit tests need nothing; integration tests need root, runc and CRIU and run
# when BERTH_REQUIRE_INTEGRATION is set or everything is present.
test: deps build vet
	$(GO) test -count=1 -timeout 30m ./...

unit:
	$(GO) test -count=1 -short ./...

# Start, remove, stats sweeps and shim memory against bare runc and the raw
# cgroup read; OOM kill to event latency; the watch loop's idle CPU (60 s).
bench: deps build
	$(GO) test -run '^$$' -bench . -benchtime 15x -timeout 30m ./core/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./watch/

clean:
	rm -rf bin
