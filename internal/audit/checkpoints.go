package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed checkpoint of the Merkle log: the log's origin
// (the key's name), its size and root hash, and Raw, the signed note
// (c2sp.org/tlog-checkpoint) that holds them.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Raw    []byte
}

// openCheckpoint checks the signature on raw with the verifier key vkey and
// returns what it says.
func openCheckpoint(raw []byte, vkey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	cp, _, _, err := f_log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Raw: raw}, nil
}

// appendArchive appends a signed checkpoint to the archive in dir. The
// archive keeps one checkpoint a minute, and the last one of every run, so
// that Verify can narrow down damage and Prove can show consistency between
// past and present states of the log.
func appendArchive(dir string, raw []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, checkpointFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	b := appendFrameStart(nil, frameCheckpoint)
	b = append(b, raw...)
	finishFrame(b, 0)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := fdatasync(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// archived is one checkpoint from the archive, or a problem with it.
type archived struct {
	*Checkpoint
	Err error // the entry does not verify (Checkpoint is nil)
}

// readArchive returns the archived checkpoints in the order written and
// the length of the archive up to the last whole frame (an append cut short
// by a crash leaves a partial frame after it). A damaged frame ends the list
// with an entry whose Err says so.
func readArchive(dir, vkey string) ([]archived, int64, error) {
	raw, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var out []archived
	good := int64(0)
	for len(raw) > 0 {
		fr, err := decodeFrame(raw)
		if errors.Is(err, errShort) {
			return out, good, nil
		}
		if err == nil && fr.kind != frameCheckpoint {
			err = fmt.Errorf("%w: %c frame in the checkpoint archive", errFrame, fr.kind)
		}
		if err != nil {
			return append(out, archived{Err: err}), good, nil
		}
		cp, err := openCheckpoint(fr.body, vkey)
		out = append(out, archived{Checkpoint: cp, Err: err})
		raw = raw[fr.size:]
		good += int64(fr.size)
	}
	return out, good, nil
}

// repairArchive cuts a partial frame from the end of the archive.
func repairArchive(dir, vkey string) (lastSize uint64, err error) {
	arch, good, err := readArchive(dir, vkey)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, checkpointFile)
	if fi, err := os.Stat(path); err == nil && fi.Size() > good && (len(arch) == 0 || arch[len(arch)-1].Err == nil) {
		if err := os.Truncate(path, good); err != nil {
			return 0, err
		}
	}
	for i := len(arch) - 1; i >= 0; i-- {
		if arch[i].Checkpoint != nil {
			return arch[i].Size, nil
		}
	}
	return 0, nil
}
