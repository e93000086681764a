// Package audit is dbward's tamper-evident, write-ahead audit trail
// (DESIGN §1, guarantees 1 and 2).
//
// # The pieces
//
//		Append ──► batch ──► writer ──fsync──► journal
//		 (caller     (group      (one         (durability point)
//		  encodes)   commit)     goroutine)
//		                            └──leaf hashes + bodies──► log writer ──► Merkle log (tlog-tiles)
//		                                                       (async)        RFC 6962 tiles, checkpoints
//		                                                                      signed with the Ed25519 key
//
//	  - Event (event.go) is one record; its JSON encoding (json.go) is
//	    hand-written, stable and allocation-free, and equal to what
//	    encoding/json produces for the same struct.
//	  - Append encodes the event in the caller's goroutine and queues it. The
//	    writer (trail.go) takes everything queued as one batch, chains each
//	    record to the previous one by hash, appends a seal that signs the
//	    chain head, writes the batch with one fdatasync and then answers the
//	    durable appends: one fsync for every record that arrived meanwhile.
//	  - FoldOutcome (trail.go) puts a statement's outcome into the
//	    statement's own record while that record still waits in the batch
//	    (a read that ends before the batch is written): one record per statement
//	    instead of two. The writer splices it in before the record is
//	    chained, so the record reads as if it had been appended with its
//	    outcome. Otherwise the outcome is a separate statement.outcome
//	    record; readers (Search, sinks, tail) take either shape.
//	  - The journal (journal.go, frame.go) is segment files of framed records
//	    (length, CRC-32C, kind, body). A record's body is also its leaf in the
//	    Merkle log: version, journal sequence number, previous record's hash,
//	    event JSON. A record's hash is its RFC 6962 leaf hash.
//	  - The log writer (merklelog.go) builds the Merkle log from the written
//	    batches the journal writer hands it (the leaf hashes it computed for
//	    the chain, and the bodies), reading from the journal instead when it
//	    is behind. Record i is leaf i. The log is laid out as
//	    c2sp.org/tlog-tiles, as tessera's POSIX driver lays it out, so that
//	    tessera's client, fsck and proof tools read it; every
//	    Options.CheckpointInterval it makes the new tiles durable and signs a
//	    checkpoint (c2sp.org/tlog-checkpoint, golang.org/x/mod/sumdb/note),
//	    and archives one a minute (checkpoints.go) for Verify and
//	    consistency proofs. The log is derived data: the journal is what
//	    makes a record durable, and the log can always be rebuilt from it.
//	  - Verify (verify.go) recomputes the tree from every leaf and checks it
//	    against the checkpoints and hash tiles, walks the journal's chain and
//	    seals, and matches leaves to records. Prove and VerifyProof (proof.go)
//	    make and check inclusion and consistency proofs that need only the
//	    public key.
//	  - Records, Follow and Count (read.go) read sealed records for tail and
//	    export; Search (index.go) answers queries from a SQLite index that it
//	    keeps up to date from the journal and that Reindex rebuilds. The
//	    index is a convenience, not evidence.
//
// # Files in Options.Dir
//
//	signing.key       note private key (Ed25519), 0600, created on first Open
//	key.pub           the matching verifier key, for auditors and read-only tools
//	lock              flock: one process writes the trail
//	journal/*.wal     journal segments, named by their first sequence number
//	journal/*.torn-*  what Open cut from the end of the journal after a crash
//	log/              the Merkle log (tlog-tiles): checkpoint, tile/<level>/…, tile/entries/…
//	checkpoints       archive of signed checkpoints (framed notes)
//	index.sqlite      search index (derived; delete it at will)
//
// # Crashes and failures
//
// A record is acknowledged (a durable Append returns) only after the write
// holding it and its seal was fsynced, and only written records reach the
// Merkle log. After kill -9 (or a power cut), Open cuts what follows the
// last seal of the journal (never acknowledged; kept in a .torn file),
// loads the Merkle log as its last checkpoint left it — the edge tiles must
// hash to the signed root, or Open refuses and points at dbward audit
// verify — and rewrites everything after it from the journal.
//
// When the journal cannot be written (disk full, I/O error, permissions),
// Append returns ErrUnavailable and the writer retries the failed batch,
// reopening the segment and cutting any partial write, until it succeeds;
// then Append takes records again. Records of the failed batch that a
// caller waited for are written marked "delayed".
//
// # Throughput (2 vCPUs, ~1,500 fsync/s; bench_test.go)
//
// Durable appends share fsyncs: ~33k events/s from 64 concurrent writers,
// ~120k/s from 256. A non-durable append costs its caller under 1µs and no
// allocation; folding an outcome into a waiting record, ~50 ns and none.
// At a busy proxy's rate (BenchmarkPacedCPU) the whole trail — append,
// journal with its fsyncs, Merkle log — costs the process ~10 µs of CPU
// per record; with tessera's POSIX driver, which fsyncs every file and
// directory as it writes it, the Merkle log alone cost ~20. Verify checks
// ~500k records/s.
//
// # Debugging
//
// dbward audit verify reports the first bad record; the journal can be read
// frame by frame with decodeFrame; tessera's own fsck (cmd/fsck in its
// repository) checks the log directory as a second opinion.
package audit
