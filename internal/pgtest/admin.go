package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Addr is the server's TCP address, "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is a postgres:// URL that connects to db over TCP as user, with
// sslmode=disable; an empty password is left out (for TrustUser). To test
// TLS, set sslmode in the returned URL's query.
func (s *Server) URL(db, user, password string) string {
	u := url.URL{Scheme: "postgres", Host: s.Addr(), Path: "/" + db, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// connectSocket connects to db as the superuser through the Unix socket in
// Dir, where pg_hba.conf trusts every local connection.
func (s *Server) connectSocket(ctx context.Context, db string) (*pgconn.PgConn, error) {
	q := url.Values{"host": {s.Dir}, "port": {strconv.Itoa(s.Port)}, "sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(s.SuperUser), Path: "/" + db, RawQuery: q.Encode()}
	return pgconn.Connect(ctx, u.String())
}

// Exec runs sql, one or more statements in the simple query protocol (so
// in one implicit transaction unless sql has its own BEGIN/COMMIT), in db as
// the superuser. Errors name db but not sql, which may hold passwords; a
// server error unwraps to *pgconn.PgError.
func (s *Server) Exec(ctx context.Context, db, sql string) error {
	c, err := s.connectSocket(ctx, db)
	if err != nil {
		return fmt.Errorf("pgtest: connecting to database %q: %w", db, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, sql).ReadAll(); err != nil {
		return fmt.Errorf("pgtest: exec in database %q: %w", db, err)
	}
	return nil
}

// CreateDatabase creates database name, owned by the superuser.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	return s.Exec(ctx, "postgres", "CREATE DATABASE "+quoteIdent(name))
}

// roleAttr is what CreateRole accepts as an attribute: SQL keywords and
// numbers, such as CREATEDB, SUPERUSER or CONNECTION LIMIT 5.
var roleAttr = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ ]*$`)

// CreateRole creates a login role whose password is stored as a SCRAM
// verifier, so it logs in over TCP with scram-sha-256. An empty password
// creates a role without one, which can log in only through the socket.
// attrs are further role attributes (CREATEDB, CREATEROLE, SUPERUSER, ...);
// anything but keywords and numbers is refused.
func (s *Server) CreateRole(ctx context.Context, name, password string, attrs ...string) error {
	for _, a := range attrs {
		if !roleAttr.MatchString(a) {
			return fmt.Errorf("pgtest: role attribute %q: want SQL keywords such as CREATEDB", a)
		}
	}
	sql := "SET password_encryption = 'scram-sha-256'; CREATE ROLE " + quoteIdent(name) + " LOGIN"
	if password != "" {
		sql += " PASSWORD " + quoteLiteral(password)
	}
	if len(attrs) > 0 {
		sql += " " + strings.Join(attrs, " ")
	}
	return s.Exec(ctx, "postgres", sql)
}

// createRoles makes MD5User, with its password hashed as md5 so that only
// md5 authentication can check it, and TrustUser.
func (s *Server) createRoles(ctx context.Context) error {
	return s.Exec(ctx, "postgres", fmt.Sprintf(`
SET password_encryption = 'md5';
CREATE ROLE %s LOGIN PASSWORD %s;
RESET password_encryption;
CREATE ROLE %s LOGIN;`, quoteIdent(MD5User), quoteLiteral(s.MD5Password), quoteIdent(TrustUser)))
}
