package policy

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// cacheKey holds everything a decision may depend on (see doc.go,
// Caching): who, where and what exactly, the rest summed up in digest.
// Building a key copies no string, so a cache hit allocates nothing.
type cacheKey struct {
	identity  string // Identity.Name
	datastore string // Datastore.Name
	statement string // Statement.Fingerprint, or Statement.Text when byText
	byText    bool
	// digest hashes the rest: the identity's other fields, the datastore's
	// engine and environment, the session fields and the intent (each when
	// some policy reads it), and every statement fact, so that facts that
	// change after analysis (a function found to write once the catalog is
	// read, an EXECUTE resolved to what it runs) never reuse a decision
	// made on other facts.
	digest uint64
}

// key makes the cache key of in.
func (e *Engine) key(in *Input) cacheKey {
	st := in.Statement
	k := cacheKey{identity: in.Identity.Name, datastore: in.Datastore.Name}
	if e.reads.text || st.LiteralSensitive || st.Fingerprint == "" || st.ParseError != "" {
		k.statement, k.byText = st.Text, true
	} else {
		k.statement = st.Fingerprint
	}

	var d digester
	d.h.SetSeed(e.seed)
	id := &in.Identity
	d.string(id.Kind)
	d.strings(id.Groups)
	d.string(id.Owner)
	d.string(id.Fingerprint)
	d.string(in.Datastore.Engine)
	d.string(in.Datastore.Environment)
	if e.reads.clientAddr {
		d.string(in.Session.ClientAddr)
	}
	if e.reads.appName {
		d.string(in.Session.ApplicationName)
	}
	if e.reads.inTx {
		d.uint(bit(in.Session.InTransaction))
	}
	if e.reads.intent {
		// Order-independent: the sum of the hashes of the pairs.
		var sum uint64
		for name, value := range in.Intent {
			var p digester
			p.h.SetSeed(e.seed)
			p.string(name)
			p.string(value)
			sum += p.sum()
		}
		d.uint(uint64(len(in.Intent)))
		d.uint(sum)
	}
	d.string(string(st.Kind))
	d.string(st.Command)
	d.strings(st.Commands)
	d.uint(uint64(len(st.Tables)))
	for _, t := range st.Tables {
		d.string(t.Schema)
		d.string(t.Name)
		d.string(string(t.Access))
	}
	d.strings(st.Functions)
	d.strings(st.Flags)
	d.uint(bit(st.Destructive) | bit(st.Where)<<1 | bit(st.Dynamic)<<2)
	d.string(st.Fingerprint)
	d.string(st.ParseError)
	k.digest = d.sum()
	return k
}

// digester hashes a sequence of fields. Strings are written with their
// length first, so that no two different sequences hash the same input;
// fields are gathered in a buffer on the stack and hashed in a few calls.
type digester struct {
	h   maphash.Hash
	n   int // bytes used in buf
	buf [256]byte
}

func (d *digester) string(s string) {
	if len(s) < 0x80 && d.n+1+len(s) <= len(d.buf) { // the usual case
		d.buf[d.n] = byte(len(s))
		d.n += 1 + copy(d.buf[d.n+1:], s)
		return
	}
	d.uint(uint64(len(s)))
	if d.n+len(s) > len(d.buf) {
		d.flush()
		if len(s) > len(d.buf) {
			d.h.WriteString(s)
			return
		}
	}
	d.n += copy(d.buf[d.n:], s)
}

func (d *digester) strings(ss []string) {
	d.uint(uint64(len(ss)))
	for _, s := range ss {
		d.string(s)
	}
}

func (d *digester) uint(n uint64) {
	if d.n+binary.MaxVarintLen64 > len(d.buf) {
		d.flush()
	}
	if n < 0x80 { // the usual case, one byte
		d.buf[d.n] = byte(n)
		d.n++
		return
	}
	d.n += binary.PutUvarint(d.buf[d.n:], n)
}

func (d *digester) flush() {
	d.h.Write(d.buf[:d.n])
	d.n = 0
}

func (d *digester) sum() uint64 {
	d.flush()
	return d.h.Sum64()
}

func bit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// cache is a bounded map of decisions in two generations: new decisions go
// to the current one; when it is full, it becomes the old one and the
// previous old one is dropped. A hit in the old generation is copied to
// the current one, so decisions in use survive and the rest age out,
// without bookkeeping on the hit path.
type cache struct {
	mu       sync.RWMutex
	cur, old map[cacheKey]Decision
	gen      int // size of a generation
}

// newCache returns a cache of at most max decisions.
func newCache(max int) *cache {
	gen := max / 2
	if gen < 1 {
		gen = 1
	}
	return &cache{cur: make(map[cacheKey]Decision), gen: gen}
}

func (c *cache) get(k cacheKey) (Decision, bool) {
	c.mu.RLock()
	d, ok := c.cur[k]
	if ok {
		c.mu.RUnlock()
		return d, true
	}
	d, ok = c.old[k]
	c.mu.RUnlock()
	if ok {
		c.put(k, d)
	}
	return d, ok
}

func (c *cache) put(k cacheKey, d Decision) {
	c.mu.Lock()
	if len(c.cur) >= c.gen {
		c.old, c.cur = c.cur, make(map[cacheKey]Decision)
	}
	c.cur[k] = d
	c.mu.Unlock()
}

// len returns the number of decisions held.
func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}
