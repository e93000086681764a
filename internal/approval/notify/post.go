package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// deliver posts m to t, retrying what may pass with a doubling backoff,
// and logs it when it gives up.
func (n *Notifier) deliver(t *target, m message) {
	wait := n.o.Backoff
	attempt := 1
	for ; ; attempt++ {
		retry, err := n.post(t, m.body)
		if err == nil {
			return
		}
		if !retry || attempt == n.o.Attempts || !sleep(n.ctx, wait) {
			n.log.Error("approval notification not delivered", "target", t.Name, "request", m.request, "event", m.event,
				"attempts", attempt, "err", redact(err.Error(), t))
			return
		}
		wait *= 2
	}
}

// post makes one attempt, and says whether another may succeed. Its
// errors never name the URL.
func (n *Notifier) post(t *target, body []byte) (retry bool, _ error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("the target's URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dbward-approval-notify")
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	resp, err := n.o.Client.Do(req)
	if err != nil {
		// A *url.Error repeats the URL; what it wraps says what failed.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("the target answered %s", resp.Status)
	}
	// Slack says what is wrong in the body: invalid_payload, no_service...
	return false, fmt.Errorf("the target answered %s: %q", resp.Status, strings.ToValidUTF8(string(answer), "?"))
}

// redact keeps t's URL and token out of s, in case an error quotes them.
func redact(s string, t *target) string {
	for _, secret := range []string{t.URL, t.Token} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// sleep waits d, or less if ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
