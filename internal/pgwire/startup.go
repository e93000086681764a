package pgwire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/upstream"
)

// Startup-phase request codes (PostgreSQL protocol, "Message Formats").
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
)

// startupTimeout bounds the whole startup phase, as PostgreSQL's
// authentication_timeout does.
const startupTimeout = 30 * time.Second

// handle runs one client connection through its phases:
//  1. startup packets: SSLRequest (TLS), GSSENCRequest (refused), CancelRequest (forwarded, then close);
//  2. StartupMessage: identity (user=) and datastore (database=);
//  3. authentication of the identity's token;
//  4. the upstream connection with dbward's own credentials;
//  5. the session: judged relay until either side ends.
func (s *Server) handle(ctx context.Context, nc net.Conn) {
	defer nc.Close()
	defer s.recoverSession("session")
	nc.SetDeadline(time.Now().Add(startupTimeout))
	ss, perr := s.startup(ctx, nc)
	if perr != nil {
		if perr != gone {
			nc.Write(perr.appendTo(nil))
		}
		return
	}
	if ss == nil {
		return // a cancel request, or the client went away
	}
	nc.SetDeadline(time.Time{})
	s.register(ss)
	defer s.unregister(ss)
	ss.run(ctx)
}

// startup performs phases 1–4. It returns a nil session and nil error when
// the connection ends without a session (cancel request, client gone).
func (s *Server) startup(ctx context.Context, nc net.Conn) (*session, *pgError) {
	conn := nc
	r := newReader(conn, maxStartupPacket)
	tlsOn := false
	for {
		body, err := r.nextStartup()
		if err != nil {
			return nil, startupReadError(err)
		}
		code := binary.BigEndian.Uint32(body)
		switch {
		case code == sslRequestCode:
			if tlsOn {
				return nil, fatal(codeProtocolViolation, "dbward: SSLRequest on an encrypted connection", "")
			}
			if _, err := conn.Write([]byte{'S'}); err != nil {
				return nil, nil
			}
			// Bytes sent after SSLRequest but before the handshake would be
			// read as if they had come encrypted (CVE-2021-23214).
			if r.buffered() > 0 {
				return nil, fatal(codeProtocolViolation, "dbward: unencrypted data after SSLRequest", "")
			}
			tc := tls.Server(conn, s.opts.TLS)
			if err := tc.HandshakeContext(ctx); err != nil {
				s.log.Info("tls handshake failed", "client", nc.RemoteAddr().String(), "err", err)
				return nil, nil
			}
			conn, tlsOn = tc, true
			r = newReader(conn, maxStartupPacket)
		case code == gssEncRequestCode:
			// GSSAPI encryption is not offered: 'N' tells the client to go on
			// with SSLRequest or a plain StartupMessage.
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return nil, nil
			}
		case code == cancelRequestCode:
			var m pgproto3.CancelRequest
			if err := m.Decode(body); err != nil {
				return nil, nil
			}
			s.cancel(ctx, m.ProcessID, m.SecretKey)
			return nil, nil
		case code>>16 == 3:
			return s.login(ctx, conn, r, code, body[4:], tlsOn)
		default:
			return nil, fatal(codeProtocolViolation,
				fmt.Sprintf("dbward: unsupported frontend protocol %d.%d", code>>16, code&0xffff),
				"dbward speaks PostgreSQL protocol 3.0")
		}
	}
}

// recoverSession keeps a bug in one session from ending the process and
// every other session: the panic is logged (its value and stack, never a
// message's contents) and only this connection closes.
func (s *Server) recoverSession(where string) {
	if r := recover(); r != nil {
		s.logPanic(where, r)
	}
}

func (s *Server) logPanic(where string, r any) {
	s.log.Error("BUG: panic in "+where+"; connection closed", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}

func startupReadError(err error) *pgError {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return gone
	case errors.Is(err, ErrMessageTooLarge), errors.Is(err, errMalformed):
		return fatal(codeProtocolViolation, "dbward: invalid startup packet", "")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fatal(codeProtocolViolation, "dbward: startup timed out", "")
	}
	return gone
}

