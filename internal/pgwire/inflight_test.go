package pgwire

import (
	"fmt"
	"strings"
	"testing"
)

// Scripts of what a client forwards (">" type, with the audit numbers of
// what it runs) and what the upstream answers ("<" type), and the outcomes
// that must come out, in order. Each statement's journal number is its
// number plus 1000, and must come out with its outcome.
func TestInflightTiesOutcomesToStatements(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   string // seq:tag:rows:sqlstate, space-separated
	}{
		{"simple query", "> Q 1 | < T | < D | < D | < C SELECT_2 | < Z",
			"1:SELECT 2:2:"},
		{"multi-statement string", "> Q 1,2,3 | < C BEGIN | < C INSERT_0_1 | < C COMMIT | < Z",
			"1:BEGIN:-:  2:INSERT 0 1:1:  3:COMMIT:-:"},
		{"error in the middle of a string", "> Q 1,2,3 | < C INSERT_0_1 | < E 23505 | < Z",
			"1:INSERT 0 1:1:  2::0:23505"},
		{"extended, pipelined", "> P | > B | > D | > E 7 | > S | > P | > B | > E 8 | > S | " +
			"< 1 | < 2 | < T | < D | < C SELECT_1 | < Z | < 1 | < 2 | < C UPDATE_4 | < Z",
			"7:SELECT 1:1:  8:UPDATE 4:4:"},
		{"error skips to Sync", "> P | > B | > E 7 | > P | > B | > E 8 | > S | > Q 9 | " +
			"< 1 | < 2 | < E 22012 | < Z | < C SELECT_0 | < Z",
			"7::0:22012  9:SELECT 0:0:"},
		{"parse error", "> P | > B | > E 7 | > S | < E 42601 | < Z | > Q 8 | < C SELECT_1 | < Z",
			"8:SELECT 1:1:"},
		{"portal suspended", "> B | > E 5 | > E 6 | > S | < 2 | < D | < s | < D | < C SELECT_1 | < Z",
			"5:PORTAL SUSPENDED:1:  6:SELECT 1:1:"},
		{"copy in", "> Q 4 | < G | < C COPY_3 | < Z", "4:COPY 3:3:"},
		{"not recorded (denied)", "> Q 0 | < E 42601 | < Z | > Q 2 | < C SELECT_1 | < Z", "2:SELECT 1:1:"},
		{"notices and notifications between", "> Q 1 | < N | < A | < C LISTEN | < S | < Z", "1:LISTEN:-:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var f inflight
			var got []string
			clock := int64(0)
			f.clock = func() int64 { return clock }
			for i, step := range strings.Split(c.script, " | ") {
				clock = int64(i)
				parts := strings.Fields(step)
				typ := parts[1][0]
				if parts[0] == ">" {
					var seqs []recorded
					if len(parts) > 2 {
						for _, s := range strings.Split(parts[2], ",") {
							var n uint64
							fmt.Sscan(s, &n)
							seqs = append(seqs, recorded{seq: n, journal: n + 1000})
						}
					}
					f.forwarded(typ, seqs)
					continue
				}
				raw := []byte{typ, 0, 0, 0, 0}
				if len(parts) > 2 {
					arg := strings.ReplaceAll(parts[2], "_", " ")
					if typ == 'E' {
						raw = append(raw, "SERROR\x00C"+arg+"\x00Mboom\x00\x00"...)
					} else {
						raw = append(raw, arg+"\x00"...)
					}
				}
				if o, ok, _ := f.answer(typ, raw); ok {
					if o.journal != o.seq+1000 {
						t.Errorf("outcome of statement %d carries journal number %d", o.seq, o.journal)
					}
					rows := fmt.Sprint(o.rows)
					if rowsOf(o.tag) < 0 && o.sqlstate == "" && o.rows == 0 {
						rows = "-"
					}
					got = append(got, fmt.Sprintf("%d:%s:%s:%s", o.seq, o.tag, rows, o.sqlstate))
				}
			}
			if g := strings.Join(got, "  "); g != c.want {
				t.Fatalf("outcomes\n got %s\nwant %s", g, c.want)
			}
			if len(f.queue) != 0 {
				t.Fatalf("%d messages still awaited: %+v", len(f.queue), f.queue)
			}
		})
	}
}

// Durations run from forwarding to completion; the next statement of a
// string starts when the one before it ends.
func TestInflightDurations(t *testing.T) {
	var f inflight
	now := int64(100)
	f.clock = func() int64 { return now }
	f.forwarded('Q', []recorded{{seq: 1}, {seq: 2}})
	now = 130
	o1, _, _ := f.answer('C', append([]byte{'C', 0, 0, 0, 0}, "INSERT 0 1\x00"...))
	now = 180
	o2, _, _ := f.answer('C', append([]byte{'C', 0, 0, 0, 0}, "INSERT 0 2\x00"...))
	if o1.duration != 30 || o2.duration != 50 {
		t.Fatalf("durations %d and %d, want 30 and 50", o1.duration, o2.duration)
	}
}

func TestRowsOf(t *testing.T) {
	for tag, want := range map[string]int64{"INSERT 0 5": 5, "DELETE 3": 3, "SELECT 7": 7, "COPY 2": 2,
		"BEGIN": -1, "CREATE TABLE": -1, "": -1, "FETCH 10": 10, "X1": -1} {
		if got := rowsOf(tag); got != want {
			t.Errorf("rowsOf(%q) = %d, want %d", tag, got, want)
		}
	}
}

// FuzzInflight feeds arbitrary message sequences — the first byte of each
// chunk says which side sent it — through the tracker and the parsers of
// message fields: nothing panics, and the queue never holds more than was
// forwarded.
func FuzzInflight(f *testing.F) {
	f.Add([]byte(">Q\x00<T<D<CSELECT 1\x00<Z"))
	f.Add([]byte(">P>B>E>S<1<2<ESERROR\x00C22012\x00\x00<Z"))
	f.Add([]byte(">C\x53name\x00>Bportal\x00stmt\x00<3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl inflight
		forwarded := 0
		for i := 0; i+1 < len(data); {
			side, typ := data[i], data[i+1]
			j := i + 2
			for j < len(data) && data[j] != '>' && data[j] != '<' {
				j++
			}
			raw := append([]byte{typ, 0, 0, 0, 0}, data[i+2:j]...)
			if side == '>' {
				bindNames(raw)
				closeTarget(raw)
				fl.forwarded(typ, []recorded{{seq: uint64(i + 1)}})
				forwarded++
			} else {
				if o, ok, _ := fl.answer(typ, raw); ok && o.seq == 0 {
					t.Fatal("an outcome without a statement")
				}
				commandTag(raw)
				errorCode(raw)
			}
			if len(fl.queue) > forwarded {
				t.Fatalf("%d awaited, %d forwarded", len(fl.queue), forwarded)
			}
			i = j
		}
	})
}
