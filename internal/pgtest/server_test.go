package pgtest

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestAuthMethods(t *testing.T) {
	s := Shared(t)
	ctx := context.Background()
	for _, r := range []struct{ name, pw string }{{"scram_user", "s1"}, {"md5_user", "m2"}, {"trust_user", "ignored"}} {
		if err := s.CreateRole(ctx, r.name, r.pw); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		user, pw, mode string
		ok             bool
	}{
		{"scram_user", "s1", "disable", true},
		{"scram_user", "wrong", "disable", false},
		{"md5_user", "m2", "disable", true},
		{"md5_user", "wrong", "disable", false},
		{"trust_user", "", "disable", true},
		{"scram_user", "s1", "require", true},
	}
	for _, c := range cases {
		url := s.URL("postgres", c.user, c.pw)
		if c.mode == "require" {
			url = url[:len(url)-len("disable")] + "require"
		}
		conn, err := pgconn.Connect(ctx, url)
		if c.ok != (err == nil) {
			t.Errorf("%s/%s/%s: err = %v", c.user, c.pw, c.mode, err)
		}
		if err == nil {
			if c.mode == "require" && conn.Conn().RemoteAddr() == nil {
				t.Error("no connection")
			}
			conn.Close(ctx)
		}
	}
}

func TestStopKillsTheServer(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	other := Shared(t) // two servers at once
	if other.Port == s.Port {
		t.Fatal("two servers on one port")
	}
	pid := s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("postgres pid %d still alive after Stop", pid)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("data directory %s left behind", s.Dir)
	}
}
