package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/fsck"
	"golang.org/x/mod/sumdb/note"
)

// tesseraFsck runs tessera's own log checker over the Merkle log in dir: a
// second opinion on what Verify says about the log.
func tesseraFsck(t *testing.T, dir string) error {
	t.Helper()
	key, err := PublicKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	hasher := func(bundle []byte) ([][]byte, error) {
		var hs [][]byte
		err := parseBundle(bundle, func(e []byte) error {
			hs = append(hs, rfc6962.DefaultHasher.HashLeaf(e))
			return nil
		})
		return hs, err
	}
	return fsck.New(v.Name(), v, &client.FileFetcher{Root: filepath.Join(dir, logDir)}, hasher, fsck.Opts{N: 2}).Check(context.Background())
}

func TestTesseraFsckAgrees(t *testing.T) {
	dir := integratedTrail(t)
	if err := tesseraFsck(t, dir); err != nil {
		t.Fatalf("tessera fsck of an intact log: %v", err)
	}
	bad := copyDir(t, dir)
	path := filepath.Join(bad, logDir, layout.EntriesPath(0, 0))
	raw, _ := os.ReadFile(path)
	raw[100] ^= 1
	os.WriteFile(path, raw, 0o600)
	if err := tesseraFsck(t, bad); err == nil {
		t.Fatal("tessera fsck passed a log with a changed leaf")
	}
	wantProblem(t, bad, 0)
}

// TestVerifyWhileWriting: Verify reads a trail that is being written to
// without mistaking a write in progress for damage.
func TestVerifyWhileWriting(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := tr.Append(statementEvent("w", i), i%3 == 0); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 10 {
		if rep, err := Verify(context.Background(), dir, VerifyOptions{}); err != nil {
			t.Fatalf("Verify while writing: %v (%v)", err, rep)
		}
	}
	close(stop)
	<-done
	closeTrail(t, tr)
	mustVerify(t, dir)
}
