# dbward — see README.md.
GO        ?= go
BIN       := bin/dbward
FUZZTIME  ?= 20s
export CGO_ENABLED := 1

.PHONY: all build test demo bench fuzz fmt vet clean deps

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dbward

# PostgreSQL (server, psql, pgbench) is installed with apt-get when missing.
deps:
	@scripts/ensure-postgres.sh

test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

demo: deps build
	$(BIN) demo

bench: build
	bench/run.sh

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for fz in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$fz"; $(GO) test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf bin .demo
