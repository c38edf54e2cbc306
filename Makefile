# berth: make demo (install what is missing, start the demo), make test (the whole suite).
GO ?= go
BIN := bin/berth
export CGO_ENABLED := 0

.PHONY: all build deps demo test test-v2 unit integration bench bench-ui screenshots vet clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) .
	$(GO) build -trimpath -ldflags='-s -w' -o bin/berth-shim ./shim/berth-shim
	$(GO) build -trimpath -o bin/berth-inspect ./inspect/berth-inspect

# Installs busybox-static, iptables, tmux, libseccomp-dev, pkg-config, docker.io,
# containerd and podman (their daemons not started), runc at go.mod's version
# and CRIU 4.x; quick when everything is present.
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

# The integration suite again on a real cgroup v2 kernel: a QEMU guest
# (Debian 12's kernel, unpacked privately) over the host's root read-only,
# core's runtime-sensitive tests also with crun. About 8 minutes.
test-v2: deps
	bash scripts/test-v2.sh

unit:
	$(GO) test -count=1 -short ./...

# Start, remove, stats sweeps and shim memory against bare runc and the raw
# cgroup read; commands about one container at 10 / 300 / BENCH_ONE_MAX
# containers (1000 shims take about 2 GiB; 0 stops at 300); OOM kill to
# event latency; the watch loop's idle CPU (60 s).
BENCH_ONE_MAX ?= 1000
bench: deps build
	BERTH_BENCH_ONE_MAX=$(BENCH_ONE_MAX) $(GO) test -run '^$$' -bench . -benchtime 15x -timeout 60m ./core/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./watch/
	$(MAKE) bench-ui

# The terminal UI: a list frame at 1000 containers, a logs frame, the
# processes and stats tabs (no root needed); then, as root over real
# containers, berth's CPU showing 100 idle ones for 60 s
# (BERTH_BENCH_IDLE), while 1000 are removed with berth rm -f
# (BERTH_BENCH_RM, the count) and while 100 are each OOM-killed about once
# a second for 30 s (BERTH_BENCH_OOM), and its RSS following a chatty log
# (BERTH_BENCH_LOGS, default 10 minutes).
bench-ui: deps build
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./ui/ ./ui/containers/ ./ui/logs/
	$(GO) test -run '^$$' -bench . -benchtime 20x ./ui/container/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./ui/e2e/

# Renders every screen and each theme's list from the real views over the
# in-memory fake core into screenshots/*.png.
screenshots:
	$(GO) run ./scripts/screenshots

clean:
	rm -rf bin
