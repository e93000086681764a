package analyze

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// cache is a bounded, sharded map from string keys to values, safe for
// concurrent use. Lookups take a shard's read lock and set the entry's
// reference bit; eviction is CLOCK (second chance): when a shard is full,
// a hand sweeps its slots, clearing reference bits, and replaces the first
// entry not used since the last sweep. One-off keys (a text seen once)
// are thus evicted before keys in use, without the write lock an LRU list
// would take on every hit.
type cache[V any] struct {
	seed   maphash.Seed
	shards []cacheShard[V]
	mask   uint64
}

type cacheShard[V any] struct {
	mu    sync.RWMutex
	index map[string]*cacheEntry[V]
	slots []*cacheEntry[V] // the clock; len ≤ max
	hand  int
	max   int
	_     [56]byte // 72 bytes of fields + 56: one shard per two cache lines, no false sharing
}

// A cacheEntry is immutable but for its reference bit: readers use it
// after leaving the lock, so a new value gets a new entry.
type cacheEntry[V any] struct {
	key  string
	val  V
	slot int // index in the shard's clock
	ref  atomic.Bool
}

// newCache returns a cache holding at most about size entries (rounded up
// to a multiple of the shard count).
func newCache[V any](size int) *cache[V] {
	shards := 16
	for shards > 1 && size/shards < 64 {
		shards /= 2
	}
	per := (size + shards - 1) / shards
	c := &cache[V]{seed: maphash.MakeSeed(), shards: make([]cacheShard[V], shards), mask: uint64(shards - 1)}
	for i := range c.shards {
		c.shards[i].index = make(map[string]*cacheEntry[V])
		c.shards[i].max = per
	}
	return c
}

func (c *cache[V]) get(key string) (V, bool) {
	s := &c.shards[maphash.String(c.seed, key)&c.mask]
	s.mu.RLock()
	e := s.index[key]
	s.mu.RUnlock()
	return c.hit(e)
}

// getBytes is get for a key held in a byte slice; it does not allocate.
func (c *cache[V]) getBytes(key []byte) (V, bool) {
	s := &c.shards[maphash.Bytes(c.seed, key)&c.mask]
	s.mu.RLock()
	e := s.index[string(key)]
	s.mu.RUnlock()
	return c.hit(e)
}

func (c *cache[V]) hit(e *cacheEntry[V]) (V, bool) {
	if e == nil {
		var zero V
		return zero, false
	}
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	return e.val, true
}

// put stores val under key, replacing any value it had.
func (c *cache[V]) put(key string, val V) {
	s := &c.shards[maphash.String(c.seed, key)&c.mask]
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &cacheEntry[V]{key: key, val: val}
	if old, ok := s.index[key]; ok {
		e.slot = old.slot
		s.slots[e.slot] = e
		s.index[key] = e
		return
	}
	s.index[key] = e
	if len(s.slots) < s.max {
		e.slot = len(s.slots)
		s.slots = append(s.slots, e)
		return
	}
	for {
		old := s.slots[s.hand]
		if old.ref.Load() {
			old.ref.Store(false)
			s.hand = (s.hand + 1) % len(s.slots)
			continue
		}
		delete(s.index, old.key)
		e.slot = s.hand
		s.slots[s.hand] = e
		s.hand = (s.hand + 1) % len(s.slots)
		return
	}
}

// len returns the number of entries (for tests).
func (c *cache[V]) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.index)
		s.mu.RUnlock()
	}
	return n
}
