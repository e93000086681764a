package analyze_test

import (
	"context"
	"fmt"

	"github.com/dbward/dbward/internal/analyze"
)

func ExampleAnalyzer_Analyze() {
	a := analyze.New(analyze.Options{})
	for _, s := range a.Analyze("SELECT 1; WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d") {
		fmt.Println(s.Kind, s.Commands, s.Tables, "destructive:", s.Destructive, "where:", s.Where)
	}
	// Output:
	// select [SELECT] [] destructive: false where: true
	// delete [SELECT DELETE] [{ orders write}] destructive: true where: false
}

func ExampleIntent() {
	fmt.Println(analyze.Intent("DELETE FROM orders WHERE id = 7 /* ticket='OPS-42',reason='duplicate%20order' */"))
	// Output: map[reason:duplicate order ticket:OPS-42]
}

// catalog says which functions may write; here, from a map.
type catalog map[string]bool

func (c catalog) FunctionMayWrite(_ context.Context, name string) (bool, error) {
	writes, exists := c[name]
	return writes || !exists, nil
}

func ExampleResolve() {
	stmts := analyze.New(analyze.Options{}).Analyze("SELECT archive_old_orders()")
	stmts, err := analyze.Resolve(context.Background(), stmts, catalog{"archive_old_orders": true})
	if err != nil {
		panic(err)
	}
	fmt.Println(stmts[0].Kind, stmts[0].Flags, stmts[0].Destructive)
	// Output: unknown [volatile_function] true
}
