package policy

import (
	"sort"
	"strings"
	"sync"

	"github.com/dbward/dbward/internal/analyze"
)

// cacheKey names everything a decision may depend on. Building it copies no
// string, so a cache hit allocates nothing.
type cacheKey struct {
	identity, datastore string
	clientAddr, appName string
	inTransaction       bool
	intent              string // canonical k=v list; "" when none
	statement           string // fingerprint, or "text:" + the exact text
	byText              bool
}

func (e *Engine) key(in *Input) cacheKey {
	k := cacheKey{
		identity: in.Identity.Name, datastore: in.Datastore.Name,
		clientAddr: in.Session.ClientAddr, appName: in.Session.ApplicationName,
		inTransaction: in.Session.InTransaction,
	}
	if len(in.Intent) > 0 {
		k.intent = canonical(in.Intent)
	}
	st := in.Statement
	if st == nil {
		st = &analyze.Statement{}
	}
	if e.readsText || st.LiteralSensitive || st.Fingerprint == "" || st.ParseError != "" {
		k.statement, k.byText = st.Text, true
	} else {
		k.statement = st.Fingerprint
	}
	return k
}

func canonical(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
}

// cache is a bounded map of decisions. When full it starts over: decisions
// are cheap to recompute and a policy set rarely has more distinct keys.
type cache struct {
	mu  sync.RWMutex
	m   map[cacheKey]Decision
	max int
}

func newCache(max int) *cache {
	if max <= 0 {
		max = 100_000
	}
	return &cache{m: map[cacheKey]Decision{}, max: max}
}

func (c *cache) get(k cacheKey) (Decision, bool) {
	c.mu.RLock()
	d, ok := c.m[k]
	c.mu.RUnlock()
	return d, ok
}

func (c *cache) put(k cacheKey, d Decision) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = d
	c.mu.Unlock()
}
