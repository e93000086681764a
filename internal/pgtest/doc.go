// Package pgtest starts real PostgreSQL servers for tests, benchmarks and
// the demo: a fresh cluster in a temporary directory, listening on a random
// free port of 127.0.0.1, with every upstream authentication method dbward
// must handle, and a shutdown that never leaves a server behind.
//
// # Use
//
// A test binary shares one server, started on first use and stopped after
// the last test:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		pg := pgtest.Shared(t)
//		if err := pg.CreateDatabase(ctx, "shop"); err != nil { ... }
//		conn, err := pgx.Connect(ctx, pg.URL("shop", pg.SuperUser, pg.SuperPassword))
//	}
//
// Shared skips the test when no PostgreSQL binaries are installed, and fails
// it instead when the environment has CI=true. Programs (the demo, the
// benchmark) call Start and Stop themselves.
//
// # Lifecycle of Start
//
//  1. Find initdb and postgres (BinDir): `pg_config --bindir`, then the
//     newest /usr/lib/postgresql/<version>/bin, then PATH.
//  2. Remove what crashed test processes left behind (see below), then make
//     the server's directory Dir (dbward-pgtest-* in the temporary directory)
//     and record the owning process id in it.
//  3. initdb --no-sync into Dir/data with a random superuser password.
//  4. Append the test settings to postgresql.conf, replace pg_hba.conf and
//     write a self-signed certificate (CertFile).
//  5. Start postgres on a free port and wait until its Unix socket accepts a
//     connection. Another process may take the port between FreePort and
//     postgres binding it (go test runs packages in parallel); a port clash
//     is retried on a new port, up to three attempts.
//  6. Create the roles md5_user and trust_user.
//
// Start takes about 1.3 s on a 2-core machine, 1.0 s of it in initdb.
//
// # Authentication
//
// pg_hba.conf, where the first matching line wins:
//
//	local all all                    trust          the harness itself, via the socket in Dir
//	host  all trust_user 127.0.0.1/32 trust         no password asked
//	host  all md5_user   127.0.0.1/32 md5           password hash stored as md5 (MD5Password)
//	host  all all        127.0.0.1/32 scram-sha-256 everyone else, the superuser included
//	host  all all        ::1/128      scram-sha-256
//
// Roles made with CreateRole store a SCRAM verifier. "host" lines match with
// and without TLS; the server has ssl=on with a self-signed certificate for
// localhost, 127.0.0.1 and ::1, so clients can test sslmode=prefer, require
// and verify-full (with sslrootcert=CertFile). URL returns sslmode=disable
// URLs; change the parameter to test TLS.
//
// # Settings
//
// Beyond initdb's defaults: listen_addresses=127.0.0.1, the Unix socket in
// Dir, max_connections=300 (tests run 200 concurrent sessions through the
// proxy), shared_buffers=32MB, fsync, synchronous_commit and
// full_page_writes off (durability is not under test; speed is welcome),
// password_encryption=scram-sha-256, ssl=on. The server logs to LogFile
// (postgres.log in the data directory); when startup fails, the error holds
// the tail of that log. Options.Settings appends more lines, which win over
// these.
//
// # Running as root
//
// initdb and postgres refuse to run as root. As root, Start runs them as the
// postgres system user, or nobody when there is none (Unprivileged), gives
// Dir to that user, and places Dir under /tmp when the temporary directory
// cannot be reached by that user. As any other user they run directly.
//
// # Never leaving a server behind
//
// Stop signals the postmaster by its pid: SIGINT (fast shutdown), after 10 s
// SIGQUIT (immediate shutdown), after 5 s more SIGKILL; then it removes Dir.
// Run stops the shared server and every server a test started but did not
// stop, also when the test binary gets SIGINT or SIGTERM. A panicking test
// ends the process without running deferred code, so each postgres is also
// started with a parent-death signal (SIGQUIT, an immediate shutdown) that
// the kernel delivers when the process that started it dies; the next Start
// on the machine removes the directories whose owning process is gone,
// killing a postmaster that still runs there.
//
// # Debugging
//
// While a server runs, Dir holds its data directory and LogFile its log;
// psql reaches it as the superuser without a password through the socket:
// psql -h <Dir> -p <Port> -U postgres.
package pgtest
