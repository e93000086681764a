// Package pgwire is the client-facing side of dbward: a PostgreSQL protocol
// server that authenticates identities, judges every statement and relays
// the permitted ones to the upstream database.
//
// # Layers
//
// framing.go cuts the byte stream into messages without decoding them;
// startup.go and auth.go run the startup phase; session.go owns a
// connection pair; relay.go decides what each message becomes in either
// direction and relays with two goroutines; loop_linux.go and
// relay_loop_linux.go relay the same way on an epoll event loop; judge.go
// asks analyze and policy about each statement; denials.go makes a refused
// statement fail on the upstream as a server error would.
//
// # Connection lifecycle
//
//  1. Startup packets: SSLRequest is answered 'S' and TLS begins (bytes sent
//     before the handshake are refused); GSSENCRequest is answered 'N';
//     CancelRequest is checked against dbward's own cancel keys and
//     forwarded with the upstream's, then the connection closes.
//  2. StartupMessage: user is the identity, database the datastore. A 3.x
//     minor version or _pq_ options get NegotiateProtocolVersion (3.0).
//  3. Authentication: SCRAM-SHA-256, or a password inside TLS / on loopback.
//  4. Upstream login with dbward's credentials for the datastore; the client
//     gets AuthenticationOk, the upstream's ParameterStatus values, dbward's
//     BackendKeyData and ReadyForQuery.
//  5. Relay. Query and Parse messages are judged before they are forwarded;
//     everything else is relayed byte for byte, batched while more is in
//     flight so pipelines stay pipelines.
//
// # Denials
//
// A refused statement is replaced by a text that fails to parse on the
// upstream (see denials.go), and the resulting error is rewritten into
// dbward's 42501. The upstream thus does exactly what it does for any
// error: aborts an open transaction, skips to Sync, reports its status.
//
// # Debugging
//
// Run dbward serve with its JSON log on stderr: every session start and end,
// refusal (identity, datastore, rule) and upstream failure is logged. Query
// texts and tokens are never logged. For performance work, dbward serve
// --cpuprofile FILE writes a CPU profile, and bench/ reports the proxy's CPU
// time per statement next to PgBouncer's.
//
// # Performance
//
// On a small machine the system calls of relaying are nearly all of a
// proxy's cost; analysis and policy are cached to well under a microsecond.
// A goroutine per direction costs, per statement, two reads that find data,
// two that find none (Go's netpoller tries the read before it waits), two
// writes and the scheduler's wake-ups: about ten system calls. So sessions
// on plain sockets are relayed by one event loop, as PgBouncer does: epoll
// says which socket is ready, one read, one write — six system calls per
// statement. A statement whose judging may wait (a catalog lookup, an
// uncached policy evaluation, a long text) is judged on its own goroutine
// while that session's client side pauses; the loop never waits on anything
// but epoll. TLS sessions are relayed by goroutines (crypto/tls reads and
// writes block), as are all sessions off Linux and with Options.Relay set to
// RelayGoroutines. Backpressure: a side whose output is not yet taken by
// its socket is not read from, so a session holds at most one read's worth
// in flight.
package pgwire
