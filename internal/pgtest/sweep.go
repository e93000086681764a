package pgtest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// sweepOnce makes Start sweep once per process.
var sweepOnce sync.Once

// sweep removes the server directories under base whose owning process
// (ownerFile) has died without stopping its server — a panicking test, a
// killed test binary — and kills a postmaster still running in one (its
// parent-death signal should have ended it already). A directory without a
// readable ownerFile, or whose owner runs, is left alone. Errors are
// ignored: sweeping is best effort and must not fail a Start.
func sweep(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		owner, err := readPID(filepath.Join(dir, ownerFile))
		if err != nil || alive(owner) {
			continue
		}
		data := filepath.Join(dir, "data")
		if pm, err := readPID(filepath.Join(data, "postmaster.pid")); err == nil && alive(pm) && runsIn(pm, data) {
			syscall.Kill(pm, syscall.SIGKILL)
		}
		os.RemoveAll(dir)
	}
}

// readPID reads the process id on the first line of path.
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err == nil && pid <= 0 {
		err = errors.New("not a process id")
	}
	return pid, err
}

// alive reports whether process pid exists and is not a zombie. A process
// of another user counts as alive (kill says EPERM).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill
	}
	// The state follows the command name, which is in parentheses and may
	// itself hold ") ".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// runsIn reports whether process pid is a postmaster started on data: its
// command line names the directory. A pid reused by another program does
// not match.
func runsIn(pid int, data string) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if string(arg) == data {
			return true
		}
	}
	return false
}
