package preview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// savepoint is where a dry run goes back to when the server refuses its
// rewritten statement, to run the statement as written instead.
const savepoint = "dbward_preview"

// endTimeout bounds the rollback (or the cancel request) that ends a dry
// run, whose ctx may be over by then.
const endTimeout = 5 * time.Second

// begin opens the dry run's transaction under its timeouts. SET LOCAL
// keeps them to the transaction, so the connection is as it was after.
// idle_in_transaction_session_timeout ends the session if dbward stalls
// between two statements, so locks taken are never held for long; it is
// never under idleFloor, or a tiny statement timeout would have it end the
// session in the ordinary gap between two of the dry run's statements.
// idleFloor is the least idle-in-transaction timeout a dry run sets.
const idleFloor = 5 * time.Second

func begin(ctx context.Context, conn *pgconn.PgConn, o Options) error {
	_, err := conn.Exec(ctx, fmt.Sprintf("BEGIN; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d; SET LOCAL idle_in_transaction_session_timeout = %d; SAVEPOINT %s",
		millis(o.StatementTimeout), millis(o.LockTimeout), millis(max(2*o.StatementTimeout, idleFloor)), savepoint)).ReadAll()
	return err
}

// millis is d in milliseconds, rounded up: 0 would turn a timeout off.
func millis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// end rolls the dry run back and returns err, or closes the connection,
// which rolls it back too, and says so in the error. (pgconn closes a
// connection whose ctx ends mid-statement, after a cancel request that
// stops the statement on the server.)
func end(ctx context.Context, conn *pgconn.PgConn, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	if conn.IsClosed() {
		return closed(err, nil)
	}
	if _, rerr := conn.Exec(ctx, "ROLLBACK").ReadAll(); rerr != nil || conn.TxStatus() != 'I' {
		conn.Close(ctx)
		return closed(err, rerr)
	}
	return err
}

func closed(err, rerr error) error {
	msg := "its connection was closed, which rolls it back"
	if rerr != nil {
		msg = fmt.Sprintf("it could not be rolled back (%v), so %s", rerr, msg)
	}
	if err == nil {
		return errors.New("the dry run succeeded, but " + msg)
	}
	return fmt.Errorf("%w; %s", err, msg)
}
