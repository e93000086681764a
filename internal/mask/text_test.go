package mask

import (
	"fmt"
	"math"
	"net/netip"
	"testing"
	"time"
)

func TestCalendar(t *testing.T) {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := int64(-800_000); day <= 800_000; day += 997 {
		tm := epoch.AddDate(0, 0, int(day))
		if got := daysFromCivil(int64(tm.Year()), int64(tm.Month()), int64(tm.Day())); got != day {
			t.Fatalf("daysFromCivil(%s) = %d, want %d", tm.Format("2006-01-02"), got, day)
		}
		y, m, d := civilFromDays(day)
		if y != int64(tm.Year()) || m != int64(tm.Month()) || d != int64(tm.Day()) {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %s", day, y, m, d, tm.Format("2006-01-02"))
		}
	}
	// PostgreSQL's limits, as Julian days less 2451545 (POSTGRES_EPOCH_JDATE).
	if minDay != 0-2451545 || endDateDay != 2147483494-2451545 {
		t.Errorf("minDay %d, endDateDay %d", minDay, endDateDay)
	}
}

// TestDateTimeText: what the server prints parses, and prints back the same.
func TestDateTimeText(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid uint32
		in  string
	}{
		{oidDate, "2024-02-29"}, {oidDate, "0001-01-01 BC"}, {oidDate, "4714-11-24 BC"}, {oidDate, "5874897-12-31"},
		{oidDate, "-infinity"}, {oidTimestamp, "2024-02-29 23:59:59.999999"}, {oidTimestamp, "294276-12-31 23:59:59"},
		{oidTimestamp, "0044-03-15 12:00:00 BC"}, {oidTimestamptz, "2024-02-29 12:00:00+00"},
		{oidTime, "24:00:00"}, {oidTime, "00:00:00.5"}, {oidInterval, "1 year 2 mons 3 days 04:05:06.789"},
		{oidInterval, "-2 years -1 days -00:00:01"}, {oidInterval, "1 mon"}, {oidInterval, "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807"},
	} {
		out, _, err := tr.Value(nil, []byte(c.in), c.oid, 0, "", Clear)
		if err != nil || string(out) != c.in {
			t.Errorf("Clear %q: %q %v", c.in, out, err)
		}
		var d datum
		ty, _ := lookup(c.oid)
		if err := decodeText(newWorker(), &d, ty, []byte(c.in)); err != nil {
			t.Errorf("decode %q: %v", c.in, err)
			continue
		}
		if c.oid == oidInterval && d.months >= 0 && d.days >= 0 && d.i >= 0 {
			if got := string(encodeText(nil, &d, ty)); got != c.in {
				t.Errorf("interval %q prints back as %q", c.in, got)
			}
		} else if c.oid != oidInterval {
			if got := string(encodeText(nil, &d, ty)); got != c.in {
				t.Errorf("%q prints back as %q", c.in, got)
			}
		}
	}
	// Offsets are applied: the instant is what counts.
	var a, b datum
	ty, _ := lookup(oidTimestamptz)
	decodeText(newWorker(), &a, ty, []byte("2024-01-01 05:30:00+05:30"))
	decodeText(newWorker(), &b, ty, []byte("2024-01-01 00:00:00Z"))
	if a.i != b.i {
		t.Errorf("offsets: %d vs %d", a.i, b.i)
	}
	// The interval parser reads months, days and µs separately.
	var iv datum
	if !parseInterval(&iv, []byte("1 year 2 mons -3 days +04:05:06.5")) || iv.months != 14 || iv.days != -3 || iv.i != (4*3600+5*60+6)*usecPerSec+500_000 {
		t.Errorf("interval: %+v", iv)
	}
}

