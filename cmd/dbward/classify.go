package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/mask"
	"github.com/dbward/dbward/internal/upstream"
)

// runClassify samples a datastore's tables and prints the classifications
// it proposes, as a masking.columns block to review and paste.
func runClassify(args []string, stdout, stderr io.Writer) int {
	fs, cfgPath := newFlags("classify", stderr)
	dsName := fs.String("datastore", "", "the datastore to sample (required)")
	rows := fs.Int("sample", 200, "rows sampled per table")
	outPath := fs.String("out", "", "write the proposal to this file instead of stdout")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	// Only the sampled datastore's password is needed: the identities'
	// tokens and other datastores' passwords need not be at hand.
	cfg, err := config.Load(*cfgPath, func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return "unset"
	})
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	ds, ok := cfg.Datastore(*dsName)
	if !ok || *rows < 1 {
		fmt.Fprintf(stderr, "dbward classify: --datastore must name a configured datastore (got %q) and --sample be at least 1\n", *dsName)
		return exitUsage
	}
	if env := ds.Upstream.PasswordEnv; env != "" && os.Getenv(env) == "" {
		fmt.Fprintf(stderr, "dbward classify: environment variable %s is empty or unset: export %s's upstream password there\n", env, ds.Name)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cat := upstream.NewCatalog(ds, cfg.Masking.Columns)
	defer cat.Close()
	samples, err := cat.Sample(ctx, *rows)
	if err != nil {
		fmt.Fprintf(stderr, "dbward classify: %v\n", err)
		return exitUsage
	}
	w := stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			fmt.Fprintf(stderr, "dbward classify: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		w = f
	}
	writeProposal(w, ds.Name, samples, cfg.Masking.Columns)
	return exitOK
}

// writeProposal prints a masking.columns block: every column the sample or
// the name classifies, with why, and columns already configured noted as
// such. Values never appear in it.
func writeProposal(w io.Writer, ds string, samples []upstream.ColumnSample, configured map[string]string) {
	fmt.Fprintf(w, "# dbward classify --datastore %s: proposed classifications, to review.\n", ds)
	fmt.Fprintf(w, "# Columns dbward already classifies by name need no entry; they are listed\n# commented out for the record. Paste what you keep into your config.\nmasking:\n  columns:\n")
	found := 0
	for _, s := range samples {
		p := mask.Propose(s.Column, s.Values)
		key := strings.Join([]string{ds, s.Column.Schema, s.Column.Rel, s.Column.Name}, ".")
		switch {
		case configured[key] != "":
			why := ""
			if p.Why != "" {
				why = " (" + p.Why + ")"
			}
			proposal := string(p.Class)
			if proposal == "" {
				proposal = "none"
			}
			fmt.Fprintf(w, "    # %s: %s   # configured already; proposal: %s%s\n", key, configured[key], proposal, why)
		case p.Class == "":
			continue
		case p.Class == p.ByName:
			fmt.Fprintf(w, "    # %s: %s   # %s\n", key, p.Class, p.Why)
		default:
			fmt.Fprintf(w, "    %s: %s   # %s\n", key, p.Class, p.Why)
		}
		found++
	}
	if found == 0 {
		fmt.Fprintln(w, "    # nothing sensitive found")
	}
}
