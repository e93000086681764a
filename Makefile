# dbward — see README.md.
#   make build   bin/dbward
#   make test    installs PostgreSQL when missing, then go vet and every test
#                (CI=true, as .ci/run sets it: a missing PostgreSQL fails the
#                tests that need one instead of skipping them)
#   make demo    bin/dbward demo: PostgreSQL with sample data, dbward in front
#   make bench   bench/run.sh: pgbench direct vs PgBouncer vs dbward
#   make fuzz    every Fuzz target for FUZZTIME each (default 20s)
#   make fmt     gofmt every Go file
#   make clean   remove what the targets above leave behind

GO       ?= go
BIN      := bin/dbward
FUZZTIME ?= 20s
# pg_query_go is cgo.
export CGO_ENABLED := 1

.PHONY: all build test vet demo bench fuzz fmt clean ensure-postgres

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dbward

ensure-postgres:
	@scripts/ensure-postgres.sh

test: ensure-postgres
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

vet:
	$(GO) vet ./...

demo: build ensure-postgres
	$(BIN) demo

# bench/run.sh installs PgBouncer when missing and builds bin/dbward itself.
bench:
	bench/run.sh

# Packages whose tests declare `func Fuzz...` are asked for their targets
# with `go test -list`, which fails loudly when a package does not compile;
# each target then runs alone (go test -fuzz takes one target at a time).
fuzz:
	@set -e; \
	pkgs=$$(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git '^func Fuzz' . \
	  | xargs -r -n1 dirname | sort -u); \
	[ -n "$$pkgs" ] || { echo "fuzz: no Fuzz targets found"; exit 1; }; \
	for pkg in $$pkgs; do \
	  list=$$($(GO) test -list 'Fuzz.*' $$pkg) || { echo "$$list"; exit 1; }; \
	  for fz in $$(echo "$$list" | grep '^Fuzz'); do \
	    echo "== $$pkg $$fz ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

fmt:
	@gofmt -l -w $$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*')

clean:
	rm -rf bin .demo