func TestParseIPv6(t *testing.T) {
	good := []string{"::", "::1", "1::", "1::2", "2001:db8::8a2e:370:7334", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6::8",
		"::ffff:1.2.3.4", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "FFFF::abcd", "::2:3:4:5:6:7:8"}
	bad := []string{"", ":", ":1", "1:", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::",
		"1:2:3:4:5:6:7::8", "::1.2.3", "1.2.3.4", "::1.2.3.4.5", "fe80::1%eth0", "1:2:3:4:5:6:7:1.2.3.4"}
	for _, s := range good {
		got, ok := parseIPv6([]byte(s))
		if want := netip.MustParseAddr(s).As16(); !ok || got != want {
			t.Errorf("parseIPv6(%q) = %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range bad {
		if _, ok := parseIPv6([]byte(s)); ok {
			t.Errorf("parseIPv6(%q) accepted", s)
		}
	}
}

func TestTextArrays(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid      uint32
		in, want string
	}{
		{1009, `{}`, `{}`},
		{1009, `{a}`, `{****}`},
		{1009, `{"a,b","c\"d","e\\f",null,"NULL"}`, `{****,****,****,NULL,****}`},
		{1009, `{{a,b},{c,d}}`, `{{****,****},{****,****}}`},
		{1009, `[-1:0][3:4]={{a,b},{c,d}}`, `[-1:0][3:4]={{****,****},{****,****}}`},
		{1007, `{{{1},{2}},{{3},{4}}}`, `{{{0},{0}},{{0},{0}}}`},
		{1182, `{1985-03-17,NULL}`, `{1900-01-01,NULL}`},
		{1115, `{"1985-03-17 13:45:07"}`, `{"1900-01-01 00:00:00"}`},
		{1014, `{"a  "," b"}`, `{***,**}`},
		{1009, `{""}`, `{****}`},
	} {
		out, null, err := tr.Value(nil, []byte(c.in), c.oid, 0, "", Redact)
		if err != nil || null || string(out) != c.want {
			t.Errorf("%q: %q null=%v err=%v, want %q", c.in, out, null, err, c.want)
			continue
		}
		if _, err := pgDecode(c.oid, 0, out); err != nil {
			t.Errorf("%q: masked %q does not decode: %v", c.in, out, err)
		}
	}
	for _, in := range []string{`{`, `}`, `{a`, `{a}}`, `{a}b`, `{a,}`, `{,a}`, `{{a},b}`, `{a,{b}}`, `{{a},{b,c}}`,
		`{{}}`, `{"a}`, `{a b}`, `{{{{{{{a}}}}}}}`, `[1:2]={a}`, `[1:1]{a}`, `[2:1]={a}`, `x`, ``, `{"a"b}`} {
		if out, _, err := tr.Value(nil, []byte(in), 1009, 0, "", Redact); err == nil {
			t.Errorf("%q accepted as %q", in, out)
		}
	}
}

func TestNumericText(t *testing.T) {
	ty, _ := lookup(oidNumeric)
	for _, c := range []struct {
		in   string
		s    string
		exp  int32
		neg  bool
		dscl int32
	}{
		{"0", "", 0, false, 0}, {"-0.000", "", 0, false, 3}, {"12.340", "1234", 2, false, 3},
		{"-0.0012", "12", -2, true, 4}, {"1000", "1", 4, false, 0}, {"+5", "5", 1, false, 0},
	} {
		var d datum
		if err := decodeText(newWorker(), &d, ty, []byte(c.in)); err != nil {
			t.Fatal(err)
		}
		if string(d.s) != c.s || d.exp != c.exp || d.neg != c.neg || d.dscale != c.dscl {
			t.Errorf("%q: %q e%d neg=%v dscale=%d", c.in, d.s, d.exp, d.neg, d.dscale)
		}
		want := c.in
		if want == "+5" {
			want = "5"
		} else if want == "-0.000" {
			want = "0.000"
		}
		if got := string(encodeText(nil, &d, ty)); got != want {
			t.Errorf("%q prints back as %q", c.in, got)
		}
	}
}

func TestIntText(t *testing.T) {
	for _, c := range []struct {
		oid uint32
		in  string
		ok  bool
	}{
		{oidInt2, "32767", true}, {oidInt2, "-32768", true}, {oidInt2, "32768", false}, {oidInt2, "-32769", false},
		{oidInt8, fmt.Sprint(math.MinInt64), true}, {oidInt8, "9223372036854775808", false},
		{oidOID, "4294967295", true}, {oidOID, "4294967296", false}, {oidInt4, "-", false}, {oidInt4, "+1", false},
		{oidInt8, "99999999999999999999", false}, {oidInt8, "999999999999999999999", false},
	} {
		ty, _ := lookup(c.oid)
		_, ok := parseInt([]byte(c.in), ty)
		if ok != c.ok {
			t.Errorf("parseInt(%q as %s) ok = %v", c.in, ty.name, ok)
		}
	}
}
