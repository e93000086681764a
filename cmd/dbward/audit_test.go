package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/audit"
	"k8s.io/klog/v2"
)

// auditFixture writes a config whose audit.dir holds a trail of a few
// statements, and returns the config path and the audit directory.
func auditFixture(t *testing.T) (cfg, dir string) {
	t.Helper()
	root := t.TempDir()
	cfg = filepath.Join(root, "dbward.yaml")
	os.WriteFile(cfg, []byte("datastores:\n  - name: shop\n    upstream:\n      address: 127.0.0.1:5432\n      user: svc\n      password_env: SHOP_PW_NOT_SET\naudit:\n  dir: ./audit\n"), 0o644)
	dir = filepath.Join(root, "audit")
	klog.SetSlogLogger(slog.New(slog.DiscardHandler)) // tessera's own logging, process-wide
	tr, err := audit.Open(context.Background(), audit.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		ev := &audit.Event{Type: audit.TypeStatement, Session: "s1", StatementSeq: uint64(i + 1),
			Identity:  audit.Identity{Name: "alice@example.com", Kind: "human"},
			Statement: audit.Statement{Text: "DELETE FROM orders WHERE id = $1", Kind: "delete", Command: "DELETE"},
			Decision:  audit.Decision{Action: "allow"}}
		if _, err := tr.Append(ev, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

func TestAuditCommands(t *testing.T) {
	cfg, dir := auditFixture(t)
	code, key, errs := runCLI("audit", "key", "--config", cfg)
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "dbward.audit/") {
		t.Fatalf("audit key: exit %d, %q, %s", code, key, errs)
	}
	code, proof, errs := runCLI("audit", "prove", "--config", cfg, "--index", "5")
	if code != 0 || !strings.Contains(proof, `"format": "dbward-audit-inclusion/v1"`) {
		t.Fatalf("audit prove: exit %d\n%s\n%s", code, proof, errs)
	}
	tmp := t.TempDir()
	good := filepath.Join(tmp, "proof.json")
	os.WriteFile(good, []byte(proof), 0o644)
	var p audit.InclusionProof
	json.Unmarshal([]byte(proof), &p)
	p.Leaf[len(p.Leaf)-2] ^= 1
	badDoc, _ := json.Marshal(&p)
	bad := filepath.Join(tmp, "bad.json")
	os.WriteFile(bad, badDoc, 0o644)
	keyFile := filepath.Join(tmp, "key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o644)
	_, sizes, _ := runCLI("audit", "prove", "--dir", dir, "--list")
	oldest := strings.Fields(sizes)[0]
	code, cons, _ := runCLI("audit", "prove", "--dir", dir, "--from", oldest)
	consFile := filepath.Join(tmp, "cons.json")
	os.WriteFile(consFile, []byte(cons), 0o644)
	if code != 0 {
		t.Fatalf("audit prove --from %s: exit %d", oldest, code)
	}

	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"audit"}, 2, "", "usage:"},
		{[]string{"audit", "frob"}, 2, "", `unknown audit command "frob"`},
		{[]string{"audit", "verify", "--config", cfg}, 0, "ok: log dbward.audit/", ""},
		{[]string{"audit", "verify", "--dir", dir, "--key", "@" + keyFile}, 0, "ok:", ""},
		{[]string{"audit", "verify", "--config", filepath.Join(tmp, "missing.yaml")}, 2, "", "missing.yaml"},
		{[]string{"audit", "verify", "--proof", good, "--key", key}, 0, "ok: record 5 (statement", ""},
		{[]string{"audit", "verify", "--proof", good, "--key", "@" + keyFile}, 0, "ok: record 5", ""},
		{[]string{"audit", "verify", "--proof", consFile, "--key", key}, 0, "extends its state of " + oldest + " records", ""},
		{[]string{"audit", "verify", "--proof", bad, "--key", key}, 1, "", "proof does not verify"},
		{[]string{"audit", "verify", "--proof", good}, 2, "", "--proof needs --key"},
		{[]string{"audit", "prove", "--config", cfg}, 2, "", "give one of"},
		{[]string{"audit", "prove", "--config", cfg, "--index", "999"}, 1, "", "not covered by a signed checkpoint"},
		{[]string{"audit", "prove", "--dir", dir, "--list"}, 0, "22\n", ""},
		{[]string{"audit", "tail", "--config", cfg, "-n", "2"}, 0, "21 ", ""},
		{[]string{"audit", "tail", "--dir", dir, "-n", "3", "--json"}, 0, `{"seq":20,"id":"`, ""},
		{[]string{"audit", "tail", "--dir", dir, "-n", "3"}, 0, "20 ", ""},
		{[]string{"audit", "tail", "--dir", dir, "-n", "3"}, 0, "session=s1#20 alice@example.com allow: DELETE FROM orders WHERE id = $1", ""},
		{[]string{"audit", "search", "--config", cfg, "--identity", "alice@example.com", "--limit", "1"}, 0, "1 ", ""},
		{[]string{"audit", "search", "--dir", dir, "--identity", "alice@example.com", "--json", "--since", "1h"}, 0, `{"seq":20,"id":"`, ""},
		{[]string{"audit", "search", "--dir", dir, "--decision", "deny"}, 0, "", ""},
		{[]string{"audit", "search", "--dir", dir, "--since", "yesterday"}, 2, "", "is not a time"},
		{[]string{"audit", "search", "--dir", dir, "--reindex", "--type", "trail.start"}, 0, "0 ", ""},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.inStdout) || !strings.Contains(errs, c.inStderr) {
			t.Errorf("dbward %v: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, out, errs)
		}
	}

	// Tamper with record 7 in the journal: verify names it and exits 1.
	seg := filepath.Join(dir, "journal", "00000000000000000000.wal")
	raw, _ := os.ReadFile(seg)
	i := strings.Index(string(raw), `"statement_seq":7,`)
	raw[i+len(`"statement_seq":`)] = '8'
	os.WriteFile(seg, raw, 0o600)
	code, _, errs = runCLI("audit", "verify", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "first bad record: 7") {
		t.Errorf("audit verify of a tampered trail: exit %d, %s", code, errs)
	}
}

