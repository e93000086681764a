package analyze

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// grant judges GRANT and REVOKE on objects. Tables named get ddl access:
// their access control changes.
func (f *facts) grant(s *pg.GrantStmt) {
	if s.IsGrant {
		f.addCommand("GRANT")
	} else {
		f.addCommand("REVOKE")
	}
	f.raise(KindPrivilege)
	if s.Targtype == pg.GrantTargetType_ACL_TARGET_OBJECT && relationObject(s.Objtype) {
		for _, o := range s.Objects {
			f.table(o.GetRangeVar(), AccessDDL, false)
		}
	}
}

// setStmt judges SET and RESET. Resetting (RESET, SET … TO DEFAULT, RESET
// ALL) goes back to the values the session started with — for ROLE and
// SESSION AUTHORIZATION, to the login role dbward connected as — so it
// gains nothing and is KindSet like any ordinary setting.
func (f *facts) setStmt(s *pg.VariableSetStmt) {
	switch s.Kind {
	case pg.VariableSetKind_VAR_RESET, pg.VariableSetKind_VAR_RESET_ALL:
		f.addCommand("RESET")
		f.raise(KindSet)
		return
	}
	f.addCommand("SET")
	f.raise(KindSet)
	if s.Kind != pg.VariableSetKind_VAR_SET_VALUE || !sensitiveSettings[strings.ToLower(s.Name)] {
		return
	}
	value, known := "", len(s.Args) == 1
	if known {
		value, known = stringValue(s.Args[0])
	}
	f.setting(strings.ToLower(s.Name), value, known)
}

// sensitiveSettings are the run-time settings whose new value decides
// the facts: who the session acts as, and how the server reads text.
var sensitiveSettings = map[string]bool{
	"role": true, "session_authorization": true,
	"standard_conforming_strings": true, "client_encoding": true,
}

// setting judges setting name (lower case) to value; known is false when
// the value is not a constant (set_config($1, $2, …)).
//
// Taking a role or session authorization is a privilege change (SET ROLE
// NONE, back to the login role, is not). Turning standard_conforming_strings
// off, or choosing a client encoding whose multi-byte characters can end
// in a backslash byte, makes the server read later statement text
// differently from dbward's parser — a quote dbward sees as closing a
// string would not close it — so such a statement gets FlagSyntaxChange
// and an unknown effect.
func (f *facts) setting(name, value string, known bool) {
	f.literal = true
	v := strings.ToLower(strings.TrimSpace(value))
	switch name {
	case "role":
		if !known || v != "none" {
			f.raise(KindPrivilege)
		}
	case "session_authorization":
		f.raise(KindPrivilege)
	case "standard_conforming_strings":
		if !known || !boolOn(v) {
			f.unknown(FlagSyntaxChange)
		}
	case "client_encoding":
		if !known || backslashEncodings[encodingKey(v)] {
			f.unknown(FlagSyntaxChange)
		}
	}
}

// boolOn reports whether v is a value PostgreSQL's parse_bool reads as
// true (unique prefixes of true/yes/on, and 1).
func boolOn(v string) bool {
	if v == "" {
		return false
	}
	for _, w := range []string{"true", "yes"} {
		if strings.HasPrefix(w, v) {
			return true
		}
	}
	return v == "on" || v == "1"
}

// backslashEncodings are the client-only encodings (after PostgreSQL's
// clean_encoding_name: lower case, letters and digits only) whose
// multi-byte characters may have 0x5C, a backslash, as a trailing byte.
var backslashEncodings = map[string]bool{
	"big5": true, "gb18030": true, "gbk": true, "johab": true, "mskanji": true,
	"shiftjis": true, "shiftjis2004": true, "sjis": true, "uhc": true,
	"win932": true, "win936": true, "win949": true, "win950": true,
	"windows932": true, "windows936": true, "windows949": true, "windows950": true,
}

func encodingKey(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ChangesSyntax reports whether setting name to value would make the
// server read statement text differently from dbward's parser (see
// FlagSyntaxChange). Sessions use it for settings that arrive outside SQL:
// startup parameters and the options parameter.
func ChangesSyntax(name, value string) bool {
	v := strings.ToLower(strings.TrimSpace(value))
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "standard_conforming_strings":
		return !boolOn(v)
	case "client_encoding":
		return backslashEncodings[encodingKey(v)]
	}
	return false
}
