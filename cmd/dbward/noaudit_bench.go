//go:build dbward_bench

package main

// Benchmark builds (go build -tags dbward_bench, as bench/run.sh does for
// bin/dbward-bench) accept serve --no-audit, so bench/ can measure what
// the audit trail costs. Release builds have no way to serve unaudited.
func init() { benchBuild = true }
