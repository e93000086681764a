// Command dbward is the database governance proxy and change gate.
// This file wires flags to the internal packages; nothing else lives here.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes (DESIGN §5).
const (
	exitOK       = 0
	exitFindings = 1 // findings, denied, verification failed
	exitUsage    = 2 // usage or config error
)

var version = "dev" // set by the linker in release builds

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the PostgreSQL proxy", runServe},
		{"policy", "policy tools: dbward policy test", runPolicy},
		{"audit", "audit trail: dbward audit verify|prove|search|tail|key", runAudit},
		{"approvals", "approval requests: dbward approvals list|show|approve|deny", runApprovals},
		{"classify", "sample a datastore and propose masking classifications: dbward classify --datastore NAME", runClassify},
		{"demo", "start a local PostgreSQL with sample data and dbward in front of it", runDemo},
		{"version", "print the version", func(_ []string, stdout, _ io.Writer) int { fmt.Fprintln(stdout, "dbward", version); return exitOK }},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "dbward: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dbward <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --config FILE (default $DBWARD_CONFIG, then ./dbward.yaml).")
}

// newFlags returns a flag set with the --config flag every command takes.
func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("dbward "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("DBWARD_CONFIG")
	if def == "" {
		def = "dbward.yaml"
	}
	cfg := fs.String("config", def, "config file")
	return fs, cfg
}

// parseFlags parses args and reports the exit code to use on failure.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}
