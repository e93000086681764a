package store

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a dir with spaces", "..", "x?.sqlite")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t(v TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.ExecContext(ctx, `INSERT INTO t VALUES ('x')`)
	db.Close()

	db, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode, v string
	db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	db.QueryRowContext(ctx, `SELECT v FROM t`).Scan(&v)
	if mode != "wal" || v != "x" {
		t.Errorf("journal_mode %q, value %q; want wal and the row back", mode, v)
	}
}
