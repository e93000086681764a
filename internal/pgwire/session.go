package pgwire

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/upstream"
)

// session is one client connection after login. It owns both connections.
//
// Two goroutines relay: clientToServer judges every statement before it is
// forwarded (run's own goroutine) and serverToClient relays results back,
// rewriting the errors that stand for dbward's denials. A session ends when:
//   - the client sends Terminate or closes its connection;
//   - the upstream closes (its FATAL, if any, has been relayed);
//   - a message is malformed or too large (the client gets FATAL 08P01);
//   - the server shuts down (the client gets FATAL 57P01).
type session struct {
	srv    *Server
	client net.Conn
	cr     *reader // client → dbward
	up     *upstream.Conn
	ur     *reader // upstream → dbward

	id         identity.Identity
	ds         *config.Datastore
	catalog    *upstream.Catalog
	clientAddr string
	params     map[string]string      // the client's startup parameters (a preview's connection is set up alike)
	appName    atomic.Pointer[string] // application_name, as the upstream last reported it

	pid    uint32 // the cancel key dbward gave the client
	secret []byte

	// txStatus is the last ReadyForQuery status from the upstream ('I', 'T', 'E').
	txStatus atomic.Uint32

	denials denials

	// prepared holds the facts of SQL-level PREPAREs this session made, so
	// that EXECUTE is judged by what it runs. Client side only.
	prepared map[string]analyze.Statement
	// cleanWrite: the last write found not to launder masked data.
	cleanWrite cleanWrite
	// cursors: the lineage of each cursor the session DECLAREd, for FETCH.
	cursors map[string]*lineage.Query
	// parsed and portals are the extended protocol's prepared statements
	// and portals, by name: what each Execute runs. Client side only.
	parsed, portals map[string]*parsedStmt
	// lastMask is the last statement's masking (maskFor). Client side only.
	lastMask *maskCtx
	// batch: the messages held since a Bind of a statement that waits for
	// approval, until the Sync or Flush that ends their batch; settling:
	// they are being replayed, replayRest what follows the one replayed;
	// cleanup: private statements to close after the next Sync
	// (approvals_extended.go). Client side only.
	batch      [][]byte
	batchBytes int
	settling   bool
	replayRest [][]byte
	cleanup    []string

	auditID string        // the session's id in the audit trail
	stmtSeq atomic.Uint64 // the last statement number recorded
	flight  inflight      // forwarded messages awaiting their answers

	endOnce sync.Once  // the client is told at most once why the session ends
	clientW sync.Mutex // serialises writes to the client

	// onLoop ends the session when it is relayed on the event loop; it
	// reports false if the loop has stopped.
	onLoop atomic.Pointer[func(*pgError) bool]
	// hooks: what a held statement needs of the event loop's relay; nil
	// for the goroutine relay.
	hooks atomic.Pointer[relayHooks]
	// held ends the wait of the statement held for approval, if any.
	held  atomic.Pointer[context.CancelCauseFunc]
	ended atomic.Bool // close has run
}

// run relays until the session ends.
func (ss *session) run(ctx context.Context) {
	defer ss.close() // however run ends, a panic included, both connections close
	stop := context.AfterFunc(ctx, func() { ss.terminate(shuttingDown()) })
	defer stop()
	for k, v := range ss.up.Parameters {
		if analyze.ChangesSyntax(k, v) { // (from the role's or database's defaults)
			ss.srv.log.Error("the database sets a setting dbward cannot follow; session refused", "identity", ss.id.Name, "datastore", ss.ds.Name, "setting", k)
			ss.terminate(errSyntaxSetting)
			return
		}
	}
	hello := ss.greeting()
	if _, err := ss.client.Write(hello); err != nil {
		ss.close()
		return
	}
	ss.recordSession(audit.TypeSessionStart, "")
	defer ss.recordSession(audit.TypeSessionEnd, "")
	defer ss.srv.log.Info("session ended", "identity", ss.id.Name, "datastore", ss.ds.Name)
	if ss.runOnLoop(ctx) {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ss.close()
		defer ss.srv.recoverSession("relay")
		ss.serverToClient()
	}()
	ss.clientToServer(ctx)
	ss.close()
	<-done
}

func shuttingDown() *pgError {
	return fatal(codeAdminShutdown, "dbward: the server is shutting down", "reconnect in a moment")
}

// greeting is what a PostgreSQL server sends after authentication:
// AuthenticationOk, the upstream's ParameterStatus values, dbward's own
// BackendKeyData and ReadyForQuery.
func (ss *session) greeting() []byte {
	b := mustEncode(&pgproto3.AuthenticationOk{})
	for k, v := range ss.up.Parameters {
		b, _ = (&pgproto3.ParameterStatus{Name: k, Value: v}).Encode(b)
	}
	b, _ = (&pgproto3.BackendKeyData{ProcessID: ss.pid, SecretKey: ss.secret}).Encode(b)
	b, _ = (&pgproto3.ReadyForQuery{TxStatus: byte(ss.txStatus.Load())}).Encode(b)
	return b
}

// terminate ends the session, telling the client why unless the session
// has already ended (or been silenced because the client is gone, or the
// upstream's own FATAL has been relayed).
func (ss *session) terminate(why *pgError) {
	if end := ss.onLoop.Load(); end != nil && (*end)(why) {
		return
	}
	ss.endOnce.Do(func() {
		ss.clientW.Lock()
		// A client that does not read must not hold up shutdown.
		ss.client.SetWriteDeadline(time.Now().Add(time.Second))
		ss.client.Write(why.appendTo(nil))
		ss.clientW.Unlock()
	})
	ss.close()
}

// silence makes a later terminate close without a message.
func (ss *session) silence() { ss.endOnce.Do(func() {}) }

func (ss *session) close() {
	ss.ended.Store(true)
	ss.cancelHeld(errSessionEnded)
	ss.client.Close()
	ss.up.Close()
}

// writeClient writes to the client; serialised with terminate.
func (ss *session) writeClient(b []byte) error {
	ss.clientW.Lock()
	defer ss.clientW.Unlock()
	_, err := ss.client.Write(b)
	return err
}

// quietEnd reports errors that just mean "the other side is gone".
func quietEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
