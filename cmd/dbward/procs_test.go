package main

import (
	"runtime"
	"testing"
)

func TestReserveProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	for _, tc := range []struct {
		env  string
		want int
	}{
		{"", before + blockingWriters},
		{"3", before}, // the operator's GOMAXPROCS wins
	} {
		runtime.GOMAXPROCS(before)
		t.Setenv("GOMAXPROCS", tc.env)
		reserveProcs()
		if got := runtime.GOMAXPROCS(0); got != tc.want {
			t.Errorf("GOMAXPROCS=%q: %d procs, want %d", tc.env, got, tc.want)
		}
	}
}
