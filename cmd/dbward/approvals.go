package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/console"
)

const approvalsUsage = `usage: dbward approvals list|show|approve|deny [flags]

  list                  requests waiting for a decision (--state S for others, --all for every state)
  show ID               one request: the statement, its parameters, who asked, the votes
  approve ID            approve (--comment C; --grant 1h lets it run again and again for an hour)
  deny ID               deny (--comment C says why)

They act as you: DBWARD_TOKEN holds your dbward token. They call the dbward
at --server URL, else the one listen.http of --config names. --json prints
JSON: one object per line.`

func runApprovals(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, approvalsUsage)
		return exitUsage
	}
	sub := args[0]
	switch sub {
	case "list", "show", "approve", "deny":
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, approvalsUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "dbward: unknown approvals command %q\n\n%s\n", sub, approvalsUsage)
		return exitUsage
	}
	fs, cfgPath := newFlags("approvals "+sub, stderr)
	server := fs.String("server", "", "URL of dbward's HTTP API (default: from --config's listen.http)")
	asJSON := fs.Bool("json", false, "print JSON, one object per line")
	var state *string
	var all *bool
	var comment *string
	var grant *time.Duration
	switch sub {
	case "list":
		state = fs.String("state", "pending", "list requests in this state (pending, approved, denied, expired, withdrawn, used)")
		all = fs.Bool("all", false, "list requests in every state")
	case "approve":
		comment = fs.String("comment", "", "what you checked, for the trail")
		grant = fs.Duration("grant", 0, "let the statement run again and again for this long (default: once)")
	case "deny":
		comment = fs.String("comment", "", "why, for the requester and the trail")
	}
	id, code, ok := parseWithID(fs, args[1:], sub != "list")
	if !ok {
		return code
	}
	token := strings.TrimSpace(os.Getenv("DBWARD_TOKEN"))
	if token == "" {
		fmt.Fprintln(stderr, "dbward: DBWARD_TOKEN is not set: export your dbward token there (approvals act as you)")
		return exitUsage
	}
	base := *server
	if base == "" {
		u, err := config.ServerURL(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n(give --server URL to reach a dbward without its config)\n", err)
			return exitUsage
		}
		base = u
	}
	c := &console.Client{BaseURL: base, Token: token}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var reqs []*approval.Request
	var err error
	switch sub {
	case "list":
		f := approval.Filter{State: approval.State(*state)}
		if *all {
			f.State = ""
		}
		reqs, err = c.List(ctx, f)
	case "show":
		var r *approval.Request
		r, err = c.Get(ctx, id)
		reqs = []*approval.Request{r}
	case "approve", "deny":
		var r *approval.Request
		g := time.Duration(0)
		if grant != nil {
			g = *grant
		}
		r, err = c.Vote(ctx, id, sub == "approve", *comment, g)
		reqs = []*approval.Request{r}
	}
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		var ae *console.APIError
		if errors.As(err, &ae) && ae.Status == 400 {
			return exitUsage
		}
		return exitFindings // refused (not yours to see or vote on, no longer pending) or unreachable
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range reqs {
			enc.Encode(r)
		}
		return exitOK
	}
	switch sub {
	case "list":
		printRequests(stdout, reqs)
	case "show":
		printRequest(stdout, reqs[0])
	default:
		r := reqs[0]
		fmt.Fprintf(stdout, "%s is %s", r.ID, r.State)
		switch {
		case r.State == approval.Pending:
			fmt.Fprintf(stdout, ": your vote is in; it needs %s, and has %d so far", r.Quorum.Describe(), len(r.Approvers()))
		case r.State == approval.Approved && !r.GrantUntil.IsZero():
			fmt.Fprintf(stdout, ": %s may run it until %s", r.Requester.Name, r.GrantUntil.Local().Format(time.DateTime))
		case r.State == approval.Approved:
			fmt.Fprintf(stdout, ": %s may run it once, until %s", r.Requester.Name, r.UseBy.Local().Format(time.DateTime))
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}

// parseWithID parses args, in which a request id may come before or after
// the flags.
func parseWithID(fs *flag.FlagSet, args []string, wantID bool) (id string, code int, ok bool) {
	if code, ok := parseFlags(fs, args); !ok {
		return "", code, false
	}
	rest := fs.Args()
	if wantID && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
		if code, ok := parseFlags(fs, rest); !ok {
			return "", code, false
		}
		rest = fs.Args()
	}
	switch {
	case wantID && id == "":
		fmt.Fprintf(fs.Output(), "%s: which request? give its id, e.g. R-7Q2K\n", fs.Name())
		return "", exitUsage, false
	case len(rest) > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected %q\n", fs.Name(), rest[0])
		return "", exitUsage, false
	}
	return id, 0, true
}

