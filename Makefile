# waihu — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO ?= go
BIN := bin/waihu
LDFLAGS := -s -w -X main.version=$(VERSION)
DATA ?= ./data
LISTEN ?= 127.0.0.1:8080
# Packages whose concurrency is the point get the race detector in make test.
RACE_PKGS := ./app/jobs/... $(if $(wildcard esl),./esl/...) $(if $(wildcard app/callctl),./app/callctl/...)

# Benchmarks live next to the code they measure; only packages that exist.
BENCH_PKGS := $(foreach p,esl app/dialog app/speech app/campaign app/billing,$(if $(wildcard $(p)),./$(p)/...))

.PHONY: run deps ui build test test-go test-race test-web test-e2e bench fuzz fmt vet clean

## run: install what is missing, build the UI and the binary, start the demo
run: deps ui build
	@echo "Starting waihu in demo mode on http://$(LISTEN) (data in $(DATA)); Ctrl+C stops it."
	./$(BIN) serve --demo --listen $(LISTEN) --data $(DATA)

deps:
	bash scripts/install-deps.sh run

## ui: build the console and back office into app/web/ui (embedded by go build)
ui:
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/waihu

## test: every test — Go on SQLite and MySQL, real Redis, the race detector
## on the concurrent packages, the UI's unit tests and the browser tests.
test: test-go test-race test-web test-e2e

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

test-race:
	$(GO) test -count=1 -race -timeout 10m $(RACE_PKGS)

test-web:
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm run test:unit

test-e2e: ui build
	cd web && WAIHU_BIN=$(CURDIR)/$(BIN) npm run test:e2e

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_PKGS)

## fuzz: run each ESL fuzz target for FUZZTIME (the issue asks for 5m each)
FUZZTIME ?= 5m
fuzz:
	@for f in $$($(GO) test -list 'Fuzz.*' ./esl/ | grep ^Fuzz); do \
		echo "== $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./esl/ || exit 1; done

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf bin app/web/ui/assets app/web/ui/index.html
