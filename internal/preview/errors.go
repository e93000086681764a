package preview

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotPreviewable is returned, wrapped with the reason, for text that is
// not one INSERT, UPDATE, DELETE or MERGE; nothing was sent to the server.
var ErrNotPreviewable = errors.New("not previewable")

// failed says why a dry run failed, in the server's words where they
// cannot quote a value (see serverMessage).
func (d *dryRun) failed(err error) error {
	if cerr := d.ctx.Err(); cerr != nil {
		return fmt.Errorf("the dry run was canceled: %w", cerr)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("the dry run failed: %w", err)
	}
	switch pe.Code {
	case "57014": // query_canceled: by statement_timeout, or by someone else
		if strings.Contains(pe.Message, "statement timeout") {
			return fmt.Errorf("the dry run timed out after %v: %s", d.opts.StatementTimeout, pe.Message)
		}
		return fmt.Errorf("the dry run was canceled: %s", pe.Message)
	case "55P03": // lock_not_available
		return fmt.Errorf("the dry run waited longer than %v for a lock: %s", d.opts.LockTimeout, pe.Message)
	}
	return fmt.Errorf("the dry run failed: %s", serverMessage(pe, d.params))
}

// serverMessage is pe's message and SQLSTATE, with the message withheld
// when it may quote a value: data exceptions (class 22) quote the input
// they refuse, such as a bound value or a column's, a RAISE (class P0)
// says what its author chose, and any message holding a bound value says
// it. The DETAIL, where the server shows keys and rows, is never used.
func serverMessage(pe *pgconn.PgError, params [][]byte) string {
	withhold := strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "P0")
	for _, p := range params {
		withhold = withhold || len(p) > 0 && strings.Contains(pe.Message, string(p))
	}
	if withhold {
		return fmt.Sprintf("SQLSTATE %s (its message is withheld: it may quote a value)", pe.Code)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
}

// refused reports whether err is the server refusing a rewritten query,
// not the statement. The statement passed parse analysis as written (it
// was prepared first), so feature_not_supported (class 0A) and syntax or
// access errors (class 42) come from the rewrite: a rule or a view that
// cannot run in a WITH or return rows, or RETURNING without the SELECT
// privilege the statement itself does not need.
func refused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "0A") || strings.HasPrefix(pe.Code, "42"))
}
