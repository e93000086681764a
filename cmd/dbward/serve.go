package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/approval/notify"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/audit/sink"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/console"
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/mask"
	"github.com/dbward/dbward/internal/pgwire"
	"github.com/dbward/dbward/internal/policy"
)

// benchBuild is set in benchmark builds only (noaudit_bench.go).
var benchBuild = false

func runServe(args []string, stdout, stderr io.Writer) int {
	fs, cfgPath := newFlags("serve", stderr)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until dbward stops (for performance work)")
	noAudit := new(bool)
	if benchBuild {
		noAudit = fs.Bool("no-audit", false, "benchmark builds only: record nothing, to measure what auditing costs")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "dbward: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cfg, err := config.Load(*cfgPath, nil)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	reserveProcs()
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := newProxy(ctx, cfg, *cfgPath, log, !*noAudit)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	if h, _, err := net.SplitHostPort(p.apiLn.Addr().String()); err == nil && !net.ParseIP(h).IsLoopback() {
		log.Warn("the HTTP API (listen.http) is not on loopback and speaks plain HTTP: approvers' tokens cross the network in clear; put it behind a TLS proxy or bind it to 127.0.0.1", "http", p.apiLn.Addr().String())
	}
	log.Info("dbward serving", "postgres", p.ln.Addr().String(), "http", p.apiLn.Addr().String(), "datastores", len(cfg.Datastores),
		"identities", len(cfg.Identities), "audit", cfg.Audit.Dir)
	if err := p.serve(ctx); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	log.Info("dbward stopped")
	return exitOK
}

// proxy is a ready-to-serve dbward: server, listener, audit trail and
// the webhooks that receive its records.
type proxy struct {
	srv       *pgwire.Server
	ln        net.Listener
	trail     *audit.Trail
	sinks     []*sink.Webhook
	approvals *approval.Store
	notifier  *notify.Notifier // tells approvals.notify of the requests
	api       *http.Server     // the HTTP API on listen.http
	apiLn     net.Listener
	log       *slog.Logger
}

// serve serves until ctx ends, then closes the trail after the last
// session has ended (their last records included). Webhooks are fed all
// along, from the trail itself: one that is down holds up nothing.
func (p *proxy) serve(ctx context.Context) error {
	sctx, stopSinks := context.WithCancel(context.WithoutCancel(ctx))
	var sinks sync.WaitGroup
	for _, w := range p.sinks {
		sinks.Go(func() { w.Run(sctx) })
	}
	defer func() { stopSinks(); sinks.Wait() }()
	apiDone := make(chan struct{})
	go func() {
		defer close(apiDone)
		if err := p.api.Serve(p.apiLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("the HTTP API stopped", "err", err)
		}
	}()
	ectx, stopExpiry := context.WithCancel(sctx)
	expiryDone := make(chan struct{})
	go func() { defer close(expiryDone); p.expireRequests(ectx) }()
	err := p.srv.Serve(ctx, p.ln)
	sctxShut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	p.api.Shutdown(sctxShut)
	cancel()
	<-apiDone
	stopExpiry()
	<-expiryDone
	p.approvals.Close()
	p.notifier.Close() // (after the store: no request changes any more)
	if p.trail == nil {
		return err
	}
	if cerr := p.trail.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing the audit trail: %w", cerr)
	}
	return err
}

// expireEvery is how often requests past their time are expired (and so
// recorded as expired) when nobody looks at them.
const expireEvery = 10 * time.Second

// expireRequests expires approval requests and grants as their time
// passes, until ctx ends.
func (p *proxy) expireRequests(ctx context.Context) {
	tick := time.NewTicker(expireEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := p.approvals.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				p.log.Error("cannot expire approval requests", "err", err)
			}
		}
	}
}

