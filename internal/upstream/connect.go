package upstream

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/config"
)

// Conn is a logged-in upstream connection handed over for raw relaying.
type Conn struct {
	net.Conn
	PID        uint32
	SecretKey  []byte
	Parameters map[string]string // ParameterStatus values the server reported at login
	TxStatus   byte              // 'I', 'T' or 'E' at hand-over
	address    string            // where to send a CancelRequest
}

// startupParamsNotForwarded are startup keys a client may send that dbward
// sets itself or that must not reach the upstream.
var startupParamsNotForwarded = map[string]bool{"user": true, "database": true, "replication": true}

// Config builds the pgconn configuration for a datastore. Client startup
// parameters (application_name, DateStyle, options, …) are passed through,
// so the upstream session is set up as the client asked.
func Config(ds *config.Datastore, params map[string]string) (*pgconn.Config, error) {
	host, port, err := net.SplitHostPort(ds.Upstream.Address)
	if err != nil {
		return nil, fmt.Errorf("upstream address %q: %w", ds.Upstream.Address, err)
	}
	kv := []string{
		"host=" + quote(host), "port=" + quote(port), "dbname=" + quote(ds.Upstream.Database),
		"user=" + quote(ds.Upstream.User), "sslmode=" + quote(ds.Upstream.TLS),
		"connect_timeout=10",
	}
	if ds.Upstream.CACert != "" {
		kv = append(kv, "sslrootcert="+quote(ds.Upstream.CACert))
	}
	// ParseConfigWithOptions would fill unset keys from PG* environment
	// variables; every key that matters is set explicitly above.
	cfg, err := pgconn.ParseConfig(strings.Join(kv, " "))
	if err != nil {
		return nil, fmt.Errorf("upstream config for %s: %w", ds.Name, err)
	}
	cfg.Password = string(ds.Upstream.Password)
	cfg.RuntimeParams = map[string]string{}
	for k, v := range params {
		if !startupParamsNotForwarded[k] {
			cfg.RuntimeParams[k] = v
		}
	}
	return cfg, nil
}

// quote quotes a libpq keyword/value connection string value.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Connect logs in to the datastore's upstream and hands over the raw
// connection, positioned right after the server's first ReadyForQuery.
func Connect(ctx context.Context, ds *config.Datastore, params map[string]string) (*Conn, error) {
	cfg, err := Config(ds, params)
	if err != nil {
		return nil, err
	}
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to datastore %s: %w", ds.Name, err)
	}
	// pgconn may still be reading in the background or hold buffered
	// bytes; either would steal the first response from the relay.
	if err := pc.SyncConn(ctx); err != nil {
		pc.Close(ctx)
		return nil, fmt.Errorf("syncing connection to %s: %w", ds.Name, err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		pc.Close(ctx)
		return nil, fmt.Errorf("taking over connection to %s: %w", ds.Name, err)
	}
	return &Conn{
		Conn: hc.Conn, PID: hc.PID, SecretKey: hc.SecretKey,
		Parameters: hc.ParameterStatuses, TxStatus: hc.TxStatus,
		address: ds.Upstream.Address,
	}, nil
}

// Cancel asks the upstream server to cancel whatever this connection is
// running, as PostgreSQL's CancelRequest does: a new connection carrying the
// backend's pid and secret key. Like PostgreSQL, it gives no answer.
func (c *Conn) Cancel(ctx context.Context) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.address)
	if err != nil {
		return fmt.Errorf("sending cancel: %w", err)
	}
	defer nc.Close()
	msg, err := (&pgproto3.CancelRequest{ProcessID: c.PID, SecretKey: c.SecretKey}).Encode(nil)
	if err != nil {
		return err
	}
	if _, err := nc.Write(msg); err != nil {
		return fmt.Errorf("sending cancel: %w", err)
	}
	// Wait for the server to close its end, so the cancel has been
	// delivered before we report success.
	var b [1]byte
	_, _ = nc.Read(b[:])
	return nil
}
