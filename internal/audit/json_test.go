package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// encodingJSON is the oracle: encoding/json without HTML escaping, with
// empty lists as nil (AppendJSON counts them as absent).
func encodingJSON(t testing.TB, e *Event) []byte {
	ev := *e
	if len(ev.Identity.Groups) == 0 {
		ev.Identity.Groups = nil
	}
	if len(ev.Statement.Tables) == 0 {
		ev.Statement.Tables = nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&ev); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 80900, time.UTC)
	for _, tc := range []struct {
		name string
		ev   Event
	}{
		{"minimal", Event{ID: "x", Time: at, Type: TypeSessionStart}},
		{"zero time", Event{}},
		{"statement", *statementEvent("sess-1", 7)},
		{"outcome", Event{ID: "o", Time: at, Type: TypeOutcome, Session: "s", StatementSeq: 7,
			Outcome: Outcome{Tag: "DELETE 3", Rows: 3, Duration: 1500 * time.Microsecond, SQLState: "", MaskedColumns: 2}}},
		{"zero outcome fields", Event{Type: TypeOutcome, Outcome: Outcome{Duration: 1}}},
		{"auth failure", Event{Type: TypeAuthFailure, Identity: Identity{Name: "mallory"}, AuthMethod: "scram-sha-256",
			Client: Client{Addr: "[::1]:5000"}, Reason: "password authentication failed"}},
		{"intent sorted", Event{Type: TypeStatement, Intent: map[string]string{"ticket": "OPS-42", "reason": "fix totals", "a": ""}}},
		{"empty non-nil lists", Event{Identity: Identity{Groups: []string{}}, Statement: Statement{Tables: []Table{}}}},
		{"table without schema", Event{Statement: Statement{Tables: []Table{{Name: ""}, {Name: "t", Access: "read"}}}}},
		{"escapes", Event{Reason: "a\"b\\c\n\r\t\b\f\x00\x1f\x7f <>& \u2028\u2029 é 日本 \xff\xfe", Statement: Statement{Text: "SELECT '<tag>' || $1"}}},
		{"policy reload", Event{Type: TypePolicyReload, Change: Change{Source: "policies/", Digest: "sha256:ab", Error: "parse error"}}},
		{"flags", Event{Statement: Statement{FullText: true, TextTruncated: true}, Delayed: true}},
		{"approval vote", Event{Type: TypeApprovalVote, Identity: Identity{Name: "dora", Kind: "human"}, Datastore: "shop",
			Approval: Approval{Request: "R-7Q2K", Vote: "approve", State: "approved", Grant: "1h0m0s", Comment: "checked <it>"}, Reason: "x"}},
		{"approval request", Event{Type: TypeApprovalRequest, Session: "s1", Identity: Identity{Name: "claude@alice", Kind: "agent", Owner: "alice"},
			Datastore: "shop", Environment: "prod", Statement: Statement{Fingerprint: "a0ead580058af585", Kind: "delete", Command: "DELETE"},
			Decision: Decision{Action: "approve", Rule: "r", Reason: "agents' deletes"},
			Approval: Approval{Request: "R-7Q2K", State: "approved", Grant: "30m0s"}, Reason: "approved by dora"}},
		{"statement waiting for approval", Event{Type: TypeStatement, Approval: Approval{Request: "R-7Q2K", State: "pending"}}},
		{"decision", Event{Decision: Decision{Action: "deny", Rule: "no_unbounded_write", Reason: "DELETE without WHERE"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ev.AppendJSON(nil)
			if want := encodingJSON(t, &tc.ev); !bytes.Equal(got, want) {
				t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
			}
			var back Event
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if again := back.AppendJSON(nil); !bytes.Equal(again, got) && !strings.ContainsAny(tc.ev.Reason, "\xff") {
				t.Errorf("decode and encode again:\n got %s\nwant %s", again, got)
			}
		})
	}
}

func TestRecordEventFillsIDAndTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)
	var ev Event
	b, _ := appendRecordEvent(nil, &Event{Type: TypeTrailStart}, now)
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if !ev.Time.Equal(now) || len(ev.ID) != 36 || ev.ID[14] != '7' || !strings.Contains("89ab", ev.ID[19:20]) {
		t.Errorf("id %q time %v: want a UUIDv7 and now", ev.ID, ev.Time)
	}
}

func TestAppendJSONAllocates(t *testing.T) {
	ev := statementEvent("s", 1)
	buf := make([]byte, 0, 4096)
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { buf, _ = appendRecordEvent(buf[:0], ev, now) }); n != 0 {
		t.Errorf("encoding a statement event allocates %v times, want 0", n)
	}
}

func FuzzEventJSON(f *testing.F) {
	f.Add("s", "name", "SELECT 1", "t", "ticket", "OPS-1", int64(3), uint64(1))
	f.Add("\xff\u2028", "\x00", "<>&\"\\", "", "", "", int64(-1), uint64(0))
	f.Fuzz(func(t *testing.T, session, name, text, table, k, v string, rows int64, seq uint64) {
		ev := Event{ID: session, Time: time.Unix(0, rows).UTC(), Type: Type(name), Session: session, StatementSeq: seq,
			Identity: Identity{Name: name, Groups: []string{k, v}}, Statement: Statement{Text: text, Tables: []Table{{Name: table}}},
			Intent: map[string]string{k: v}, Outcome: Outcome{Rows: rows}, Approval: Approval{Request: k, Comment: text}, Reason: text}
		if ev.Time.Year() > 9999 || ev.Time.Year() < 0 {
			return
		}
		got := ev.AppendJSON(nil)
		if want := encodingJSON(t, &ev); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON:\n got %s\nwant %s", got, want)
		}
		rec, _ := appendRecordEvent(nil, &ev, time.Now())
		if !json.Valid(rec) || len(rec) > maxEventBytes {
			t.Fatalf("record event invalid or too large (%d bytes)", len(rec))
		}
	})
}
