package upstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/mask"
)

// Catalog answers from the upstream's system catalog what SQL text alone
// cannot tell: whether a function may write, and which columns hold
// sensitive data. It keeps one connection of its
// own and caches answers until Invalidate (called after DDL).
type Catalog struct {
	ds *config.Datastore

	mu   sync.Mutex // held while asking the database
	conn *pgconn.PgConn

	cacheMu sync.RWMutex // never held while waiting on the database
	cache   map[string]bool
	columns *mask.Classification // nil: not loaded since the last Invalidate

	configured map[string]string // masking.columns of this datastore: "schema.table.column" → class
}

// ErrNotCached is Cached's answer for a name it has no answer for yet.
var ErrNotCached = errors.New("upstream: catalog answer not cached")

// NewCatalog returns a Catalog for the datastore; it connects on first use.
// columns is the config's masking.columns (all datastores'; this one's
// are picked out).
func NewCatalog(ds *config.Datastore, columns map[string]string) *Catalog {
	mine := map[string]string{}
	for k, class := range columns {
		if rest, ok := strings.CutPrefix(k, ds.Name+"."); ok {
			mine[strings.ToLower(rest)] = class
		}
	}
	return &Catalog{ds: ds, cache: map[string]bool{}, configured: mine}
}

// mayWriteSQL is true when some function of that name lives outside the
// system schemas and is VOLATILE, and also when none exists at all (it may be
// created later in the same string, or be a typo: either way, unknown).
const mayWriteSQL = `SELECT coalesce(bool_or(n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.provolatile = 'v'), true)
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = $1 AND ($2 = '' OR n.nspname = $2)`

// FunctionMayWrite reports whether the function name ("name" or
// "schema.name", lower-case) may write. It implements analyze.Catalog.
func (c *Catalog) FunctionMayWrite(ctx context.Context, name string) (bool, error) {
	if v, err := c.Cached(name); err == nil {
		return v, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	schema, fn := "", name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		schema, fn = name[:i], name[i+1:]
	}
	if err := c.connect(ctx); err != nil {
		return true, err
	}
	res := c.conn.ExecParams(ctx, mayWriteSQL, [][]byte{[]byte(fn), []byte(schema)}, nil, nil, nil).Read()
	if res.Err != nil {
		return true, fmt.Errorf("catalog lookup for %s: %w", c.ds.Name, res.Err)
	}
	v := len(res.Rows) != 1 || string(res.Rows[0][0]) != "f"
	c.cacheMu.Lock()
	c.cache[name] = v
	c.cacheMu.Unlock()
	return v, nil
}

// connect opens the catalog's connection if it is not open; c.mu held.
func (c *Catalog) connect(ctx context.Context) error {
	if c.conn != nil && !c.conn.IsClosed() {
		return nil
	}
	cfg, err := Config(c.ds, map[string]string{"application_name": "dbward catalog"})
	if err != nil {
		return err
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("catalog lookup for %s: %w", c.ds.Name, err)
	}
	c.conn = conn
	return nil
}

// Cached is FunctionMayWrite from the cache only: ErrNotCached when the
// database would have to be asked. It never waits on the database.
func (c *Catalog) Cached(name string) (bool, error) {
	c.cacheMu.RLock()
	v, ok := c.cache[name]
	c.cacheMu.RUnlock()
	if !ok {
		return true, ErrNotCached
	}
	return v, nil
}

// Invalidate forgets cached answers; the next lookups ask the catalog again.
func (c *Catalog) Invalidate() {
	c.cacheMu.Lock()
	clear(c.cache)
	c.columns = nil
	c.cacheMu.Unlock()
}

// Close closes the catalog's connection.
func (c *Catalog) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close(context.Background())
		c.conn = nil
	}
}