// login handles the StartupMessage (phase 2) and what follows (3, 4).
func (s *Server) login(ctx context.Context, conn net.Conn, r *reader, version uint32, body []byte, tlsOn bool) (*session, *pgError) {
	params := map[string]string{}
	var unrecognized []string
	for {
		k, rest, ok := cstring(body)
		if !ok {
			return nil, fatal(codeProtocolViolation, "dbward: invalid startup packet layout", "")
		}
		if k == "" {
			break
		}
		v, rest2, ok := cstring(rest)
		if !ok {
			return nil, fatal(codeProtocolViolation, "dbward: invalid startup packet layout", "")
		}
		body = rest2
		if strings.HasPrefix(k, "_pq_.") {
			unrecognized = append(unrecognized, k)
			continue
		}
		params[k] = v
	}
	var out []byte
	if version&0xffff != 0 || len(unrecognized) > 0 {
		// Newer minor versions and protocol options: answer as a 3.0 server.
		out, _ = (&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognized}).Encode(out)
	}
	user := params["user"]
	if user == "" {
		return nil, fatal(codeInvalidAuthorization, "dbward: no identity given", "set user= to your dbward identity")
	}
	db := params["database"]
	if db == "" {
		db = user
	}
	if rep := params["replication"]; rep != "" && rep != "false" && rep != "0" && rep != "off" && rep != "no" {
		return nil, fatal(codeFeatureNotSupported, "dbward: replication connections are not supported", "connect replication clients to the database directly")
	}
	if name, ok := syntaxChangingParam(params); ok {
		return nil, fatal(codeFeatureNotSupported,
			fmt.Sprintf("dbward: the startup setting %s is not supported", name),
			"keep standard_conforming_strings on and use a client encoding such as UTF8, so the server reads statements as dbward does")
	}
	if s.opts.Config.TLS.Require && !tlsOn {
		return nil, fatal(codeInvalidAuthorization, "dbward: this server requires TLS", "connect with sslmode=require")
	}
	if len(out) > 0 {
		if _, err := conn.Write(out); err != nil {
			return nil, gone
		}
	}
	id, perr := s.authenticate(conn, r, user, tlsOn)
	if perr != nil {
		s.log.Info("authentication failed", "identity", user, "client", conn.RemoteAddr().String())
		if perr != gone {
			s.recordAuth(audit.TypeAuthFailure, audit.Identity{Name: user}, db, remoteIP(conn), perr.Message)
		}
		return nil, perr
	}
	s.recordAuth(audit.TypeAuthSuccess, audit.Identity{Name: id.Name, Kind: string(id.Kind), Owner: id.Owner,
		Fingerprint: id.Fingerprint, Groups: id.Groups}, db, remoteIP(conn), "")
	ds, ok := s.opts.Config.Datastore(db)
	if !ok {
		return nil, fatal(codeInvalidCatalogName, fmt.Sprintf("dbward: datastore %q does not exist", db),
			"set database= to the name of a datastore in dbward's config")
	}
	up, err := upstream.Connect(ctx, ds, params)
	if err != nil {
		s.log.Error("upstream connection failed", "datastore", ds.Name, "identity", id.Name, "err", err)
		return nil, fatal(codeConnectionFailure, fmt.Sprintf("dbward: cannot reach datastore %q", ds.Name),
			"dbward could not connect to the database; try again, and tell the operator if it persists")
	}
	ss := &session{
		srv: s, client: conn, cr: r, id: id, ds: ds, up: up,
		ur:         newReader(up.Conn, s.opts.MaxMessageSize),
		catalog:    s.catalog[ds.Name],
		clientAddr: remoteIP(conn),
		auditID:    newSessionID(),
		params:     params,
	}
	ss.flight.tr = s.opts.Mask
	ss.cr.max = s.opts.MaxMessageSize
	ss.txStatus.Store(uint32(up.TxStatus))
	app := params["application_name"]
	if v, ok := up.Parameters["application_name"]; ok {
		app = v
	}
	ss.appName.Store(&app)
	s.log.Info("session started", "identity", id.Name, "kind", string(id.Kind), "datastore", ds.Name, "client", ss.clientAddr)
	return ss, nil
}

// syntaxChangingParam finds a startup parameter, or a -c setting inside
// options, that would make the server parse text differently from dbward.
func syntaxChangingParam(params map[string]string) (string, bool) {
	for k, v := range params {
		if analyze.ChangesSyntax(k, v) {
			return k, true
		}
	}
	fields := strings.Fields(params["options"])
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			f = fields[i]
		case strings.HasPrefix(f, "-c"):
			f = f[2:]
		case strings.HasPrefix(f, "--"):
			f = f[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(f, "="); ok && analyze.ChangesSyntax(strings.ReplaceAll(k, "-", "_"), v) {
			return k, true
		}
	}
	return "", false
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

func isLoopback(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.IsLoopback()
	}
	_, unix := c.RemoteAddr().(*net.UnixAddr)
	return unix
}
