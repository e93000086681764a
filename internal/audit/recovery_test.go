package audit

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
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

// TestRefeedAfterInterruptedRound: the log holds a prefix of the journal
// and, from an interrupted round, some later records out of order; Open
// feeds exactly the missing ones.
func TestRefeedAfterInterruptedRound(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	first := appendJournalOnly(t, dir, 40)
	if first != 0 {
		t.Fatalf("journal starts at %d", first)
	}
	signer, _, err := loadOrCreateKey(dir, "unused")
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	Records(context.Background(), dir, 0, func(uint64, []byte) error { return nil })
	pos := &durablePos{seq: 40, seg: 0, end: 1 << 40, segments: []uint64{0}}
	c := &cursor{dir: filepath.Join(dir, journalDir)}
	if err := c.each(pos, 0, 40, func(_ uint64, body []byte) error {
		leaves = append(leaves, append([]byte(nil), body...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Feed 0-19, then 22, 21, 25: a round cut short, reordered, with holes.
	ctx, cancel := context.WithCancel(context.Background())
	driver, _ := posix.New(ctx, posix.Config{Path: filepath.Join(dir, logDir)})
	app, shutdown, _, err := tessera.NewAppender(ctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).WithCheckpointInterval(100*time.Millisecond).WithBatching(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(seqRange(0, 20), 22, 21, 25) {
		if _, err := app.Add(ctx, tessera.NewEntry(leaves[s]))(); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(ctx)
	cancel()

	tr := openTrail(t, dir)
	closeTrail(t, tr)
	rep := mustVerify(t, dir)
	if rep.Leaves != 42 || rep.Records != 42 || rep.Tail != 0 {
		t.Fatalf("after re-feed: %v, want all 42 records in the log once", rep)
	}
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s < to; s++ {
		out = append(out, s)
	}
	return out
}
