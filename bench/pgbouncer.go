package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/dbward/dbward/internal/pgtest"
)

// startPgBouncer runs PgBouncer in session mode in front of pg, with
// SCRAM authentication of its clients, as the baseline pooler.
func startPgBouncer(dir string, pg *pgtest.Server) (target, func(), error) {
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/pgbouncer"); err != nil {
			return target{}, nil, fmt.Errorf("pgbouncer is not installed (scripts/ensure-postgres.sh --bench installs it)")
		}
	}
	port, err := pgtest.FreePort()
	if err != nil {
		return target{}, nil, err
	}
	bdir := filepath.Join(dir, "pgbouncer")
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return target{}, nil, err
	}
	ini := fmt.Sprintf(`[databases]
bench = host=127.0.0.1 port=%d dbname=bench

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %[3]s/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 40
logfile = %[3]s/pgbouncer.log
pidfile = %[3]s/pgbouncer.pid
`, pg.Port, port, bdir)
	files := map[string]string{
		"pgbouncer.ini": ini,
		"userlist.txt":  fmt.Sprintf("%q %q\n", "bench_svc", svcPassword),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(bdir, name), []byte(body), 0o600); err != nil {
			return target{}, nil, err
		}
	}
	cmd := exec.Command(bin, filepath.Join(bdir, "pgbouncer.ini"))
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root.
		cred, err := pgtest.Unprivileged()
		if err != nil {
			return target{}, nil, err
		}
		for _, p := range []string{dir, bdir, filepath.Join(bdir, "pgbouncer.ini"), filepath.Join(bdir, "userlist.txt")} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return target{}, nil, err
			}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := cmd.Start(); err != nil {
		return target{}, nil, err
	}
	stop := func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() }
	t := target{cmd.Process.Pid, "pgbouncer", "127.0.0.1", port, "bench_svc", svcPassword, "bench"}
	if err := waitReady(t); err != nil {
		stop()
		log, _ := os.ReadFile(filepath.Join(bdir, "pgbouncer.log"))
		return target{}, nil, fmt.Errorf("pgbouncer did not start: %v\n%s", err, log)
	}
	return t, stop, nil
}
