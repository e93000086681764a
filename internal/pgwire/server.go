package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/mask"
	"github.com/dbward/dbward/internal/policy"
	"github.com/dbward/dbward/internal/upstream"
)

// Options are what a Server needs. Config, Identities, Analyzer and Policy
// are required.
type Options struct {
	Config     *config.Config
	Identities *identity.Store
	Analyzer   *analyze.Analyzer
	Policy     *policy.Engine
	// Audit records every session and statement. Required by dbward serve;
	// nil only in tests of other parts, where nothing is recorded.
	Audit *audit.Trail

	// TLS is the client-facing TLS config. If nil, one is built from
	// Config.TLS (a self-signed certificate when none is configured).
	TLS *tls.Config
	// Logger receives structured events. If nil, slog.Default() is used.
	Logger *slog.Logger
	// MaxMessageSize bounds one client or server message. If zero, 256 MiB.
	MaxMessageSize int
	// Relay chooses how sessions are relayed; the zero value is the event
	// loop where the platform and the connection allow it.
	Relay Relay
	// Mask masks result values as policy says. If nil, one with a random
	// key is made: tokens and fakes then differ from one start to the next.
	Mask *mask.Transformer
	// Approvals keeps approval requests. A statement policy wants approved
	// runs once approved (defer mode: the client sends it again). If nil,
	// such statements are refused.
	Approvals *approval.Store
}

// Relay is how sessions are relayed.
type Relay int

const (
	// RelayLoop relays plain-socket sessions on one epoll event loop (Linux)
	// and TLS sessions with goroutines.
	RelayLoop Relay = iota
	// RelayGoroutines relays every session with two goroutines.
	RelayGoroutines
)

// Server accepts client connections and runs a session for each.
type Server struct {
	opts  Options
	log   *slog.Logger
	scram scramKeyCache

	decoyOnce   sync.Once
	decoySecret [32]byte
	catalog     map[string]*upstream.Catalog // by datastore name

	loop *eventLoop // relays plain-socket sessions; nil: goroutines relay all

	mu       sync.Mutex
	sessions map[uint32]*session // by the pid dbward gave the client
	wg       sync.WaitGroup
}

// New validates opts and returns a Server.
func New(opts Options) (*Server, error) {
	if opts.Config == nil || opts.Identities == nil || opts.Analyzer == nil || opts.Policy == nil {
		return nil, errors.New("pgwire: Config, Identities, Analyzer and Policy are required")
	}
	if opts.TLS == nil {
		t, err := TLSConfig(opts.Config.TLS)
		if err != nil {
			return nil, err
		}
		opts.TLS = t
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxMessageSize == 0 {
		opts.MaxMessageSize = 256 << 20
	}
	if opts.Mask == nil {
		key := make([]byte, 32)
		rand.Read(key)
		t, err := mask.NewTransformer(key)
		if err != nil {
			return nil, err
		}
		opts.Mask = t
	}
	s := &Server{opts: opts, log: opts.Logger, sessions: map[uint32]*session{}, catalog: map[string]*upstream.Catalog{}}
	for i := range opts.Config.Datastores {
		ds := &opts.Config.Datastores[i]
		s.catalog[ds.Name] = upstream.NewCatalog(ds, opts.Config.Masking.Columns)
	}
	return s, nil
}

// Serve accepts connections on ln until ctx is done, then closes every
// session and returns once they have ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	if s.opts.Relay != RelayGoroutines {
		loop, err := newEventLoop()
		if err != nil {
			s.log.Warn("no event loop; sessions are relayed by goroutines", "err", err)
		}
		s.loop = loop
		defer func() {
			if loop != nil {
				loop.stop() // after shutdown: every session has ended
			}
		}()
	}
	var tempDelay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.shutdown()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				time.Sleep(tempDelay)
				continue
			}
			s.shutdown()
			return fmt.Errorf("accepting connections: %w", err)
		}
		tempDelay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(ctx, nc)
		}()
	}
}

// shutdown ends every session and waits for them.
func (s *Server) shutdown() {
	s.mu.Lock()
	live := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		live = append(live, ss)
	}
	s.mu.Unlock()
	// Each may wait up to a second on a client that does not read: in parallel.
	var told sync.WaitGroup
	for _, ss := range live {
		told.Go(func() {
			ss.terminate(fatal(codeAdminShutdown, "dbward: the server is shutting down", "reconnect in a moment"))
		})
	}
	told.Wait()
	s.wg.Wait()
	for _, c := range s.catalog {
		c.Close()
	}
}

// register gives a session its client-facing cancel key.
func (s *Server) register(ss *session) {
	var b [8]byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		if _, taken := s.sessions[pid]; pid != 0 && !taken {
			ss.pid, ss.secret = pid, b[4:8:8]
			s.sessions[pid] = ss
			return
		}
	}
}

func (s *Server) unregister(ss *session) {
	s.mu.Lock()
	if s.sessions[ss.pid] == ss {
		delete(s.sessions, ss.pid)
	}
	s.mu.Unlock()
}

// cancel handles a CancelRequest: if pid and key name a live session, its
// statement held for approval, or else its upstream query, is cancelled. As in PostgreSQL, nothing is answered either way.
func (s *Server) cancel(ctx context.Context, pid uint32, key []byte) {
	s.mu.Lock()
	ss := s.sessions[pid]
	s.mu.Unlock()
	if ss == nil || subtle.ConstantTimeCompare(ss.secret, key) != 1 {
		s.log.Info("cancel request for no session", "pid", pid)
		return
	}
	if ss.cancelHeld(errHoldCancelled) {
		return // the upstream has nothing running
	}
	if err := ss.up.Cancel(ctx); err != nil {
		s.log.Warn("cancel failed", "session", ss.pid, "err", err)
	}
}
