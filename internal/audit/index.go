package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dbward/dbward/internal/store"
)

// The search index is a SQLite database derived from the journal: it can be
// deleted and rebuilt at any time (Search catches up by itself), and it is
// not evidence — Verify and proofs are. By default it lives beside the trail
// as <dir>/index.sqlite.
const indexFile = "index.sqlite"

const indexSchema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
	seq           INTEGER PRIMARY KEY, -- journal sequence number
	time_ns       INTEGER NOT NULL,    -- Unix nanoseconds
	type          TEXT NOT NULL,
	session       TEXT,
	statement_seq INTEGER,
	identity      TEXT,
	identity_kind TEXT,
	owner         TEXT,
	datastore     TEXT,
	action        TEXT,
	rule          TEXT,
	fingerprint   TEXT,
	command       TEXT,
	event         TEXT NOT NULL        -- the event JSON as recorded
);
CREATE TABLE IF NOT EXISTS event_tables(
	seq    INTEGER NOT NULL REFERENCES events(seq),
	schema TEXT NOT NULL,
	name   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_identity ON events(identity, seq);
CREATE INDEX IF NOT EXISTS events_datastore ON events(datastore, seq);
CREATE INDEX IF NOT EXISTS events_time ON events(time_ns);
CREATE INDEX IF NOT EXISTS events_fingerprint ON events(fingerprint, seq);
CREATE INDEX IF NOT EXISTS events_statement ON events(session, statement_seq, type);
CREATE INDEX IF NOT EXISTS event_tables_name ON event_tables(name, seq);
CREATE INDEX IF NOT EXISTS event_tables_seq ON event_tables(seq);
`

// Query selects events for Search. Empty fields match everything.
type Query struct {
	// Type is the type of the events; default TypeStatement. TypeOutcome
	// also matches the statement records that carry their outcome.
	Type         Type
	Identity     string // identity name; also matches the owner of an agent
	IdentityKind string // human | agent | service
	Datastore    string
	Table        string // "name" or "schema.name"
	Decision     string // allow | deny | approve
	Fingerprint  string
	Session      string
	Since, Until time.Time // Since inclusive, Until exclusive
	Limit        int       // 0: no limit
}

// Match is one event Search found.
type Match struct {
	Seq   uint64
	Event Event
	// JSON is the event as recorded, with "seq" first and, for a statement
	// whose outcome is recorded, the outcome as "outcome": folded into the
	// statement record already, or merged in from the separate
	// TypeOutcome record.
	JSON json.RawMessage
}

// Search brings the index at indexPath ("" means <dir>/index.sqlite) up to
// date with the journal of the trail in dir, then calls fn with the events
// that match q, in journal order. A statement carries its outcome, whether
// the trail folded it into the statement record or wrote it separately
// (see Trail.FoldOutcome).
func Search(ctx context.Context, dir, indexPath string, q Query, fn func(Match) error) error {
	db, err := openIndex(ctx, dir, indexPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := updateIndex(ctx, db, dir); err != nil {
		return err
	}
	if q.Type == "" {
		q.Type = TypeStatement
	}
	where := "e.type = ?"
	args := []any{string(q.Type)}
	if q.Type == TypeOutcome {
		where = "(e.type = ? OR (e.type = 'statement' AND json_extract(e.event, '$.outcome') IS NOT NULL))"
	}
	add := func(cond string, vs ...any) {
		where += " AND " + cond
		args = append(args, vs...)
	}
	if q.Identity != "" {
		add("(e.identity = ? OR e.owner = ?)", q.Identity, q.Identity)
	}
	if q.IdentityKind != "" {
		add("e.identity_kind = ?", q.IdentityKind)
	}
	if q.Datastore != "" {
		add("e.datastore = ?", q.Datastore)
	}
	if q.Decision != "" {
		add("e.action = ?", q.Decision)
	}
	if q.Fingerprint != "" {
		add("e.fingerprint = ?", q.Fingerprint)
	}
	if q.Session != "" {
		add("e.session = ?", q.Session)
	}
	if q.Table != "" {
		add("EXISTS (SELECT 1 FROM event_tables t WHERE t.seq = e.seq AND (t.name = ? OR t.schema || '.' || t.name = ?))", q.Table, q.Table)
	}
	if !q.Since.IsZero() {
		add("e.time_ns >= ?", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		add("e.time_ns < ?", q.Until.UnixNano())
	}
	query := `SELECT e.seq, e.event,
		(SELECT o.event FROM events o WHERE e.type = 'statement' AND o.session = e.session
			AND o.statement_seq = e.statement_seq AND o.type = 'statement.outcome' ORDER BY o.seq LIMIT 1)
		FROM events e WHERE ` + where + ` ORDER BY e.seq`
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("searching the audit index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq uint64
		var event string
		var outcome sql.NullString
		if err := rows.Scan(&seq, &event, &outcome); err != nil {
			return err
		}
		m, err := match(seq, event, outcome)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// match builds a Match, merging the outcome event's outcome into a
// statement that does not carry its own.
func match(seq uint64, event string, outcome sql.NullString) (Match, error) {
	m := Match{Seq: seq}
	if err := json.Unmarshal([]byte(event), &m.Event); err != nil {
		return m, fmt.Errorf("index entry %d: %w", seq, err)
	}
	js := make([]byte, 0, len(event)+64)
	js = append(js, `{"seq":`...)
	js = strconv.AppendUint(js, seq, 10)
	js = append(js, ',')
	js = append(js, event[1:len(event)-1]...)
	if outcome.Valid && m.Event.Outcome == (Outcome{}) {
		var o struct {
			Outcome json.RawMessage `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(outcome.String), &o); err == nil && len(o.Outcome) > 0 {
			if err := json.Unmarshal(o.Outcome, &m.Event.Outcome); err == nil {
				js = append(js, `,"outcome":`...)
				js = append(js, o.Outcome...)
			}
		}
	}
	m.JSON = append(js, '}')
	return m, nil
}

