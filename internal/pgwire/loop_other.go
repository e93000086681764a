//go:build !linux

package pgwire

import (
	"context"
	"errors"
)

// eventLoop exists on Linux only (epoll); elsewhere goroutines relay.
type eventLoop struct{}

func newEventLoop() (*eventLoop, error) {
	return nil, errors.New("the event loop needs Linux")
}

func (l *eventLoop) stop() {}

func (ss *session) runOnLoop(context.Context) bool { return false }
