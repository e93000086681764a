package audit

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/tessera/api/layout"
)

// TestTornTailIsCut: what a crash leaves after the last seal (records never
// acknowledged, a partial frame) is kept aside and cut by Open; Verify
// before the repair does not call it tampering.
func TestTornTailIsCut(t *testing.T) {
	for name, tail := range map[string]func(frames [][]byte) []byte{
		"partial frame": func(frames [][]byte) []byte { f := frames[len(frames)-2]; return f[:len(f)/2] },
		"unsealed record": func(frames [][]byte) []byte {
			last := frames[len(frames)-2]
			next := withPrev(last, hashOf(last))
			binary.BigEndian.PutUint64(next[frameHeaderSize+2:], recordSeq(last[frameHeaderSize+1:])+1)
			finishFrame(next, 0)
			return next
		},
		"garbage record": func(frames [][]byte) []byte { return frames[3] },
		"zeros":          func([][]byte) []byte { return make([]byte, 4096) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tr := openTrail(t, dir)
			for i := range 10 {
				tr.Append(statementEvent("s", uint64(i+1)), true)
			}
			closeTrail(t, tr)
			path, frames := journalFrames(t, dir)
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.Write(tail(frames))
			f.Close()
			rep := mustVerify(t, dir)
			if name == "unsealed record" && rep.Unsealed != 1 {
				t.Errorf("Verify: %v, want 1 unsealed record", rep)
			}

			tr = openTrail(t, dir)
			closeTrail(t, tr)
			torn, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.torn-*"))
			if len(torn) != 1 {
				t.Fatalf("torn tail files %v, want one", torn)
			}
			events := readEvents(t, dir)
			if len(events) != 14 || !strings.Contains(events[12].Reason, "unacknowledged bytes") {
				t.Errorf("%d records; trail.start says %q", len(events), events[12].Reason)
			}
			if rep := mustVerify(t, dir); rep.Unsealed != 0 || len(rep.Torn) != 1 {
				t.Errorf("after repair: %v", rep)
			}
		})
	}
}

// TestDamageIsNotCut: damage further from the end than one write is not a
// crash's torn tail; Open refuses rather than cut acknowledged records.
func TestDamageIsNotCut(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	big := statementEvent("s", 1)
	big.Statement.Text = strings.Repeat("x", 12000)
	for range 900 {
		tr.Append(big, false)
	}
	closeTrail(t, tr)
	path, _ := journalFrames(t, dir)
	raw, _ := os.ReadFile(path)
	raw[len(segMagic)+200] ^= 0xff
	os.WriteFile(path, raw, 0o600)
	if _, err := Open(context.Background(), testOptions(dir)); err == nil {
		t.Fatal("Open cut a damaged journal")
	}
	wantProblem(t, dir, 0)
}

// TestLogRebuiltFromJournal: the Merkle log is derived from the journal.
// Whatever a crash leaves of it above its checkpoint (tiles written, the
// checkpoint not; torn or missing files), and even no log at all, the next
// Open rewrites it from the journal and it verifies.
func TestLogRebuiltFromJournal(t *testing.T) {
	// Each case gets the log after two runs and a copy of it after the
	// first; putting the copy back over it gives the first run's checkpoint
	// (and the partial tiles it needs) with the second run's tiles above
	// it: what a crash before the second checkpoint leaves.
	for name, damage := range map[string]func(t *testing.T, logPath, older string){
		"tiles above the checkpoint": func(t *testing.T, logPath, older string) {
			copyTree(t, older, logPath)
		},
		"torn tiles above the checkpoint": func(t *testing.T, logPath, older string) {
			copyTree(t, older, logPath)
			// Not fsynced before a power cut: the full tile at the old edge,
			// the bundle after it, a tile never covered.
			for _, p := range []string{layout.TilePath(0, 1, 0), layout.EntriesPath(1, 0), layout.TilePath(0, 2, 0)} {
				os.WriteFile(filepath.Join(logPath, p), []byte("torn"), 0o600)
			}
		},
		"no log": func(t *testing.T, logPath, _ string) {
			os.RemoveAll(logPath)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			run := func() { // 302 records, with trail.start and trail.stop
				tr := openTrail(t, dir)
				for i := range 300 {
					tr.Append(statementEvent("s", uint64(i+1)), false)
				}
				closeTrail(t, tr)
			}
			run()
			older := copyDir(t, filepath.Join(dir, logDir))
			run()
			damage(t, filepath.Join(dir, logDir), older)
			run()
			rep := mustVerify(t, dir)
			if rep.Leaves != 906 || rep.Records != 906 || rep.Tail != 0 || rep.Checkpoint.Size != 906 {
				t.Fatalf("after reopening: %v, want all 906 records in the log", rep)
			}
			if err := tesseraFsck(t, dir); err != nil {
				t.Fatalf("fsck: %v", err)
			}
		})
	}
}

// TestLogEdgeDamageRefused: tiles at the checkpoint's edge that do not hash
// to its root are damage, not a crash: Open refuses to build on them.
func TestLogEdgeDamageRefused(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	for i := range 300 {
		tr.Append(statementEvent("s", uint64(i+1)), false)
	}
	closeTrail(t, tr) // 302 records: the edge is tile 0/1, 46 wide
	path := filepath.Join(dir, logDir, layout.TilePath(0, 1, 46))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[5] ^= 1
	os.WriteFile(path, raw, 0o600)
	_, err = Open(context.Background(), testOptions(dir))
	if err == nil || !strings.Contains(err.Error(), "dbward audit verify") {
		t.Fatalf("Open = %v, want a refusal naming dbward audit verify", err)
	}
}
