package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/pgwire"
	"github.com/dbward/dbward/internal/policy"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs, cfgPath := newFlags("serve", stderr)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until dbward stops (for performance work)")
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
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, ln, err := newServer(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "dbward: %v\n", err)
		return exitUsage
	}
	log.Info("dbward serving", "postgres", ln.Addr().String(), "datastores", len(cfg.Datastores), "identities", len(cfg.Identities))
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	log.Info("dbward stopped")
	return exitOK
}

// newServer builds everything a proxy needs from a validated config and
// opens its listener.
func newServer(ctx context.Context, cfg *config.Config, log *slog.Logger) (*pgwire.Server, net.Listener, error) {
	ids, err := identity.NewStore(cfg.Identities)
	if err != nil {
		return nil, nil, err
	}
	pol, err := policy.New(ctx, policy.Options{Paths: cfg.Policy.Paths})
	if err != nil {
		return nil, nil, fmt.Errorf("loading policies: %w", err)
	}
	srv, err := pgwire.New(pgwire.Options{
		Config: cfg, Identities: ids, Analyzer: analyze.New(analyze.Options{}), Policy: pol, Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen.Postgres)
	if err != nil {
		return nil, nil, fmt.Errorf("listen.postgres: %w", err)
	}
	return srv, ln, nil
}
