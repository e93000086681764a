// Package pgwire is the client-facing side of dbward: a PostgreSQL protocol
// server that authenticates identities, judges every statement and relays
// the permitted ones to the upstream database.
//
// # Layers
//
// framing.go cuts the byte stream into messages without decoding them;
// startup.go and auth.go run the startup phase; session.go owns a
// connection pair; relay.go moves messages in both directions; judge.go
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
// Each direction of a session is a goroutine blocked in Read. Per statement
// that costs two reads that find data, two that find none (Go's netpoller
// tries the read before it waits), two writes and the scheduler's wake-ups:
// about ten system calls where PgBouncer's event loop makes six. Analysis
// and policy are cached to well under a microsecond on the hot path; the
// relay is where the remaining cost is.
package pgwire