// export writes the records of a range as JSON lines, and an evidence
// bundle that verify --bundle accepts with the key, and refuses when a
// record was taken out or without a key.
func TestAuditExport(t *testing.T) {
	cfg, _ := auditFixture(t)
	code, lines, errs := runCLI("audit", "export", "--config", cfg, "--from", "1h")
	if code != 0 || strings.Count(lines, "\n") != 22 || !strings.Contains(lines, `"seq":5,`) {
		t.Fatalf("audit export: exit %d, %d lines\n%s%s", code, strings.Count(lines, "\n"), lines, errs)
	}
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("not a JSON line: %s", l)
		}
	}
	tmp := t.TempDir()
	bundle := filepath.Join(tmp, "bundle.json")
	if code, _, errs := runCLI("audit", "export", "--config", cfg, "--from", "1h", "--bundle", bundle); code != 0 {
		t.Fatalf("audit export --bundle: exit %d: %s", code, errs)
	}
	_, key, _ := runCLI("audit", "key", "--config", cfg)
	keyFile := filepath.Join(tmp, "key")
	os.WriteFile(keyFile, []byte(key), 0o644)
	if code, out, errs := runCLI("audit", "verify", "--bundle", bundle, "--key", "@"+keyFile); code != 0 || !strings.Contains(out, "ok: 22 records") {
		t.Fatalf("verify --bundle: exit %d\n%s%s", code, out, errs)
	}
	var b audit.Bundle
	doc, _ := os.ReadFile(bundle)
	json.Unmarshal(doc, &b)
	b.Records = append(b.Records[:7], b.Records[8:]...)
	doc, _ = json.Marshal(&b)
	holed := filepath.Join(tmp, "holed.json")
	os.WriteFile(holed, doc, 0o644)
	if code, _, errs := runCLI("audit", "verify", "--bundle", holed, "--key", "@"+keyFile); code != 1 || !strings.Contains(errs, "missing") {
		t.Fatalf("verify of a bundle with a record taken out: exit %d: %s", code, errs)
	}
	if code, _, _ := runCLI("audit", "verify", "--bundle", bundle); code != 2 {
		t.Fatalf("verify --bundle without --key: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("audit", "export", "--config", cfg, "--from", "nonsense"); code != 2 {
		t.Fatalf("export --from nonsense: exit %d, want 2", code)
	}
}

