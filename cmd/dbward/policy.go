package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/policy"
)

func runPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, "usage: dbward policy test [--config FILE] [-v] [PATH...]")
		return exitUsage
	}
	flags, cfgPath := newFlags("policy test", stderr)
	verbose := flags.Bool("v", false, "list every test, not only failures")
	if code, ok := parseFlags(flags, args[1:]); !ok {
		return code
	}
	paths := flags.Args()
	if len(paths) == 0 {
		// The policies the config names; the built-in bundle's own tests run either way.
		cfg, err := config.Load(*cfgPath, nil)
		switch {
		case err == nil:
			paths = cfg.Policy.Paths
		case errors.Is(err, fs.ErrNotExist):
		default:
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitUsage
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "dbward: policy path %s: %v\n", p, err)
			return exitUsage
		}
	}
	passed, failed, err := policy.Test(context.Background(), paths, stdout, *verbose)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitFindings
	}
	return exitOK
}
