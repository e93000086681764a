package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"time"
)

// Why a statement held for approval stopped waiting (context causes).
var (
	errHoldCancelled = errors.New("the client cancelled the statement")
	errClientGone    = errors.New("the client disconnected")
	errSessionEnded  = errors.New("the session ended")
)

// clientCheckEvery is how often a held statement looks for its client
// having gone away.
const clientCheckEvery = 250 * time.Millisecond

// relayHooks is what a held statement needs of the relay that carries its
// session, when that is not the goroutine relay (which uses the session's
// own connection).
type relayHooks struct {
	// tell writes messages to the client out of turn (a notice); false if
	// the relay has ended.
	tell func([]byte) bool
	// closed reports whether the client has closed its side.
	closed func() bool
	// send writes messages to the upstream out of turn, after what the
	// relay has for it; false if the relay has ended.
	send func([]byte) bool
}

// hold starts holding a statement: the context it returns ends when the
// client cancels (CancelRequest), disconnects, or the session or ctx ends,
// with one of the causes above. release ends the hold.
func (ss *session) hold(ctx context.Context) (held context.Context, release func()) {
	held, cancel := context.WithCancelCause(ctx)
	ss.held.Store(&cancel)
	if ss.ended.Load() { // (ended before the hold was in place)
		cancel(errSessionEnded)
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(clientCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-held.Done():
				return
			case <-tick.C:
				if ss.clientClosed() {
					cancel(errClientGone)
					return
				}
			}
		}
	}()
	return held, func() {
		close(done)
		ss.held.Store(nil)
		cancel(nil)
	}
}

// cancelHeld ends the wait of a held statement with why, and reports
// whether there was one.
func (ss *session) cancelHeld(why error) bool {
	if c := ss.held.Load(); c != nil {
		(*c)(why)
		return true
	}
	return false
}

// tellClient writes messages to the client while the relay may be busy
// with other things: whole messages, between the relay's own.
func (ss *session) tellClient(b []byte) bool {
	if h := ss.hooks.Load(); h != nil {
		return h.tell(b)
	}
	return ss.writeClient(b) == nil
}

// clientClosed reports whether the client has closed its side of the
// connection (or it cannot be told).
func (ss *session) clientClosed() bool {
	if h := ss.hooks.Load(); h != nil {
		return h.closed()
	}
	return connClosed(ss.client)
}

// connClosed reports whether the peer of c has closed its side; c is not
// read, so bytes waiting in it stay for the relay.
func connClosed(c net.Conn) bool {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	if err := rc.Control(func(fd uintptr) { closed = peerClosed(int(fd)) }); err != nil {
		return true // (closed by the session)
	}
	return closed
}
