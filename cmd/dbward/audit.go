package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/config"
)

const auditUsage = `usage:
  dbward audit verify [--config FILE | --dir DIR] [--key KEY]   check the whole trail
  dbward audit verify --proof FILE --key KEY                    check a proof with the public key alone
  dbward audit verify --bundle FILE --key KEY                   check an evidence bundle with the public key alone
  dbward audit prove  [--config FILE | --dir DIR] --index N     inclusion proof of record N (JSON)
  dbward audit prove  [--config FILE | --dir DIR] --from N [--to M]
                                                                consistency proof between checkpoints (JSON)
  dbward audit prove  [--config FILE | --dir DIR] --list        sizes of the signed checkpoints kept
  dbward audit key    [--config FILE | --dir DIR]               the public key that verifies the trail
  dbward audit tail   [--config FILE | --dir DIR] [-n N] [-f] [--json]
                                                                the last N records; -f: and new ones as they come
  dbward audit search [--config FILE | --dir DIR] [--identity NAME] [--kind KIND] [--datastore NAME]
                      [--table [SCHEMA.]NAME] [--decision ACTION] [--fingerprint FP] [--session ID]
                      [--since TIME] [--until TIME] [--type TYPE] [--limit N] [--json] [--index FILE] [--reindex]
                                                                statements (with their outcome) from a SQLite index of the trail
  dbward audit export [--config FILE | --dir DIR] [--from TIME] [--to TIME] [--bundle FILE]
                                                                the records of a time range as JSON lines, or an evidence bundle
KEY is a note verifier key (as 'dbward audit key' prints) or @FILE holding one.`

func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, auditUsage)
		return exitUsage
	}
	switch args[0] {
	case "verify":
		return auditVerify(args[1:], stdout, stderr)
	case "prove":
		return auditProve(args[1:], stdout, stderr)
	case "key":
		return auditKey(args[1:], stdout, stderr)
	case "tail":
		return auditTail(args[1:], stdout, stderr)
	case "search":
		return auditSearch(args[1:], stdout, stderr)
	case "export":
		return auditExport(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, auditUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "dbward: unknown audit command %q\n\n%s\n", args[0], auditUsage)
	return exitUsage
}

// auditFlags is newFlags plus --dir, which names an audit directory
// directly (an auditor's copy) instead of through the config. The function
// it returns gives the directory after parsing, or says on stderr why there
// is none.
func auditFlags(name string, stderr io.Writer) (*flag.FlagSet, func() (string, bool)) {
	fs, cfgPath := newFlags("audit "+name, stderr)
	dir := fs.String("dir", "", "audit directory (default: audit.dir of the config)")
	return fs, func() (string, bool) {
		if *dir != "" {
			return *dir, true
		}
		// The audit commands need no secrets: stand in for the *_env
		// variables so that a config loads where they are not set.
		cfg, err := config.Load(*cfgPath, func(string) string { return "unused" })
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return "", false
		}
		return cfg.Audit.Dir, true
	}
}

func auditVerify(args []string, stdout, stderr io.Writer) int {
	fs, auditDir := auditFlags("verify", stderr)
	key := fs.String("key", "", "verifier key (default: the trail's own key.pub)")
	proofFile := fs.String("proof", "", "check this proof document instead of the trail")
	bundleFile := fs.String("bundle", "", "check this evidence bundle (dbward audit export --bundle) instead of the trail")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dbward: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	vkey, err := readKey(*key)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: --key: %v\n", err)
		return exitUsage
	}
	if *bundleFile != "" {
		if vkey == "" {
			fmt.Fprintln(stderr, "dbward: --bundle needs --key: a bundle is checked against the public key you trust")
			return exitUsage
		}
		return verifyBundle(*bundleFile, vkey, stdout, stderr)
	}
	if *proofFile != "" {
		if vkey == "" {
			fmt.Fprintln(stderr, "dbward: --proof needs --key: a proof is checked against the public key you trust")
			return exitUsage
		}
		doc, err := os.ReadFile(*proofFile)
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitUsage
		}
		v, err := audit.VerifyProof(doc, vkey)
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitFindings
		}
		switch v.Format {
		case audit.FormatInclusion:
			fmt.Fprintf(stdout, "ok: record %d (%s %s at %s) is leaf %d of the log %s, %d records, signed checkpoint verified\n",
				v.Seq, v.Event.Type, v.Event.ID, v.Event.Time.Format("2006-01-02T15:04:05.000Z07:00"), v.Index, v.Checkpoint.Origin, v.Checkpoint.Size)
		default:
			fmt.Fprintf(stdout, "ok: the log %s of %d records extends its state of %d records; both checkpoints verified\n",
				v.Checkpoint.Origin, v.Checkpoint.Size, v.Old.Size)
		}
		return exitOK
	}
	dir, ok := auditDir()
	if !ok {
		return exitUsage
	}
	rep, err := audit.Verify(context.Background(), dir, audit.VerifyOptions{Key: vkey})
	var p *audit.Problem
	switch {
	case errors.As(err, &p):
		fmt.Fprintf(stderr, "dbward: FAILED: first bad record: %d (%s): %s\n", p.Index, p.Where, p.Detail)
		fmt.Fprintf(stdout, "%v\n", rep)
		return exitFindings
	case err != nil:
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "ok: %v\n", rep)
	if vkey == "" {
		fmt.Fprintln(stdout, "(signatures checked with the trail's own key.pub; pass --key with the key you hold to pin it)")
	}
	return exitOK
}

