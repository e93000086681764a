package notify

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/dbward/dbward/internal/approval"
)

// Target is an endpoint told of requests.
type Target struct {
	Name   string   // names it in the log
	URL    string   // where messages are POSTed; never logged: a Slack webhook's URL is its secret
	Format string   // "json" or "slack"; if empty, json
	Token  string   // if set, sent as a bearer token; never logged
	Events []string // the events it is told of (see Event); if empty, created alone
}

// Options configures New. The zero value of every field is a working
// default.
type Options struct {
	Targets []Target
	// Link is the base URL people reach dbward's HTTP API at; messages
	// link to a request at Link/api/v1/approvals/<id>. If empty, they
	// carry no link.
	Link string
	// Logger receives deliveries that fail and messages dropped. If nil,
	// they are discarded.
	Logger *slog.Logger
	// Client posts the messages. If nil, one that gives each attempt 10 s.
	Client *http.Client
	// Queue is how many messages may wait per target; when it is full the
	// oldest is dropped. If zero, 256.
	Queue int
	// Attempts is how many times a message is tried when its target fails
	// in a way that may pass (a network error, 429, 5xx). If zero, 5.
	Attempts int
	// Backoff is the wait before the first retry, doubled before each
	// next one. If zero, 1 s.
	Backoff time.Duration
}

// closeGrace is how long Close leaves the targets to deliver what is
// queued.
const closeGrace = 2 * time.Second

// Notifier delivers messages about requests to its targets. Its methods
// are safe for concurrent use.
type Notifier struct {
	o       Options
	log     *slog.Logger
	targets []*target
	ctx     context.Context // ends closeGrace after Close: attempts in flight and backoffs stop
	cancel  context.CancelFunc
	stop    chan struct{} // closed by Close
	wg      sync.WaitGroup
	once    sync.Once
}

// target is a Target with its queue, emptied by its own goroutine.
type target struct {
	Target
	mu     sync.Mutex
	queue  []message
	closed bool          // by Close: nothing more is queued
	wake   chan struct{} // a message was queued, or Close was called
}

// message is one body to POST, and what the log says of it.
type message struct {
	request, event string
	body           []byte
}

// New starts a goroutine per target; Close stops them.
func New(o Options) *Notifier {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	n := &Notifier{o: o, log: o.Logger, stop: make(chan struct{})}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	for _, t := range o.Targets {
		if t.Format == "" {
			t.Format = "json"
		}
		if len(t.Events) == 0 {
			t.Events = []string{"created"}
		}
		tt := &target{Target: t, wake: make(chan struct{}, 1)}
		n.targets = append(n.targets, tt)
		n.wg.Go(func() { n.run(tt) })
	}
	return n
}

// Notify queues a message about r, as it now stands, for every target that
// wants r's event, and returns at once: it never waits for a target. It
// suits approval.Store.OnChange.
func (n *Notifier) Notify(r approval.Request) {
	ev := Event(r.State)
	bodies := map[string][]byte{} // by format: each is written once
	for _, t := range n.targets {
		if !slices.Contains(t.Events, ev) {
			continue
		}
		body, ok := bodies[t.Format]
		if !ok {
			var err error
			if body, err = n.encode(t.Format, ev, &r); err != nil {
				n.log.Error("approval notification: cannot write the message", "target", t.Name, "request", r.ID, "event", ev, "err", err)
				continue
			}
			bodies[t.Format] = body
		}
		n.push(t, message{request: r.ID, event: ev, body: body})
	}
}

// push queues m for t, dropping the oldest message when the queue is full.
func (n *Notifier) push(t *target, m message) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		n.log.Warn("approval notification dropped: dbward is stopping", "target", t.Name, "request", m.request, "event", m.event)
		return
	}
	var dropped *message
	if len(t.queue) >= n.o.Queue {
		d := t.queue[0]
		dropped = &d
		t.queue = slices.Delete(t.queue, 0, 1)
	}
	t.queue = append(t.queue, m)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	if dropped != nil {
		n.log.Warn("approval notifications: the target's queue is full; dropped the oldest message", "target", t.Name,
			"request", dropped.request, "event", dropped.event, "queue", n.o.Queue)
	}
}

// run delivers t's messages in order until Close, and then what is queued,
// for as long as closeGrace allows.
func (n *Notifier) run(t *target) {
	for {
		t.mu.Lock()
		var m message
		ok, closed := len(t.queue) > 0, t.closed
		if ok {
			m = t.queue[0]
			t.queue = slices.Delete(t.queue, 0, 1)
		}
		left := len(t.queue)
		t.mu.Unlock()
		switch {
		case ok && closed && n.ctx.Err() != nil:
			n.log.Warn("approval notifications not delivered: dbward stopped before their target took them", "target", t.Name, "messages", left+1)
			t.mu.Lock()
			t.queue = nil
			t.mu.Unlock()
			return
		case ok:
			n.deliver(t, m)
		case closed:
			return
		default:
			select {
			case <-t.wake:
			case <-n.stop:
			}
		}
	}
}

// Close stops queueing, gives the targets up to two seconds to deliver
// what is queued, and returns once their goroutines have ended.
func (n *Notifier) Close() {
	n.once.Do(func() {
		for _, t := range n.targets {
			t.mu.Lock()
			t.closed = true
			t.mu.Unlock()
		}
		close(n.stop)
		grace := time.AfterFunc(closeGrace, n.cancel)
		n.wg.Wait()
		grace.Stop()
		n.cancel()
	})
}
