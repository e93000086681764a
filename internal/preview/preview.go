package preview

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Options bound a dry run. The zero value gives the defaults.
type Options struct {
	StatementTimeout time.Duration // per statement of the dry run; default 5s
	LockTimeout      time.Duration // per lock it waits for; default 1s
	SampleRows       int           // rows kept per sample; default 5
}

// Effect is what a statement would do.
type Effect struct {
	Command string // DELETE, UPDATE, INSERT, MERGE
	// Table is the target, schema-qualified, each part quoted where SQL
	// needs it: public.orders, public."Orders".
	Table string
	// Schema and Name are the target's, unquoted, as the catalog has them.
	Schema, Name string
	Rows         int64 // the rows it affects, as its command tag counts them
	// Columns name the sample's values: the target's columns.
	Columns []string
	// Before holds up to SampleRows rows as they were (DELETE, UPDATE),
	// After up to SampleRows rows as they would be (INSERT, UPDATE); the
	// values are text, nil for NULL. An UPDATE's two samples are read
	// apart: they need not hold the same rows, nor in the same order.
	Before, After [][]*string
	Note          string // what the preview cannot show; "" if nothing
}

// Run dry-runs text, with its bound values, on conn and returns its
// effect. conn must be a connection of its own (never a client's), idle
// and outside a transaction; the dry run runs in a transaction of its
// own that is always rolled back, also on error and when ctx ends: if
// the rollback cannot be sent, conn is closed and the error says so.
//
// text must be one INSERT, UPDATE, DELETE or MERGE, with a WITH that
// only reads; anything else returns an error wrapping ErrNotPreviewable
// before anything is sent. Every statement goes with the extended
// protocol, which runs one statement: "DELETE …; COMMIT" cannot commit.
// paramOIDs and paramFormats are as in a Parse and a Bind message. Errors
// never hold a bound value.
func Run(ctx context.Context, conn *pgconn.PgConn, text string, params [][]byte, paramOIDs []uint32, paramFormats []int16, opts Options) (_ *Effect, err error) {
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
	if conn.IsClosed() || conn.IsBusy() || conn.TxStatus() != 'I' {
		// (A transaction open on it would be rolled back with the dry run.)
		return nil, errors.New("the dry run needs an idle connection outside a transaction")
	}
	d := &dryRun{ctx: ctx, conn: conn, params: params, formats: paramFormats, opts: opts}
	defer func() { err = end(ctx, conn, err) }()
	if err := begin(ctx, conn, opts); err != nil {
		return nil, d.failed(err)
	}
	// Prepared first, as written: the server checks the statement, and
	// infers its parameters' types, which every query here binds. (A
	// query that leaves one out, such as an UPDATE's read of its rows
	// without its SET, could not infer it.)
	desc, err := conn.Prepare(ctx, "", text, paramOIDs)
	if err != nil {
		return nil, d.failed(err)
	}
	d.oids = desc.ParamOIDs
	e := &Effect{Command: p.command, Note: p.note}
	if e.Table, e.Schema, e.Name, err = d.qualified(p.target); err != nil {
		return nil, d.failed(err)
	}
	if p.count != "" {
		switch err := d.sample(p, e); {
		case err == nil:
			return e, nil
		case !refused(err):
			return nil, d.failed(err)
		default:
			if err := d.unsample(e, err); err != nil {
				return nil, d.failed(err)
			}
		}
	}
	r := d.exec(text)
	if r.err != nil {
		return nil, d.failed(r.err)
	}
	e.Rows = r.tag.RowsAffected()
	return e, nil
}

// dryRun is one run of Run.
type dryRun struct {
	ctx     context.Context
	conn    *pgconn.PgConn
	params  [][]byte
	oids    []uint32 // as the server inferred them for the statement
	formats []int16
	opts    Options
}

// result is a query's outcome, as pgconn.Result.
type result struct {
	columns []string
	rows    [][][]byte
	tag     pgconn.CommandTag
	err     error
}

// exec runs sql, one statement, with the statement's bound values and
// their types; results come as text. (pgconn's ResultReader.Read keeps
// the columns only when a row came: a sample of none would have none.)
func (d *dryRun) exec(sql string) *result {
	rr := d.conn.ExecParams(d.ctx, sql, d.params, d.oids, d.formats, nil)
	var r result
	for rr.NextRow() {
		row := make([][]byte, len(rr.Values()))
		for i, v := range rr.Values() {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		r.rows = append(r.rows, row)
	}
	for _, f := range rr.FieldDescriptions() {
		r.columns = append(r.columns, f.Name)
	}
	r.tag, r.err = rr.Close()
	return &r
}

// sample runs p's rewritten statement, and an UPDATE's read before it,
// into e.
func (d *dryRun) sample(p *plan, e *Effect) error {
	if p.before != "" {
		r := d.exec(p.before)
		if r.err != nil {
			return r.err
		}
		e.Before = texts(r.rows, 0)
	}
	r := d.exec(p.count)
	if r.err != nil {
		return r.err
	}
	if len(r.rows) > 0 {
		n, err := strconv.ParseInt(string(r.rows[0][0]), 10, 64)
		if err != nil {
			return fmt.Errorf("reading the count: %w", err)
		}
		e.Rows = n
	}
	if len(r.columns) > 0 {
		e.Columns = r.columns[1:] // (the first is the count)
	}
	if p.command == "DELETE" {
		e.Before = texts(r.rows, 1)
	} else {
		e.After = texts(r.rows, 1)
	}
	return nil
}

// unsample undoes what sample did, which the server refused (refused),
// so that the statement can run as written instead, and says so in e.
func (d *dryRun) unsample(e *Effect, refusal error) error {
	if _, err := d.conn.Exec(d.ctx, "ROLLBACK TO SAVEPOINT "+savepoint).ReadAll(); err != nil {
		return err
	}
	var pe *pgconn.PgError
	errors.As(refusal, &pe)
	e.Columns, e.Before, e.After = nil, nil, nil
	e.Note = fmt.Sprintf("No sample rows: the server would not read them (%s); the statement is counted by its command tag.", serverMessage(pe, d.params))
	return nil
}

// qualified is the target's name with its schema, as the server resolves
// target (with the session's search_path, as the statement does): quoted
// where SQL needs it, and its two parts as they are.
func (d *dryRun) qualified(target string) (quoted, schema, name string, _ error) {
	r := d.conn.ExecParams(d.ctx, "SELECT format('%I.%I', n.nspname, c.relname), n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
		[][]byte{[]byte(target)}, nil, nil, nil).Read()
	if r.Err != nil {
		return "", "", "", r.Err
	}
	if len(r.Rows) == 0 {
		return "", "", "", fmt.Errorf("relation %s does not exist", target)
	}
	return string(r.Rows[0][0]), string(r.Rows[0][1]), string(r.Rows[0][2]), nil
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