// newProxy builds everything a proxy needs from a validated config (read
// from cfgPath), opens its audit trail and its listener, and records what
// configuration and policies it runs with. Without audited (benchmark
// builds only) nothing is recorded.
func newProxy(ctx context.Context, cfg *config.Config, cfgPath string, log *slog.Logger, audited bool) (*proxy, error) {
	if !audited {
		log.Warn("AUDIT DISABLED: this benchmark build records nothing")
		return newProxyWith(ctx, cfg, log, nil)
	}
	klog.SetSlogLogger(log) // tessera's client (proofs) logs through klog: into dbward's log, not the terminal
	trail, err := audit.Open(ctx, audit.Options{Dir: cfg.Audit.Dir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("opening the audit trail: %w", err)
	}
	for _, ev := range []audit.Event{
		{Type: audit.TypeConfigChange, Change: digestOf([]string{cfgPath}, "")},
		{Type: audit.TypePolicyReload, Change: digestOf(cfg.Policy.Paths, ".rego")},
	} {
		if _, err := trail.Append(&ev, true); err != nil {
			trail.Close()
			return nil, fmt.Errorf("recording the configuration in the audit trail: %w", err)
		}
	}
	p, err := newProxyWith(ctx, cfg, log, trail)
	if err != nil {
		trail.Close()
		return nil, err
	}
	for _, h := range cfg.Audit.Webhooks {
		p.sinks = append(p.sinks, &sink.Webhook{Name: h.Name, URL: h.URL, Format: h.Format,
			Token: string(h.Token), Dir: cfg.Audit.Dir, Log: log})
	}
	return p, nil
}

func newProxyWith(ctx context.Context, cfg *config.Config, log *slog.Logger, trail *audit.Trail) (*proxy, error) {
	ids, err := identity.NewStore(cfg.Identities)
	if err != nil {
		return nil, err
	}
	pol, err := policy.New(ctx, policy.Options{Paths: cfg.Policy.Paths, CompileMask: pgwire.CompileMask})
	if err != nil {
		return nil, fmt.Errorf("loading policies: %w", err)
	}
	masker, err := mask.OpenKeyFile(cfg.Masking.KeyFile)
	if err != nil {
		return nil, err
	}
	// Approval requests live beside the audit directory, as the masking
	// key does.
	approvals, err := approval.Open(ctx, filepath.Join(filepath.Dir(filepath.Clean(cfg.Audit.Dir)), "approvals.sqlite"))
	if err != nil {
		return nil, fmt.Errorf("opening the approvals store: %w", err)
	}
	srv, err := pgwire.New(pgwire.Options{
		Config: cfg, Identities: ids, Analyzer: analyze.New(analyze.Options{}), Policy: pol, Logger: log, Audit: trail,
		Mask: masker, Approvals: approvals,
	})
	if err != nil {
		approvals.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen.Postgres)
	if err != nil {
		approvals.Close()
		return nil, fmt.Errorf("listen.postgres: %w", err)
	}
	apiLn, err := net.Listen("tcp", cfg.Listen.HTTP)
	if err != nil {
		ln.Close()
		approvals.Close()
		return nil, fmt.Errorf("listen.http: %w", err)
	}
	api := &http.Server{Handler: console.New(console.Options{Identities: ids, Approvals: approvals, Audit: trail, Logger: log}),
		ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// (Nothing changes a request before serve starts: the notifier is
	// made last, when nothing can fail any more.)
	notifier := notify.New(notify.Options{Targets: notifyTargets(cfg.Approvals.Notify), Link: cfg.Approvals.URL, Logger: log})
	approvals.OnChange(requestChanged(trail, notifier, log))
	return &proxy{srv: srv, ln: ln, trail: trail, approvals: approvals, notifier: notifier, api: api, apiLn: apiLn, log: log}, nil
}

// requestChanged is what a change of an approval request sets off: its
// audit record (but in benchmark builds without a trail), then the
// notifications, which only queue.
func requestChanged(trail *audit.Trail, n *notify.Notifier, log *slog.Logger) func(approval.Request) {
	if trail == nil {
		return n.Notify
	}
	record := console.RecordRequests(trail, log)
	return func(r approval.Request) {
		record(r)
		n.Notify(r)
	}
}

func notifyTargets(cfg []config.Notify) []notify.Target {
	var ts []notify.Target
	for _, c := range cfg {
		ts = append(ts, notify.Target{Name: c.Name, URL: string(c.Endpoint), Format: c.Format, Token: string(c.Token), Events: c.Events})
	}
	return ts
}

// digestOf describes the files at paths (directories: their files ending
// in ext, recursively) for a config or policy record: where from, and the
// sha256 of their names and contents in order.
func digestOf(paths []string, ext string) audit.Change {
	h := sha256.New()
	var files []string
	for _, p := range paths {
		filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ext) {
				files = append(files, path)
			}
			return nil
		})
	}
	sort.Strings(files)
	var problems []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	c := audit.Change{Source: strings.Join(paths, ", "), Digest: hex.EncodeToString(h.Sum(nil))}
	if len(paths) == 0 {
		c.Source = "(built-in policies only)"
	}
	c.Error = strings.Join(problems, "; ")
	return c
}
