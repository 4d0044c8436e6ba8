# commandcenter — build, run and test.
#   make run    build and run `serve --demo` (SQLite under ./data, demo data)
#   make test   install what the tests need (Debian packages, Go tools), then run every test
#   make bench  the benchmarks behind the figures in the README
#   make grafana-plugin  the Grafana datasource plugin's zip, as Grafana installs it

GO       ?= go
BIN      := bin/commandcenter
TOOLS    := $(CURDIR)/bin/tools
export PATH := $(TOOLS):$(PATH)

VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH   := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# Who built it and when, as promu stamps Prometheus' own binaries.
BUILD_USER := $(shell id -un 2>/dev/null || echo unknown)@$(shell hostname 2>/dev/null || echo unknown)
BUILD_DATE := $(shell date -u +%Y%m%d-%H:%M:%S)
LDFLAGS  := -X github.com/prometheus/common/version.Version=$(VERSION) \
            -X github.com/prometheus/common/version.Revision=$(REVISION) \
            -X github.com/prometheus/common/version.Branch=$(BRANCH) \
            -X github.com/prometheus/common/version.BuildUser=$(BUILD_USER) \
            -X github.com/prometheus/common/version.BuildDate=$(BUILD_DATE)

# Debian packages the tests use: promtool, amtool, vmalert and the servers for end-to-end
# tests, protoc and the well-known protobuf types for the staleness test, Chromium for the
# Grafana plugin's browser test, zip to package the plugin, and the Python Prometheus client's
# strict OpenMetrics parser to check what /metrics serves Prometheus.
APT_PACKAGES := prometheus prometheus-alertmanager victoria-metrics protobuf-compiler libprotobuf-dev chromium zip python3-prometheus-client
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

.PHONY: all build run test deps apt-deps tools proto bench vet fmt-check tidy-check clean \
	grafana-deps grafana-test grafana-frontend grafana-gpx grafana-plugin

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/commandcenter

run: build
	./$(BIN) serve --demo

test: deps vet fmt-check tidy-check grafana-test grafana-plugin
	CC_GRAFANA_PLUGIN_ZIP=$(CURDIR)/$(PLUGIN_ZIP) $(GO) test -race -count=1 ./...

deps: apt-deps tools grafana-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

tools: $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc

$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install $(PROTOC_GEN_GO)

$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install $(PROTOC_GEN_GO_GRPC)

proto: deps
	cd plugins/proto && $(GO) generate ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy-check:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }

bench:
	$(GO) test -run '^$$' -bench 'IngestThroughPlugin' -benchtime 5x ./collector
	$(GO) test -run '^$$' -bench 'PushIngest' -benchtime 5x ./collector/api
	$(GO) test -run '^$$' -bench 'Scrape100k|Refresh100k' -benchtime 10x ./exporter
	$(GO) test -run '^$$' -bench 'ChangeVisible' -benchtime 1x ./exporter
	$(GO) test -run '^$$' -bench . -benchtime 10x ./collector/store
	$(GO) test -run '^$$' -bench 'ServeMemory' -benchtime 1x ./cmd/commandcenter
	$(GO) test -run '^$$' -bench 'Performance90Days' -benchtime 20x ./grafana/pkg/dsplugin
	$(GO) test -run '^$$' -bench 'StreamLatency' -benchtime 1x ./grafana/pkg/dsplugin

clean:
	rm -rf bin data grafana/dist grafana/tests/browser/.build

# --- The Grafana datasource plugin (grafana/) ---------------------------------------------

PLUGIN_ID     := commandcenter-commandcenter-datasource
PLUGIN_ZIP    := bin/$(PLUGIN_ID).zip
# The platforms Grafana runs on that the plugin ships a backend for (pure Go, cross-compiled).
GPX_PLATFORMS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64

grafana-deps: grafana/node_modules/.installed

# npm ci again only when the lock file changes. node_modules gets a go.mod of its own so
# that ./... leaves out the Go files some npm packages ship (go vet, go test, go mod tidy).
grafana/node_modules/.installed: grafana/package.json grafana/package-lock.json
	cd grafana && npm ci --no-audit --no-fund
	printf 'module ignored\n' > grafana/node_modules/go.mod
	touch $@

# Typecheck, lint, jest, and the editors driven in headless Chromium.
grafana-test: grafana-deps
	cd grafana && npm run typecheck && npm run lint && npm run test:ci && npm run test:browser

# The frontend's production build into grafana/dist.
grafana-frontend: grafana-deps
	cd grafana && npm run build

# The backend for every platform, gpx_commandcenter_<os>_<arch>[.exe], into grafana/dist.
grafana-gpx:
	@for p in $(GPX_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "building grafana/dist/gpx_commandcenter_$${os}_$${arch}$$ext"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w" \
			-o grafana/dist/gpx_commandcenter_$${os}_$${arch}$$ext ./grafana/pkg || exit 1; \
	done

# The zip Grafana installs: one folder named after the plugin id (see grafana/README.md).
grafana-plugin: grafana-frontend grafana-gpx
	rm -rf bin/grafana-plugin $(PLUGIN_ZIP) && mkdir -p bin/grafana-plugin
	cp -r grafana/dist bin/grafana-plugin/$(PLUGIN_ID)
	cd bin/grafana-plugin && zip -qr $(CURDIR)/$(PLUGIN_ZIP) $(PLUGIN_ID)
	@echo "$(PLUGIN_ZIP)"
