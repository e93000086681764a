package analyze

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// memCatalog is an in-memory Catalog: name → may write. Names it does not
// hold do not exist, so they may write. It counts lookups.
type memCatalog struct {
	funcs   map[string]bool
	lookups []string
	err     error
}

func (c *memCatalog) FunctionMayWrite(_ context.Context, name string) (bool, error) {
	c.lookups = append(c.lookups, name)
	if c.err != nil {
		return false, c.err
	}
	writes, ok := c.funcs[name]
	return writes || !ok, nil
}

func TestResolve(t *testing.T) {
	cases := []struct {
		sql     string
		writes  bool
		lookups []string
	}{
		{"SELECT order_count()", false, []string{"order_count"}},
		{"SELECT bump()", true, []string{"bump"}},
		{"SELECT app.bump()", true, []string{"app.bump"}},
		{"SELECT nosuchfunction()", true, []string{"nosuchfunction"}},
		{"CALL bump()", true, []string{"bump"}},
		{"CALL archive()", false, []string{"archive"}},
		{"SELECT count(*), now(), pg_catalog.lower('A') FROM t", false, nil},
		{"SELECT * FROM t WHERE x = lower('A') AND y = nextval('s')", false, nil},
		{"DO $$BEGIN PERFORM bump(); END$$", true, []string{"bump"}},
		{"PREPARE p AS SELECT bump()", true, []string{"bump"}},
	}
	for _, c := range cases {
		cat := &memCatalog{funcs: map[string]bool{"order_count": false, "bump": true, "app.bump": true, "archive": false}}
		in := New(Options{}).Analyze(c.sql)
		before := goldenLines(in)
		out, err := Resolve(context.Background(), in, cat)
		if err != nil {
			t.Fatal(err)
		}
		got := out[0].Kind == KindUnknown && out[0].Destructive && slices.Contains(out[0].Flags, FlagVolatileFunction)
		if got != c.writes {
			t.Errorf("%s: %+v", c.sql, out[0])
		}
		if !slices.Equal(cat.lookups, c.lookups) {
			t.Errorf("%s: looked up %v, want %v", c.sql, cat.lookups, c.lookups)
		}
		if after := goldenLines(in); !slices.Equal(before, after) {
			t.Errorf("%s: Resolve modified its input:\n%s\n%s", c.sql, before, after)
		}
		if !c.writes && &out[0] != &in[0] {
			t.Errorf("%s: nothing changed, yet Resolve copied", c.sql)
		}
	}
}

func TestResolveDoesNotAllocateWithoutFunctions(t *testing.T) {
	in := New(Options{}).Analyze("SELECT a FROM t WHERE id = 1; UPDATE t SET a = 2 WHERE id = 1")
	cat := &memCatalog{}
	n := testing.AllocsPerRun(100, func() {
		if _, err := Resolve(context.Background(), in, cat); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 || len(cat.lookups) != 0 {
		t.Fatalf("%v allocations, %d lookups", n, len(cat.lookups))
	}
}

func TestResolveFailsClosed(t *testing.T) {
	boom := errors.New("connection refused")
	out, err := Resolve(context.Background(), New(Options{}).Analyze("SELECT f()"), &memCatalog{err: boom})
	if !errors.Is(err, boom) || out != nil {
		t.Fatalf("got %v, %v", out, err)
	}
}