func printRequests(w io.Writer, reqs []*approval.Request) {
	if len(reqs) == 0 {
		fmt.Fprintln(w, "no requests")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREQUESTER\tDATASTORE\tNEEDS\tEXPIRES\tSTATEMENT")
	for _, r := range reqs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.Requester.Name, r.Datastore,
			r.Quorum.Describe(), r.ExpiresAt.Local().Format(time.DateTime), oneLine(r.Statement.Text, 60))
	}
	tw.Flush()
}

func printRequest(w io.Writer, r *approval.Request) {
	fmt.Fprintf(w, "%s  %s\n", r.ID, r.State)
	who := r.Requester.Name + " (" + r.Requester.Kind
	if r.Requester.Owner != "" {
		who += ", for " + r.Requester.Owner
	}
	fmt.Fprintf(w, "requested by  %s) on %s (%s) at %s\n", who, r.Datastore, r.Environment, r.Created.Local().Format(time.DateTime))
	fmt.Fprintf(w, "rule          %s: %s\n", r.Rule, r.Reason)
	fmt.Fprintf(w, "needs         %s, by %s\n", r.Quorum.Describe(), r.ExpiresAt.Local().Format(time.DateTime))
	for k, v := range r.Intent {
		fmt.Fprintf(w, "intent        %s=%s\n", k, v)
	}
	fmt.Fprintf(w, "statement     %s\n", r.Statement.Text)
	for i, p := range r.Statement.Params {
		fmt.Fprintf(w, "  $%d          %s\n", i+1, paramText(p))
	}
	printEffect(w, r)
	for _, v := range r.Votes {
		verb := "denied"
		if v.Approve {
			verb = "approved"
		}
		fmt.Fprintf(w, "vote          %s %s at %s", v.By.Name, verb, v.At.Local().Format(time.DateTime))
		if v.Comment != "" {
			fmt.Fprintf(w, ": %s", v.Comment)
		}
		fmt.Fprintln(w)
	}
	if r.Outcome != "" {
		fmt.Fprintf(w, "outcome       %s\n", r.Outcome)
	}
}

// printEffect shows what the request's preview found: the rows, the bounds
// the run is held to, and the sample.
func printEffect(w io.Writer, r *approval.Request) {
	e := r.Effect
	if e == nil {
		if r.Preview != "" {
			fmt.Fprintf(w, "effect        %s\n", r.Preview)
		}
		return
	}
	bounds := fmt.Sprintf("exactly %d row", e.Rows)
	if e.MinRows != e.MaxRows {
		bounds = fmt.Sprintf("%d to %d row", e.MinRows, e.MaxRows)
	}
	if e.MaxRows != 1 {
		bounds += "s"
	}
	fmt.Fprintf(w, "effect        %s (a dry run; approved once, it runs only if it affects %s, or is rolled back)\n", e.Summary, bounds)
	for _, sample := range []struct {
		name string
		rows [][]*string
	}{{"before", e.Before}, {"after", e.After}} {
		if len(sample.rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-12s%s\n", sample.name, strings.Join(e.Columns, " | "))
		for _, row := range sample.rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = "NULL"
				if v != nil {
					vals[i] = oneLine(*v, 40)
				}
			}
			fmt.Fprintf(w, "  %-12s%s\n", "", strings.Join(vals, " | "))
		}
	}
	if e.Note != "" {
		fmt.Fprintf(w, "  %-12s%s\n", "note", e.Note)
	}
}

// paramText shows a parameter as people read it: text as text, binary in
// hex.
func paramText(p approval.Param) string {
	switch {
	case p.Null:
		return "NULL"
	case p.Format == 0 && utf8.Valid(p.Value):
		return fmt.Sprintf("%q", p.Value)
	}
	return "0x" + hex.EncodeToString(p.Value) + " (binary)"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}