// Reindex rebuilds the index at indexPath ("" means <dir>/index.sqlite)
// from the journal and returns how many records it holds.
func Reindex(ctx context.Context, dir, indexPath string) (uint64, error) {
	db, err := openIndex(ctx, dir, indexPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := clearIndex(ctx, db); err != nil {
		return 0, err
	}
	return updateIndex(ctx, db, dir)
}

func openIndex(ctx context.Context, dir, indexPath string) (*sql.DB, error) {
	if indexPath == "" {
		indexPath = filepath.Join(dir, indexFile)
	}
	db, err := store.OpenSQLite(ctx, indexPath)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, indexSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating the audit index: %w", err)
	}
	return db, nil
}

func clearIndex(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `DELETE FROM event_tables; DELETE FROM events; DELETE FROM meta;`)
	return err
}

// updateIndex adds the journal's records the index does not hold yet. The
// index remembers the first record's event id, so that it starts over when
// pointed at another trail. It returns the number of records indexed.
func updateIndex(ctx context.Context, db *sql.DB, dir string) (uint64, error) {
	var firstID string
	err := Records(ctx, dir, 0, func(_ uint64, js []byte) error {
		var ev struct {
			ID string `json:"id"`
		}
		json.Unmarshal(js, &ev)
		firstID = ev.ID
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, err
	}
	var known string
	var next uint64
	db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'first_id'`).Scan(&known)
	if known != firstID {
		if err := clearIndex(ctx, db); err != nil {
			return 0, err
		}
	} else {
		var n sql.NullInt64
		db.QueryRowContext(ctx, `SELECT MAX(seq) FROM events`).Scan(&n)
		if n.Valid {
			next = uint64(n.Int64) + 1
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES ('first_id', ?)`, firstID); err != nil {
		return 0, err
	}
	insEvent, err := tx.PrepareContext(ctx, `INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return 0, err
	}
	insTable, err := tx.PrepareContext(ctx, `INSERT INTO event_tables VALUES (?,?,?)`)
	if err != nil {
		return 0, err
	}
	err = Records(ctx, dir, next, func(seq uint64, js []byte) error {
		var ev Event
		if err := json.Unmarshal(js, &ev); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		if _, err := insEvent.ExecContext(ctx, int64(seq), ev.Time.UnixNano(), string(ev.Type), ev.Session,
			int64(ev.StatementSeq), ev.Identity.Name, ev.Identity.Kind, ev.Identity.Owner, ev.Datastore,
			ev.Decision.Action, ev.Decision.Rule, ev.Statement.Fingerprint, ev.Statement.Command, string(js)); err != nil {
			return err
		}
		for _, t := range ev.Statement.Tables {
			if _, err := insTable.ExecContext(ctx, int64(seq), t.Schema, t.Name); err != nil {
				return err
			}
		}
		next = seq + 1
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("indexing the journal: %w", err)
	}
	return next, tx.Commit()
}

var errStop = errors.New("stop")
