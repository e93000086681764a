package audit

import (
	"crypto/sha256"
	"hash"
)

// treeBuilder computes an RFC 6962 Merkle tree leaf by leaf, keeping only
// the compact range (the roots of its perfect subtrees). It reports every
// node it completes at a level that tlog tiles store (8, 16, …), so that
// Verify can compare the hash tiles too.
type treeBuilder struct {
	h     hash.Hash
	buf   [1 + 64]byte
	out   [32]byte
	stack [][32]byte
	size  uint64
	// onNode, if not nil, is called with each completed node at a tree
	// level that is a positive multiple of 8.
	onNode func(level uint, index uint64, node [32]byte)
}

func newTreeBuilder() *treeBuilder {
	t := &treeBuilder{h: sha256.New()}
	t.buf[0] = 1 // RFC 6962 node prefix
	return t
}

func (t *treeBuilder) children(l, r *[32]byte) [32]byte {
	copy(t.buf[1:33], l[:])
	copy(t.buf[33:], r[:])
	t.h.Reset()
	t.h.Write(t.buf[:])
	t.h.Sum(t.out[:0])
	return t.out
}

// append adds the next leaf hash.
func (t *treeBuilder) append(leaf [32]byte) {
	node := leaf
	level := uint(0)
	for n := t.size; n&1 == 1; n >>= 1 {
		left := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		node = t.children(&left, &node)
		level++
		if level%8 == 0 && t.onNode != nil {
			t.onNode(level, t.size>>level, node)
		}
	}
	t.stack = append(t.stack, node)
	t.size++
}

// root returns the root hash of the tree so far.
func (t *treeBuilder) root() [32]byte {
	if len(t.stack) == 0 {
		return sha256.Sum256(nil)
	}
	r := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		r = t.children(&t.stack[i], &r)
	}
	return r
}
