package pgwire

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// loopRelay is a session's relay on the event loop: the same message
// handling as the goroutine relay (fromClient, fromServer), driven by
// readiness instead of blocking reads. Every field is the loop
// goroutine's, except while a statement is judged off the loop (judging):
// then the judging goroutine uses the session's client side alone, and
// the loop does not read from the client.
type loopRelay struct {
	ss  *session
	l   *eventLoop
	ctx context.Context

	cfd, ufd rawFD
	toClient []byte // relayed, not yet taken by the client's socket
	toUp     []byte // relayed, not yet taken by the upstream's socket
	watching [2]uint32

	judging bool // a statement is being judged off the loop
	ended   bool
	done    chan struct{} // closed when the relay has ended
}

// plainSocket reports whether c can be relayed by the event loop: TLS
// connections cannot (crypto/tls needs blocking reads and writes).
func plainSocket(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// runOnLoop relays the session on the server's event loop until it ends.
// It returns false, having changed nothing, when the session cannot be
// relayed there; the caller then relays with goroutines.
func (ss *session) runOnLoop(ctx context.Context) bool {
	l := ss.srv.loop
	if l == nil || !plainSocket(ss.client) || !plainSocket(ss.up.Conn) {
		return false
	}
	r := &loopRelay{ss: ss, l: l, ctx: ctx, done: make(chan struct{})}
	var err error
	if r.cfd, err = detach(ss.client); err != nil {
		return false
	}
	if r.ufd, err = detach(ss.up.Conn); err != nil {
		ss.srv.log.Error("cannot relay the session on the event loop", "err", err)
		syscall.Close(int(r.cfd))
		return true
	}
	ss.cr.r, ss.ur.r = r.cfd, r.ufd
	onLoop := func(why *pgError) bool { return l.post(func() { r.end(why) }) }
	ss.onLoop.Store(&onLoop)
	ss.hooks.Store(&relayHooks{tell: r.tell, closed: r.clientClosed, send: r.send})
	if !l.post(r.start) {
		syscall.Close(int(r.cfd))
		syscall.Close(int(r.ufd))
		return true
	}
	<-r.done
	return true
}

const (
	sideClient = iota
	sideUp
)

func (r *loopRelay) start() {
	if err := r.l.watch(int(r.cfd), syscall.EPOLLIN, r); err != nil {
		syscall.Close(int(r.ufd))
		r.l.unwatch(int(r.cfd))
		r.ended = true
		close(r.done)
		return
	}
	if err := r.l.watch(int(r.ufd), syscall.EPOLLIN, r); err != nil {
		r.l.unwatch(int(r.ufd))
		r.end(r.ss.upstreamLost(err))
		return
	}
	r.watching = [2]uint32{syscall.EPOLLIN, syscall.EPOLLIN}
	if r.ctx.Err() != nil { // shutdown began while the session moved here
		r.end(shuttingDown())
		return
	}
	// Either reader may hold bytes that arrived with the startup phase.
	r.fromClient(false)
	r.fromServer(false)
}

// ready handles readiness of one of the session's sockets.
func (r *loopRelay) ready(fd int32, events uint32) {
	defer func() {
		if p := recover(); p != nil {
			r.ss.srv.logPanic("relay", p)
			r.end(nil) // only this session ends
		}
	}()
	if r.ended {
		return
	}
	hangup := events&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0
	if rawFD(fd) == r.cfd {
		if events&syscall.EPOLLOUT != 0 {
			r.fromServer(false) // the client took what waited: relay more
		}
		if events&syscall.EPOLLIN != 0 || hangup {
			if !r.fromClient(true) && hangup {
				r.ss.silence() // the client is gone: no one to tell
				r.end(nil)
			}
		}
	} else {
		if events&syscall.EPOLLOUT != 0 {
			r.fromClient(false)
		}
		if events&syscall.EPOLLIN != 0 || hangup {
			if !r.fromServer(true) && hangup {
				r.end(r.ss.upstreamLost(errors.New("connection reset")))
			}
		}
	}
	r.rewatch()
}

// fromClient relays what the client sent: first what still waits for
// the upstream's socket, then, if that is gone and read is set, one read's
// worth. It reports whether it could read.
func (r *loopRelay) fromClient(read bool) bool {
	ss := r.ss
	if r.ended || r.judging || !r.flush(sideUp) {
		return false
	}
	if read {
		if err := ss.cr.readSome(); err != nil && err != errWouldBlock {
			if perr := ss.clientReadError(err); perr != nil {
				r.end(perr)
			} else {
				ss.silence()
				r.end(nil)
			}
			return true
		}
	}
	for !r.ended {
		typ, raw, ok, err := ss.cr.buffered1()
		if err != nil {
			r.end(ss.clientReadError(err))
			return true
		}
		if !ok {
			break
		}
		out, st, perr := ss.fromClient(r.ctx, r.toUp, typ, raw, true)
		r.toUp = out
		switch {
		case perr != nil:
			r.end(perr)
			return true
		case st == stepEnd:
			ss.silence()
			r.flush(sideUp)
			r.end(nil)
			return true
		case st == stepSlow:
			r.judgeElsewhere(typ, raw)
			r.flush(sideUp)
			return true
		}
	}
	r.flush(sideUp)
	return true
}

// judgeElsewhere judges one message on its own goroutine, since that may
// wait (on the catalog, a policy evaluation); meanwhile the client's later
// messages wait in its reader, and its socket is not read. raw stays valid:
// nothing else is read into that reader until judging is over.
func (r *loopRelay) judgeElsewhere(typ byte, raw []byte) {
	r.judging = true
	go func() {
		var out []byte
		var perr *pgError
		func() {
			defer r.ss.srv.recoverSession("judge")
			out, _, perr = r.ss.fromClient(r.ctx, nil, typ, raw, false)
		}()
		if out == nil && perr == nil { // it panicked
			perr = fatal(codeInternalError, "dbward: internal error while judging the statement", "reconnect; the statement was not run")
		}
		r.l.post(func() {
			r.judging = false
			if r.ended {
				return
			}
			if perr != nil {
				r.end(perr)
				return
			}
			r.toUp = append(r.toUp, out...)
			r.fromClient(false)
			r.rewatch()
		})
	}()
}

// tell writes messages to the client out of turn (relayHooks).
func (r *loopRelay) tell(b []byte) bool { return r.outOfTurn(sideClient, b) }

// send writes messages to the upstream out of turn (relayHooks).
func (r *loopRelay) send(b []byte) bool { return r.outOfTurn(sideUp, b) }

// outOfTurn queues b for one side, on the loop, after what waits for it.
func (r *loopRelay) outOfTurn(side int, b []byte) bool {
	b = append([]byte(nil), b...)
	return r.l.post(func() {
		if r.ended {
			return
		}
		if side == sideClient {
			r.toClient = append(r.toClient, b...)
		} else {
			r.toUp = append(r.toUp, b...)
		}
		r.flush(side)
		r.rewatch()
	})
}

// clientClosed reports whether the client has closed its side
// (relayHooks); the loop's socket is looked at on the loop, where it is
// known to be open.
func (r *loopRelay) clientClosed() bool {
	ch := make(chan bool, 1)
	if !r.l.post(func() { ch <- r.ended || peerClosed(int(r.cfd)) }) {
		return true
	}
	return <-ch
}

// fromServer relays what the upstream sent, as fromClient does the other
// way.
func (r *loopRelay) fromServer(read bool) bool {
	ss := r.ss
	if r.ended || !r.flush(sideClient) {
		return false
	}
	if read {
		if err := ss.ur.readSome(); err != nil && err != errWouldBlock {
			r.end(ss.upstreamLost(err))
			return true
		}
	}
	for !r.ended {
		typ, raw, ok, err := ss.ur.buffered1()
		if err != nil {
			r.end(ss.upstreamLost(err))
			return true
		}
		if !ok {
			break
		}
		var fatal bool
		if r.toClient, fatal = ss.fromServer(r.toClient, typ, raw); fatal {
			ss.silence() // the upstream's FATAL is the last word
		}
	}
	r.flush(sideClient)
	return true
}

// flush writes what waits for one side as far as its socket takes it now,
// and reports whether nothing is left waiting.
func (r *loopRelay) flush(side int) bool {
	buf, fd := &r.toUp, r.ufd
	if side == sideClient {
		buf, fd = &r.toClient, r.cfd
	}
	if len(*buf) == 0 || r.ended {
		return true
	}
	n, err := fd.write(*buf)
	if err != nil {
		if side == sideUp {
			r.end(r.ss.upstreamLost(err))
		} else {
			r.ss.silence()
			r.end(nil)
		}
		return false
	}
	rest := copy(*buf, (*buf)[n:])
	*buf = (*buf)[:rest]
	if rest == 0 && cap(*buf) > shrinkAbove {
		*buf = nil // one huge message passed: give its buffer back
	}
	return rest == 0
}

// rewatch tells epoll what the relay waits for now. A side whose output
// is backed up is not read from, so memory stays bounded by one read.
func (r *loopRelay) rewatch() {
	if r.ended {
		return
	}
	var want [2]uint32
	if !r.judging && len(r.toUp) == 0 {
		want[sideClient] |= syscall.EPOLLIN
	}
	if len(r.toClient) > 0 {
		want[sideClient] |= syscall.EPOLLOUT
	}
	if len(r.toClient) == 0 {
		want[sideUp] |= syscall.EPOLLIN
	}
	if len(r.toUp) > 0 {
		want[sideUp] |= syscall.EPOLLOUT
	}
	for side, fd := range [2]rawFD{r.cfd, r.ufd} {
		if want[side] != r.watching[side] {
			if err := r.l.rewatch(int(fd), want[side]); err != nil {
				r.end(r.ss.upstreamLost(err))
				return
			}
			r.watching[side] = want[side]
		}
	}
}

// end ends the relay: the client is told why (unless the session was
// silenced or has told it already), as far as its socket takes it now, and
// both sockets close.
func (r *loopRelay) end(why *pgError) {
	if r.ended {
		return
	}
	r.ended = true
	if why != nil {
		r.ss.endOnce.Do(func() { r.toClient = why.appendTo(r.toClient) })
	}
	if len(r.toClient) > 0 {
		r.cfd.write(r.toClient) // as far as it goes: the session is over either way
	}
	r.l.unwatch(int(r.cfd))
	r.l.unwatch(int(r.ufd))
	close(r.done)
}
