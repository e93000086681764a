package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/approval"
)

// Client calls the API as the identity Token belongs to.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	// HTTP makes the calls. If nil, a client with a 30 s timeout.
	HTTP *http.Client
}

// APIError is an answer other than success: Status is the HTTP status,
// Message what the server said.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return e.Message }

// List returns the requests f selects (that the caller may see).
func (c *Client) List(ctx context.Context, f approval.Filter) ([]*approval.Request, error) {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	if f.Requester != "" {
		q.Set("requester", f.Requester)
	}
	if f.Datastore != "" {
		q.Set("datastore", f.Datastore)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Requests []*approval.Request `json:"requests"`
	}
	err := c.do(ctx, "GET", "/api/v1/approvals?"+q.Encode(), nil, &out)
	return out.Requests, err
}

// Get returns request id.
func (c *Client) Get(ctx context.Context, id string) (*approval.Request, error) {
	var r approval.Request
	return &r, c.do(ctx, "GET", "/api/v1/approvals/"+url.PathEscape(id), nil, &r)
}

// Vote approves or denies request id; grant > 0 (approve only) lets the
// statement run again and again for that long.
func (c *Client) Vote(ctx context.Context, id string, approve bool, comment string, grant time.Duration) (*approval.Request, error) {
	body := voteBody{Comment: comment}
	if grant > 0 {
		body.Grant = grant.String()
	}
	verb := "deny"
	if approve {
		verb = "approve"
	}
	var r approval.Request
	return &r, c.do(ctx, "POST", "/api/v1/approvals/"+url.PathEscape(id)+"/"+verb, body, &r)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("reaching dbward at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading dbward's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("dbward at %s answered %s", c.BaseURL, resp.Status)
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("dbward's answer is not what this version expects: %w", err)
	}
	return nil
}
