package preview

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Options bound a dry run.
type Options struct {
	StatementTimeout time.Duration // default 5s
	LockTimeout      time.Duration // default 1s
	SampleRows       int           // rows kept per sample, default 5
}

// Effect is what a statement would do.
type Effect struct {
	Command string // DELETE, UPDATE, INSERT, MERGE
	Table   string // the target, schema-qualified: public.orders
	Rows    int64  // the rows it affects
	// A sample of the rows, in text (nil: NULL): as they were (DELETE,
	// UPDATE) and as they would be (INSERT, UPDATE). An UPDATE's two
	// samples are read apart, and need not hold the same rows in the same
	// order.
	Columns       []string
	Before, After [][]*string
	Note          string // what the preview cannot show; "" if nothing
}

// Run dry-runs text, with its bound values, on conn — a connection of its
// own, idle — inside a transaction that is always rolled back. An error
// wrapping ErrNotPreviewable means text is not a single write; other
// errors say why the dry run failed (never with the values).
func Run(ctx context.Context, conn *pgconn.PgConn, text string, params [][]byte, types []uint32, formats []int16, opts Options) (_ *Effect, err error) {
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 5 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.SampleRows <= 0 {
		opts.SampleRows = 5
	}
	p, err := planFor(text, opts.SampleRows)
	if err != nil {
		return nil, err
	}
	begin := fmt.Sprintf("BEGIN; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d; SET LOCAL idle_in_transaction_session_timeout = %d",
		opts.StatementTimeout.Milliseconds(), opts.LockTimeout.Milliseconds(), (opts.StatementTimeout * 2).Milliseconds())
	if _, err := conn.Exec(ctx, begin).ReadAll(); err != nil {
		return nil, failed(err)
	}
	defer func() {
		// Always rolled back; a connection that cannot say so is closed,
		// which rolls back too.
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll(); rerr != nil {
			conn.Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("the dry run could not be rolled back, so its connection was closed: %w", rerr)
			}
		}
	}()
	e := &Effect{Command: p.command}
	if e.Table, err = qualified(ctx, conn, p.schema, p.table); err != nil {
		return nil, failed(err)
	}
	if p.before != "" {
		r := conn.ExecParams(ctx, p.before, params, types, formats, nil).Read()
		if r.Err != nil {
			return nil, failed(r.Err)
		}
		e.Before = texts(r.Rows, 0)
	}
	if p.count == "" { // MERGE: as written, counted by its tag
		r := conn.ExecParams(ctx, text, params, types, formats, nil).Read()
		if r.Err != nil {
			return nil, failed(r.Err)
		}
		e.Rows = r.CommandTag.RowsAffected()
		e.Note = "A MERGE shows no sample rows."
		return e, nil
	}
	r := conn.ExecParams(ctx, p.count, params, types, formats, nil).Read()
	if r.Err != nil {
		return nil, failed(r.Err)
	}
	if len(r.Rows) > 0 {
		if e.Rows, err = strconv.ParseInt(string(r.Rows[0][0]), 10, 64); err != nil {
			return nil, fmt.Errorf("reading the dry run's count: %w", err)
		}
	}
	for i, f := range r.FieldDescriptions {
		if i > 0 { // (the first is the count)
			e.Columns = append(e.Columns, f.Name)
		}
	}
	rows := texts(r.Rows, 1)
	switch p.command {
	case "DELETE":
		e.Before = rows
	default:
		e.After = rows
	}
	if p.command == "UPDATE" {
		e.Note = "The samples before and after are read apart: they need not show the same rows in the same order."
	}
	return e, nil
}

// qualified is the target table's name with its schema, as the server
// resolves it.
func qualified(ctx context.Context, conn *pgconn.PgConn, schema, table string) (string, error) {
	name := quoteIdent(table)
	if schema != "" {
		name = quoteIdent(schema) + "." + name
	}
	r := conn.ExecParams(ctx, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
		[][]byte{[]byte(name)}, nil, nil, nil).Read()
	if r.Err != nil {
		return "", r.Err
	}
	if len(r.Rows) == 0 {
		return "", fmt.Errorf("relation %s does not exist", name)
	}
	return string(r.Rows[0][0]) + "." + string(r.Rows[0][1]), nil
}

// texts copies rows' values from column skip on.
func texts(rows [][][]byte, skip int) [][]*string {
	var out [][]*string
	for _, row := range rows {
		vals := make([]*string, 0, len(row)-skip)
		for _, v := range row[skip:] {
			if v == nil {
				vals = append(vals, nil)
				continue
			}
			s := string(v)
			vals = append(vals, &s)
		}
		out = append(out, vals)
	}
	return out
}

// failed says why a dry run failed, in the server's words.
func failed(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57014":
			return fmt.Errorf("the dry run timed out: %s", pe.Message)
		case "55P03":
			return fmt.Errorf("the dry run waited too long for a lock: %s", pe.Message)
		}
		return fmt.Errorf("the dry run failed: %s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return fmt.Errorf("the dry run failed: %w", err)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
