# commandcenter — build, run and test.
#   make run    build and run `serve --demo` (SQLite under ./data, demo data)
#   make test   install what the tests need (Debian packages, Go tools), then run every test
#   make bench  the benchmarks behind the figures in the README

GO       ?= go
BIN      := bin/commandcenter
TOOLS    := $(CURDIR)/bin/tools
export PATH := $(TOOLS):$(PATH)

VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/prometheus/common/version.Version=$(VERSION) \
            -X github.com/prometheus/common/version.Revision=$(REVISION) \
            -X github.com/prometheus/common/version.Branch=main

# Debian packages the tests use: promtool, amtool, vmalert and the servers for end-to-end
# tests, protoc and the well-known protobuf types for the staleness test.
APT_PACKAGES := prometheus prometheus-alertmanager victoria-metrics protobuf-compiler libprotobuf-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

.PHONY: all build run test deps apt-deps tools proto bench vet fmt-check tidy-check clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/commandcenter

run: build
	./$(BIN) serve --demo

test: deps vet fmt-check tidy-check
	$(GO) test -race -count=1 ./...

deps: apt-deps tools

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
	$(GO) test -run '^$$' -bench 'IngestThroughPlugin' -benchtime 3x ./collector
	$(GO) test -run '^$$' -bench . -benchtime 10x ./exporter ./collector/store

clean:
	rm -rf bin data
