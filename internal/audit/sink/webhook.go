// Package sink sends the audit trail elsewhere — a SIEM, a log pipeline —
// as it is written, without ever holding up the proxy or losing a record.
//
// A sink reads the trail's journal on its own (audit.Records), so the
// proxy never waits for it; it remembers in audit.dir/sinks/<name>.next the
// sequence number of the first record the far end has not acknowledged,
// and after a failure, an outage or a restart it resumes from there.
// Delivery is at least once: a crash between the far end's 2xx and the
// cursor's update sends that batch again (a clean stop waits a few seconds
// for the batch in flight); every record carries its unique
// "id" for the receiver to drop repeats.
package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/audit"
)

// Webhook POSTs records to URL in batches of JSON lines.
type Webhook struct {
	Name   string // names the cursor file
	URL    string
	Format string // "dbward" (the records as they are, with "seq") or "ocsf"
	Token  string // if set, sent as a bearer token
	Dir    string // the audit directory

	Client *http.Client  // if nil, one with a 30 s timeout
	Log    *slog.Logger  // if nil, nothing is logged
	Batch  int           // records per POST; if zero, 500
	Poll   time.Duration // how often to look for new records; if zero, 500 ms
}

// errBatchFull stops a read once a batch is full.
var errBatchFull = errors.New("batch full")

// Run sends records until ctx ends. It returns ctx's error; failures to
// deliver are retried with backoff (up to a minute apart) and logged.
func (w *Webhook) Run(ctx context.Context) error {
	w.defaults()
	next, err := w.cursor()
	if err != nil {
		return err
	}
	backoff := time.Second
	failing := false
	for {
		body, n, last, err := w.batch(ctx, next)
		if err == nil && n > 0 {
			err = w.postLingering(ctx, body)
			if err == nil {
				next = last + 1
				err = w.saveCursor(next)
			}
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if !failing {
				w.Log.Warn("audit webhook: delivery failing; will retry from the last acknowledged record", "webhook", w.Name, "next", next, "err", err)
			}
			failing = true
			if !sleep(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(2*backoff, time.Minute)
			continue
		case failing:
			w.Log.Info("audit webhook: delivering again", "webhook", w.Name, "next", next)
			failing, backoff = false, time.Second
		}
		if n < w.Batch && !sleep(ctx, w.Poll) {
			return ctx.Err()
		}
	}
}

func (w *Webhook) defaults() {
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Batch <= 0 {
		w.Batch = 500
	}
	if w.Poll <= 0 {
		w.Poll = 500 * time.Millisecond
	}
}

// batch reads up to Batch records from next on and encodes them.
func (w *Webhook) batch(ctx context.Context, next uint64) (body []byte, n int, last uint64, err error) {
	var buf bytes.Buffer
	err = audit.Records(ctx, w.Dir, next, func(seq uint64, event []byte) error {
		line, err := w.encode(seq, event)
		if err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
		n++
		last = seq
		if n == w.Batch {
			return errBatchFull
		}
		return nil
	})
	if errors.Is(err, errBatchFull) {
		err = nil
	}
	return buf.Bytes(), n, last, err
}

func (w *Webhook) encode(seq uint64, event []byte) ([]byte, error) {
	if w.Format == "ocsf" {
		return OCSF(seq, event)
	}
	if len(event) < 2 || event[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	return append([]byte(`{"seq":`+strconv.FormatUint(seq, 10)+`,`), event[1:]...), nil
}

// stopGrace is how long a batch in flight when Run is stopped may still
// take to be acknowledged: a clean stop then records the far end's 2xx
// instead of sending the batch again on the next start.
const stopGrace = 5 * time.Second

// postLingering is post, outliving ctx by up to stopGrace.
func (w *Webhook) postLingering(ctx context.Context, body []byte) error {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	linger := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(stopGrace, cancel)
		<-pctx.Done()
		t.Stop()
	})
	defer linger()
	return w.post(pctx, body)
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("User-Agent", "dbward-audit-webhook")
	if w.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", redactURL(w.URL), resp.Status)
	}
	return nil
}

// redactURL keeps credentials in a URL out of logs.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…" + s[i:]
		}
	}
	return s
}

func (w *Webhook) cursorPath() string {
	return filepath.Join(w.Dir, "sinks", w.Name+".next")
}

// cursor is the first record not yet acknowledged (0 for a new sink).
func (w *Webhook) cursor() (uint64, error) {
	b, err := os.ReadFile(w.cursorPath())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit webhook %s: %w", w.Name, err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("audit webhook %s: cursor %s holds %q, not a record number", w.Name, w.cursorPath(), b)
	}
	return n, nil
}

// saveCursor replaces the cursor file atomically.
func (w *Webhook) saveCursor(next uint64) error {
	path := w.cursorPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(next, 10)+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
