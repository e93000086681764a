package main

import (
	"os"
	"runtime"
)

// blockingWriters is how many goroutines of a running proxy spend much of
// their time blocked in file system calls: the audit journal writer
// (fdatasync per group commit) and the Merkle log writer (tile files).
const blockingWriters = 2

// reserveProcs gives the runtime one P more than it would have per
// goroutine that blocks in file I/O, unless GOMAXPROCS is set. With one P
// per core, a P whose goroutine sits in fdatasync while the others are busy
// is taken away by sysmon and handed to a new thread; the event loop then
// loses its P at each epoll_wait, and every statement pays for thread
// wake-ups and a sysmon polling every 20 µs. With a spare P per blocking
// writer nothing needs taking: on 2 cores that cut the audited proxy's CPU
// per select-only statement by about a sixth (see the README's benchmarks).
func reserveProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + blockingWriters)
}
