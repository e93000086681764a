package analyze

import (
	"fmt"
	"testing"
)

// CLOCK eviction lets one-off keys go before keys in use.
func TestCacheKeepsWhatIsUsed(t *testing.T) {
	c := newCache[int](64) // one shard of 64
	if len(c.shards) != 1 {
		t.Fatalf("%d shards", len(c.shards))
	}
	for i := range 64 {
		c.put(fmt.Sprint("k", i), i)
	}
	for i := range 32 {
		c.get(fmt.Sprint("k", i)) // in use
	}
	for i := range 32 {
		c.put(fmt.Sprint("once", i), -1)
	}
	for i := range 64 {
		_, ok := c.get(fmt.Sprint("k", i))
		if used := i < 32; ok != used {
			t.Errorf("k%d (used: %v) cached: %v", i, used, ok)
		}
	}
	if n := c.len(); n != 64 {
		t.Errorf("%d entries, want 64", n)
	}
}

func TestCacheReplaces(t *testing.T) {
	c := newCache[string](10)
	c.put("k", "a")
	c.put("k", "b")
	if v, _ := c.getBytes([]byte("k")); v != "b" || c.len() != 1 {
		t.Fatalf("got %q, %d entries", v, c.len())
	}
}
