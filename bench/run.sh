#!/usr/bin/env bash
# Benchmark: pgbench directly, through PgBouncer (session mode) and through
# dbward with its guardrails on, alternating runs in one go; prints TPS,
# latency and the ratios. Usage: bench/run.sh [-duration 15s] [-rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh --bench
# A benchmark build: the same code, plus serve --no-audit for the audit-off target.
CGO_ENABLED=1 go build -tags dbward_bench -o bin/dbward-bench ./cmd/dbward
exec go run ./bench "$@"
