package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dbward classify proposes by content what names do not tell, notes what
// names already tell, leaves a column of free text that merely mentions an
// email alone, and never prints a sampled value.
func TestClassify(t *testing.T) {
	pg := testDatabase(t, "classify", "classify_svc", "classify-pw", `
CREATE TABLE leads (id int, contact text, email text, memo text, ref text, tax_ref text);
INSERT INTO leads SELECT g, 'lead' || g || '@corp-mail.net', 'x' || g || '@example.com',
  CASE WHEN g % 10 = 0 THEN 'wrote from lead' || g || '@corp-mail.net about pricing' ELSE 'called back, no answer' END,
  'order-' || g, '' FROM generate_series(1, 50) g;
UPDATE leads SET ref = '4111 1111 1111 1111' WHERE id <= 40;
GRANT SELECT ON leads TO classify_svc;`)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dbward.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`datastores:
  - name: crm
    upstream: {address: %q, database: classify, user: classify_svc, password_env: CLASSIFY_PW, tls: disable}
identities:
  - {name: ops, kind: human, token_sha256: %q}
masking:
  columns: {crm.public.leads.tax_ref: national_id}
`, pg.Addr(), strings.Repeat("a", 64))), 0o600)
	t.Setenv("CLASSIFY_PW", "classify-pw")
	var out, errb bytes.Buffer
	if code := run([]string{"classify", "--config", cfg, "--datastore", "crm", "--sample", "50"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, &errb)
	}
	got := out.String()
	for _, want := range []string{
		"\n    crm.public.leads.contact: email   # 50 of 50 sampled values look like email",
		"\n    # crm.public.leads.email: email   # 50 of 50 sampled values look like email",
		"\n    crm.public.leads.ref: card_number   # 40 of 50 sampled values look like card_number",
		"\n    # crm.public.leads.tax_ref: national_id   # configured already; proposal: none\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "memo") || strings.Contains(got, "@corp-mail.net") || strings.Contains(got, "4111") {
		t.Errorf("proposal lists free text, or shows a value:\n%s", got)
	}
	if code := run([]string{"classify", "--config", cfg, "--datastore", "nope"}, &out, &errb); code != exitUsage {
		t.Errorf("unknown datastore: exit %d", code)
	}
	t.Setenv("CLASSIFY_PW", "")
	errb.Reset()
	if code := run([]string{"classify", "--config", cfg, "--datastore", "crm"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "CLASSIFY_PW is empty or unset") {
		t.Errorf("password unset: exit %d, %s", code, &errb)
	}
}