func auditProve(args []string, stdout, stderr io.Writer) int {
	fs, auditDir := auditFlags("prove", stderr)
	index := fs.Int64("index", -1, "leaf index of the record to prove")
	from := fs.Int64("from", -1, "size of the older checkpoint of a consistency proof")
	to := fs.Uint64("to", 0, "size of the newer checkpoint (default: the latest)")
	list := fs.Bool("list", false, "list the sizes of the signed checkpoints kept")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if n := btoi(*index >= 0) + btoi(*from >= 0) + btoi(*list); n != 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "dbward: give one of --index N, --from N or --list\n\n"+auditUsage)
		return exitUsage
	}
	dir, ok := auditDir()
	if !ok {
		return exitUsage
	}
	ctx := context.Background()
	var doc any
	var err error
	switch {
	case *list:
		sizes, err := audit.CheckpointSizes(ctx, dir)
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitFindings
		}
		for _, s := range sizes {
			fmt.Fprintln(stdout, s)
		}
		return exitOK
	case *index >= 0:
		doc, err = audit.Prove(ctx, dir, uint64(*index))
	default:
		doc, err = audit.ProveConsistency(ctx, dir, uint64(*from), *to)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitFindings
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitFindings
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return exitOK
}

func auditKey(args []string, stdout, stderr io.Writer) int {
	fs, auditDir := auditFlags("key", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir, ok := auditDir()
	if !ok {
		return exitUsage
	}
	key, err := audit.PublicKey(dir)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v (has dbward serve started once with this audit.dir?)\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, key)
	return exitOK
}

