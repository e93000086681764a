package analyze

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// analyze sits below the protocol and network layers (STYLE §Habits 1).
func TestNoForbiddenImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if p == "net/http" || strings.HasPrefix(p, "github.com/dbward/dbward/internal/") && p != "github.com/dbward/dbward/internal/analyze" {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