// A statement's outcome reads the same in tail, search and search --json
// whether the trail folded it into the statement record (a fast read) or
// wrote it as a record of its own (a write, or a slow statement).
func TestAuditOutcomeShapes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	klog.SetSlogLogger(slog.New(slog.DiscardHandler))
	// Reads wait a minute for the writer, so the fold cannot miss.
	tr, err := audit.Open(context.Background(), audit.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), AsyncDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	stmt := func(n uint64) *audit.Event {
		return &audit.Event{Type: audit.TypeStatement, Session: "s1", StatementSeq: n,
			Identity:  audit.Identity{Name: "alice@example.com", Kind: "human"},
			Statement: audit.Statement{Text: "SELECT * FROM orders WHERE id > $1", Kind: "select", Command: "SELECT"},
			Decision:  audit.Decision{Action: "allow"}}
	}
	o := audit.Outcome{Tag: "SELECT 3", Rows: 3, Duration: 1500 * time.Microsecond}
	// Statement 1: its outcome is a separate record.
	if _, err := tr.Append(stmt(1), true); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Append(&audit.Event{Type: audit.TypeOutcome, Session: "s1", StatementSeq: 1,
		Identity: audit.Identity{Name: "alice@example.com", Kind: "human"}, Outcome: o}, false); err != nil {
		t.Fatal(err)
	}
	// Statement 2: its outcome is folded into its record.
	seq, err := tr.Append(stmt(2), false)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.FoldOutcome(seq, o) {
		t.Fatal("outcome not folded")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}

	// search --json: one object per statement, each with its outcome once.
	code, out, errs := runCLI("audit", "search", "--dir", dir, "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("audit search --json: exit %d\n%s%s", code, out, errs)
	}
	var got [2]map[string]any
	for i, l := range lines {
		if strings.Count(l, `"outcome":`) != 1 {
			t.Errorf("line %d holds the outcome %d times: %s", i, strings.Count(l, `"outcome":`), l)
		}
		if err := json.Unmarshal([]byte(l), &got[i]); err != nil {
			t.Fatal(err)
		}
		if got[i]["statement_seq"] != float64(i+1) {
			t.Errorf("line %d is statement %v", i, got[i]["statement_seq"])
		}
		for _, k := range []string{"seq", "id", "time", "statement_seq"} {
			delete(got[i], k)
		}
	}
	if a, b := mustMarshal(t, got[0]), mustMarshal(t, got[1]); a != b {
		t.Errorf("a separate and a folded outcome read differently:\nseparate %s\nfolded   %s", a, b)
	}
	if !strings.Contains(lines[1], `"outcome":{"tag":"SELECT 3","rows":3,"duration_ns":1500000}`) {
		t.Errorf("folded outcome: %s", lines[1])
	}

	// Plain search and tail show it on the statement's line.
	for _, args := range [][]string{{"audit", "search", "--dir", dir}, {"audit", "tail", "--dir", dir, "-n", "2"}} {
		code, out, errs := runCLI(args...)
		if code != 0 || !strings.Contains(out, "session=s1#2 alice@example.com allow: SELECT * FROM orders WHERE id > $1 SELECT 3 rows=3 1.5ms") {
			t.Errorf("dbward %v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	// Searching for outcomes finds both shapes.
	code, out, _ = runCLI("audit", "search", "--dir", dir, "--type", "statement.outcome")
	if code != 0 || !strings.Contains(out, " statement.outcome session=s1#1 ") || !strings.Contains(out, " statement session=s1#2 ") {
		t.Errorf("search --type statement.outcome: exit %d\n%s", code, out)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
