package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
)

// Journal frames (doc.go has the picture):
//
//	length uint32 LE   bytes after the 8-byte frame header: kind + body
//	crc    uint32 LE   CRC-32C of kind + body
//	kind   byte        frameHeader, frameRecord or frameSeal
//	body   [length-1]byte
//
// A record's body is its leaf: the bytes the Merkle log holds.
//
//	version byte      recordVersion
//	seq     uint64 BE journal sequence number, from 0, no gaps
//	prev    [32]byte  hash of the previous record (zeros before record 0)
//	event   JSON      Event.AppendJSON with ID, Time and limits applied
//
// The hash of a record is its RFC 6962 leaf hash, SHA-256(0x00 || body),
// so the hash chain and the Merkle tree hash each record the same way.
//
// A seal follows every group-committed write and signs the chain head:
//
//	version byte, seq uint64 BE (last record), head [32]byte, keyhash uint32 BE, signature [64]byte
//
// A segment header opens every journal file:
//
//	version byte, first uint64 BE (seq of its first record), prev [32]byte (hash before it)
const (
	frameHeaderSize = 8
	frameHeader     = 'H'
	frameRecord     = 'R'
	frameSeal       = 'S'
	frameCheckpoint = 'C' // in the checkpoint archive: a signed checkpoint note

	recordVersion    = 1
	recordHeaderSize = 1 + 8 + 32
	sealBodySize     = 1 + 8 + 32 + 4 + 64
	segHeaderSize    = 1 + 8 + 32

	// maxFrameSize bounds a frame's length field; records are at most
	// 64 KiB, so anything larger is damage, not data.
	maxFrameSize = 1 << 17
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errFrame is wrapped by every frame decoding error.
var errFrame = errors.New("bad frame")

// frame is one decoded journal frame; body aliases the decoded buffer.
type frame struct {
	kind byte
	body []byte
	size int // bytes the frame takes in the journal
}

// decodeFrame decodes the frame at the start of b. It returns
// io.ErrUnexpectedEOF-like errShort when b holds only part of a frame, and an
// error wrapping errFrame when the bytes are not a valid frame.
func decodeFrame(b []byte) (frame, error) {
	if len(b) < frameHeaderSize {
		return frame{}, errShort
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 || n > maxFrameSize {
		return frame{}, fmt.Errorf("%w: length %d", errFrame, n)
	}
	if len(b) < frameHeaderSize+int(n) {
		return frame{}, errShort
	}
	data := b[frameHeaderSize : frameHeaderSize+int(n)]
	if crc32.Checksum(data, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return frame{}, fmt.Errorf("%w: checksum mismatch", errFrame)
	}
	f := frame{kind: data[0], body: data[1:], size: frameHeaderSize + int(n)}
	want := -1
	switch f.kind {
	case frameRecord:
		if len(f.body) < recordHeaderSize || f.body[0] != recordVersion {
			return frame{}, fmt.Errorf("%w: record of %d bytes is not a version %d record", errFrame, len(f.body), recordVersion)
		}
	case frameSeal:
		want = sealBodySize
	case frameCheckpoint:
	case frameHeader:
		want = segHeaderSize
	default:
		return frame{}, fmt.Errorf("%w: unknown kind %q", errFrame, f.kind)
	}
	if want >= 0 && (len(f.body) != want || f.body[0] != recordVersion) {
		return frame{}, fmt.Errorf("%w: %c frame of %d bytes", errFrame, f.kind, len(f.body))
	}
	return f, nil
}

var errShort = errors.New("incomplete frame")

// appendFrameStart appends a frame header placeholder and the kind byte; the
// caller appends the body and then calls finishFrame with the frame's start.
func appendFrameStart(b []byte, kind byte) []byte {
	return append(b, 0, 0, 0, 0, 0, 0, 0, 0, kind)
}

// finishFrame fills in the length and checksum of the frame starting at
// b[start:].
func finishFrame(b []byte, start int) {
	data := b[start+frameHeaderSize:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(data, castagnoli))
}

// recordSeq returns the sequence number of a record body (a leaf).
func recordSeq(body []byte) uint64 { return binary.BigEndian.Uint64(body[1:9]) }

// recordPrev returns the previous record's hash stored in a record body.
func recordPrev(body []byte) []byte { return body[9:41] }

// recordEvent returns the event JSON of a record body.
func recordEvent(body []byte) []byte { return body[recordHeaderSize:] }

// parseLeaf checks that leaf is a record body and returns its seq.
func parseLeaf(leaf []byte) (uint64, error) {
	if len(leaf) < recordHeaderSize || leaf[0] != recordVersion {
		return 0, fmt.Errorf("%w: leaf of %d bytes is not a dbward record", errFrame, len(leaf))
	}
	return recordSeq(leaf), nil
}

// leafHasher computes RFC 6962 leaf hashes, SHA-256(0x00 || b), reusing
// its state; one per goroutine.
type leafHasher struct {
	h   hash.Hash
	out [32]byte
}

func newLeafHasher() *leafHasher { return &leafHasher{h: sha256.New()} }

func (l *leafHasher) sum(b []byte) [32]byte {
	l.h.Reset()
	l.h.Write(zeroByte[:])
	l.h.Write(b)
	l.h.Sum(l.out[:0])
	return l.out
}

var zeroByte [1]byte

// sealMessage is what a seal signs: a context string, then the body up to
// the key hash.
func sealMessage(dst []byte, seq uint64, head []byte) []byte {
	dst = append(dst, "dbward audit journal seal v1\n"...)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, head...)
}

// parseBundle splits a tlog-tiles entry bundle (2-byte big-endian length,
// then the entry, repeated) and calls fn with each entry, which aliases b.
func parseBundle(b []byte, fn func(entry []byte) error) error {
	for len(b) > 0 {
		if len(b) < 2 {
			return fmt.Errorf("%w: dangling byte in entry bundle", errFrame)
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return fmt.Errorf("%w: entry of %d bytes overruns its bundle", errFrame, n)
		}
		if err := fn(b[2 : 2+n]); err != nil {
			return err
		}
		b = b[2+n:]
	}
	return nil
}
