package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/dbward/dbward/"

// forbidden lists, per package, imports that would bend the statement
// path (STYLE habit 1: analyze, policy, mask and audit never speak HTTP or
// the wire protocol).
var forbidden = map[string][]string{
	"internal/analyze":  {"net/http", module + "internal/pgwire", module + "internal/policy", module + "internal/upstream"},
	"internal/policy":   {"net/http", module + "internal/pgwire", module + "internal/upstream"},
	"internal/config":   {module + "internal/"},
	"internal/identity": {"net/http", module + "internal/pgwire"},
	"internal/upstream": {module + "internal/pgwire", module + "internal/policy"},
	// The trail records what it is given; it knows nothing of the wire,
	// SQL or policy, so any part can record into it.
	// Masking is the last step of the path: it knows values and columns,
	// never the session, SQL, policy or the database connection.
	// Lineage is a vocabulary shared by analysis and masking: it imports
	// neither.
	"internal/lineage":     {module + "internal/"},
	"internal/mask/detect": {"net/http", module + "internal/"},
	"internal/mask":        {"net/http", module + "internal/pgwire", module + "internal/policy", module + "internal/analyze", module + "internal/upstream", module + "internal/audit"},
	// Approvals keep requests and decide quorums; the session turns a
	// decision into a request and the HTTP API turns votes into calls.
	"internal/approval": {"net/http", module + "internal/pgwire", module + "internal/policy", module + "internal/analyze", module + "internal/upstream", module + "internal/mask", module + "internal/audit"},
	// Notifications tell people of requests over HTTP, apart from the
	// store; they know requests alone.
	"internal/approval/notify": {module + "internal/pgwire", module + "internal/policy", module + "internal/analyze", module + "internal/upstream", module + "internal/mask", module + "internal/audit", module + "internal/config", module + "internal/console"},
	// A preview dry-runs a write on a connection it is given; the session
	// masks its sample and keeps it with the request.
	"internal/preview": {"net/http", module + "internal/pgwire", module + "internal/policy", module + "internal/approval", module + "internal/audit", module + "internal/mask"},
	"internal/audit":   {"net/http", module + "internal/pgwire", module + "internal/policy", module + "internal/analyze", module + "internal/upstream"},
}

type pkgInfo struct {
	imports map[string]bool
	doc     bool
}

func scan(t *testing.T) map[string]*pkgInfo {
	root := filepath.Join("..", "..")
	pkgs := map[string]*pkgInfo{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		p := pkgs[rel]
		if p == nil {
			p = &pkgInfo{imports: map[string]bool{}}
			pkgs[rel] = p
		}
		if f.Doc != nil && !strings.HasSuffix(path, "_test.go") {
			p.doc = true
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil // tests may reach across layers to test them together
		}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			p.imports[s] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestLayersPointOneWay(t *testing.T) {
	pkgs := scan(t)
	for dir, bans := range forbidden {
		p := pkgs[dir]
		if p == nil {
			t.Errorf("package %s not found", dir)
			continue
		}
		for imp := range p.imports {
			for _, ban := range bans {
				if imp == ban || (strings.HasSuffix(ban, "/") && strings.HasPrefix(imp, ban)) {
					t.Errorf("%s imports %s", dir, imp)
				}
			}
		}
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for dir, p := range scan(t) {
		if !p.doc {
			t.Errorf("package %s has no doc comment", dir)
		}
	}
}
