package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

//go:embed builtin/*.rego
var builtinFS embed.FS

// builtinPrefix names the built-in bundle's files in error messages and test
// results, and cannot collide with a user's file path.
const builtinPrefix = "<builtin>/"

// BuiltinModules returns the built-in bundle: file name → Rego source. Files
// whose names end in _test.rego are the bundle's own tests.
func BuiltinModules() map[string]string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic("BUG: embedded built-in bundle unreadable: " + err.Error())
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := builtinFS.ReadFile(path.Join("builtin", e.Name()))
		if err != nil {
			panic("BUG: embedded built-in bundle unreadable: " + err.Error())
		}
		out[e.Name()] = string(b)
	}
	return out
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// loadFiles reads the Rego files under paths: each path is a file, read as
// Rego whatever its name, or a directory searched recursively for *.rego.
// Test files (*_test.rego), named or found, are read only when tests is
// true. A file reached twice is read once. Keys are the paths as found, so
// that errors name files the way the user wrote them.
func loadFiles(paths []string, tests bool) (map[string]string, error) {
	out := map[string]string{}
	seen := map[string]bool{}
	add := func(p string) error {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = string(b)
		return nil
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("policy path: %w", err)
		}
		if !info.IsDir() {
			if tests || !isTestFile(root) {
				if err := add(root); err != nil {
					return nil, fmt.Errorf("policy path: %w", err)
				}
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".rego") || (!tests && isTestFile(p)) {
				return nil
			}
			return add(p)
		})
		if err != nil {
			return nil, fmt.Errorf("policy path: %w", err)
		}
	}
	return out, nil
}

// parseModules parses the built-in bundle (with its tests when tests is
// true) and the user's files as Rego v1. All parse errors are reported
// together, each naming file:line, as an ast.Errors.
func parseModules(user map[string]string, tests bool) (builtin, users map[string]*ast.Module, err error) {
	var errs ast.Errors
	parse := func(files map[string]string, prefix string) map[string]*ast.Module {
		names := make([]string, 0, len(files))
		for name := range files {
			if tests || !isTestFile(name) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		out := make(map[string]*ast.Module, len(names))
		for _, name := range names {
			m, err := ast.ParseModuleWithOpts(prefix+name, files[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				if es, ok := err.(ast.Errors); ok {
					errs = append(errs, es...)
				} else {
					errs = append(errs, ast.NewError(ast.ParseErr, &ast.Location{File: prefix + name}, "%v", err))
				}
				continue
			}
			out[prefix+name] = m
		}
		return out
	}
	builtin = parse(BuiltinModules(), builtinPrefix)
	users = parse(user, "")
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return builtin, users, nil
}
