package analyze

import (
	"maps"
	"testing"
)

func TestIntent(t *testing.T) {
	cases := []struct {
		sql  string
		want map[string]string
	}{
		{"SELECT 1", nil},
		{"SELECT 1 /* ticket='OPS-42',reason='fix%20totals' */", map[string]string{"ticket": "OPS-42", "reason": "fix totals"}},
		{"SELECT 1 /*ticket='OPS-42' , reason = 'a+b'*/", map[string]string{"ticket": "OPS-42", "reason": "a+b"}},
		{"/* a='1' */ SELECT /* b='2' */ 1 /* a='3' */", map[string]string{"a": "3", "b": "2"}},
		{`SELECT 1 /* note='it\'s' */`, map[string]string{"note": "it's"}},
		{"SELECT 1 /* route='%2Fapi%2Forders',traceparent='00-abc-01' */", map[string]string{"route": "/api/orders", "traceparent": "00-abc-01"}},
		{"SELECT 1 /* my%20key='v' */", map[string]string{"my key": "v"}},
		{"/* just a comment */ SELECT 1", nil},
		{"SELECT 1 /* ticket='OPS-42', not a pair */", nil},
		{"SELECT 1 /* broken='x */", nil},
		{"SELECT 1 /* bad='%zz' */", nil},
		{"SELECT 1 /* ='x' */", nil},
		{"SELECT 1 /* a='1' b='2' */", nil},
		{"SELECT '/* ticket=''x'' */'", nil},
		{`SELECT E'\' /* ticket=''x'' */'`, nil},
		{"SELECT $q$ /* ticket='x' */ $q$", nil},
		{`SELECT "/* ticket='x' */"`, nil},
		{"SELECT 1 -- /* ticket='x' */", nil},
		{"SELECT $1 /* ticket='x' */", map[string]string{"ticket": "x"}},
		{"SELECT 1 /* outer /* ticket='x' */ */", nil},
		{"SELECT 1 /* ticket='x'", nil},
	}
	for _, c := range cases {
		if got := Intent(c.sql); !maps.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("Intent(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
}

func FuzzIntent(f *testing.F) {
	for _, s := range []string{
		"SELECT 1 /* ticket='OPS-42',reason='fix%20totals' */", `/* a='\'' */`, "/* a='1' /* b='2' */ */",
		"SELECT $x$ /* a='1' */ $x$ /* b='2' */", "E'\\'/* a='1' */'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		for k := range Intent(sql) {
			if k == "" {
				t.Fatalf("empty key from %q", sql)
			}
		}
	})
}

func TestChangesSyntax(t *testing.T) {
	cases := []struct {
		name, value string
		want        bool
	}{
		{"standard_conforming_strings", "off", true},
		{"standard_conforming_strings", "on", false},
		{"Standard_Conforming_Strings", "false", true},
		{"standard_conforming_strings", "t", false},
		{"client_encoding", "SJIS", true},
		{"client_encoding", "Shift_JIS", true},
		{"client_encoding", "UTF8", false},
		{"client_encoding", "latin1", false},
		{"application_name", "sjis", false},
	}
	for _, c := range cases {
		if got := ChangesSyntax(c.name, c.value); got != c.want {
			t.Errorf("ChangesSyntax(%q, %q) = %v", c.name, c.value, got)
		}
	}
}