func auditTail(args []string, stdout, stderr io.Writer) int {
	fs, auditDir := auditFlags("tail", stderr)
	n := fs.Uint64("n", 10, "how many of the last records to print")
	follow := fs.Bool("f", false, "keep printing new records until interrupted")
	asJSON := fs.Bool("json", false, "one JSON object per line: the event with its journal sequence number as \"seq\"")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir, ok := auditDir()
	if !ok {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	total, err := audit.Count(ctx, dir)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	print := func(seq uint64, event []byte) error {
		if *asJSON {
			_, err := fmt.Fprintf(stdout, "{\"seq\":%d,%s\n", seq, event[1:])
			return err
		}
		var ev audit.Event
		if err := json.Unmarshal(event, &ev); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		_, err := fmt.Fprintln(stdout, formatEvent(seq, &ev))
		return err
	}
	from := total - min(total, *n)
	if *follow {
		err = audit.Follow(ctx, dir, from, 200*time.Millisecond, print)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
	} else {
		err = audit.Records(ctx, dir, from, print)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitFindings
	}
	return exitOK
}

func auditSearch(args []string, stdout, stderr io.Writer) int {
	fs, auditDir := auditFlags("search", stderr)
	var q audit.Query
	fs.StringVar(&q.Identity, "identity", "", "identity name (also matches the agents it owns)")
	fs.StringVar(&q.IdentityKind, "kind", "", "identity kind: human, agent or service")
	fs.StringVar(&q.Datastore, "datastore", "", "datastore name")
	fs.StringVar(&q.Table, "table", "", "table touched: name or schema.name")
	fs.StringVar(&q.Decision, "decision", "", "decision: allow, deny or approve")
	fs.StringVar(&q.Fingerprint, "fingerprint", "", "statement fingerprint")
	fs.StringVar(&q.Session, "session", "", "session id")
	typ := fs.String("type", "", "event type (default statement)")
	since := fs.String("since", "", "from this time on: RFC 3339, a date (2006-01-02), or a duration ago (24h)")
	until := fs.String("until", "", "before this time (same forms as --since)")
	fs.IntVar(&q.Limit, "limit", 0, "at most this many results (0: all)")
	asJSON := fs.Bool("json", false, "one JSON object per line: the event, \"seq\" first, a statement's outcome merged in as \"outcome\"")
	index := fs.String("index", "", "index file (default: index.sqlite in the audit directory)")
	reindex := fs.Bool("reindex", false, "rebuild the index from the journal first")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	q.Type = audit.Type(*typ)
	var err error
	if q.Since, err = parseWhen(*since); err != nil {
		fmt.Fprintf(stderr, "dbward: --since: %v\n", err)
		return exitUsage
	}
	if q.Until, err = parseWhen(*until); err != nil {
		fmt.Fprintf(stderr, "dbward: --until: %v\n", err)
		return exitUsage
	}
	dir, ok := auditDir()
	if !ok {
		return exitUsage
	}
	ctx := context.Background()
	if *reindex {
		if _, err := audit.Reindex(ctx, dir, *index); err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitFindings
		}
	}
	err = audit.Search(ctx, dir, *index, q, func(m audit.Match) error {
		if *asJSON {
			_, err := fmt.Fprintf(stdout, "%s\n", m.JSON)
			return err
		}
		_, err := fmt.Fprintln(stdout, formatEvent(m.Seq, &m.Event))
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitFindings
	}
	return exitOK
}

// parseWhen reads a time as RFC 3339, a date, or a duration before now.
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-01-02T15:04:05Z, 2026-01-02, or a duration ago such as 24h)", s)
}

// formatEvent is one line for people: sequence number, time, type, who,
// where, and what.
func formatEvent(seq uint64, ev *audit.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s", seq, ev.Time.Format("2006-01-02T15:04:05.000Z07:00"), ev.Type)
	add := func(s string) {
		if s != "" {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	if ev.Session != "" {
		s := "session=" + ev.Session
		if ev.StatementSeq != 0 {
			s += fmt.Sprintf("#%d", ev.StatementSeq)
		}
		add(s)
	}
	add(ev.Identity.Name)
	if ev.Identity.Kind != "" && ev.Identity.Kind != "human" {
		add("(" + ev.Identity.Kind + ")")
	}
	add(ev.Datastore)
	if d := ev.Decision; d.Action != "" {
		add(strings.TrimSuffix(d.Action+" "+d.Rule, " ") + ":")
	}
	add(ev.Statement.Text)
	if o := ev.Outcome; o != (audit.Outcome{}) {
		add(strings.TrimSpace(fmt.Sprintf("%s rows=%d %v", o.Tag, o.Rows, o.Duration)))
		if o.SQLState != "" {
			add("sqlstate=" + o.SQLState)
		}
		if o.MaskedColumns > 0 {
			add(fmt.Sprintf("masked=%d", o.MaskedColumns))
		}
	}
	if c := ev.Change; c != (audit.Change{}) {
		add(strings.TrimSpace(c.Source + " " + c.Digest + " " + c.Error))
	}
	if a := ev.Approval; a.Request != "" {
		s := a.Request
		if a.Vote != "" {
			s = a.Vote + " " + s
		}
		s += " " + a.State
		if a.Grant != "" {
			s += " grant=" + a.Grant
		}
		add("[" + s + "]")
		if a.Comment != "" {
			add(fmt.Sprintf("%q", a.Comment))
		}
	}
	add(ev.Reason)
	if ev.Delayed {
		add("(delayed)")
	}
	return b.String()
}

// readKey returns a verifier key given inline or as @FILE.
func readKey(s string) (string, error) {
	if !strings.HasPrefix(s, "@") {
		return s, nil
	}
	b, err := os.ReadFile(s[1:])
	return strings.TrimSpace(string(b)), err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
