// Command bench compares pgbench throughput and latency directly against
// PostgreSQL, through PgBouncer (session pooling) and through dbward with
// the built-in guardrails on, in one run with alternating rounds, and
// prints the ratios. Run it with bench/run.sh (or make bench).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dbward/dbward/internal/pgtest"
)

var (
	duration = flag.Duration("duration", 15*time.Second, "length of one pgbench run")
	rounds   = flag.Int("rounds", 3, "rounds; targets alternate within each round")
	scale    = flag.Int("scale", 10, "pgbench scale factor")
	clients  = flag.Int("clients", 8, "clients for the throughput workloads")
	dbward   = flag.String("dbward", "bin/dbward-bench", "dbward binary (a benchmark build: go build -tags dbward_bench)")
	noAudit  = flag.Bool("no-audit-target", true, "also run dbward with its audit trail off, to show what auditing costs")
	profile  = flag.String("cpuprofile", "", "have dbward write a CPU profile to this file (and FILE.dbward-noaudit for the audit-off target)")
	only     = flag.String("only", "", "run only the workload of this name, or else those whose name contains it")
	onlyT    = flag.String("targets", "", "comma-separated targets to run (direct, pgbouncer, dbward, dbward-noaudit); all when empty")
)

const (
	svcPassword = "bench-svc-password"
	benchToken  = "bench-token"
	// benchDBAToken is a dba's, who sees the pages in clear on benchdev.
	benchDBAToken = "bench-dba-token"
)

// workload is one pgbench invocation shape.
type workload struct {
	name    string
	clients int
	args    []string
	stmts   int  // statements per transaction
	clear   bool // through dbward as a dba on a dev datastore: nothing masked
}

// target is a place pgbench connects to.
type target struct {
	pid  int // the proxy's process, 0 for direct
	name string
	host string
	port int
	user string
	pass string
	db   string
}

type result struct {
	tps, latencyMs float64
	cpuPerStmtUs   float64 // the proxy's own CPU time per statement
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	pg, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		return err
	}
	defer pg.Stop()
	if err := pg.CreateRole(ctx, "bench_svc", svcPassword); err != nil {
		return err
	}
	if err := pg.CreateDatabase(ctx, "bench"); err != nil {
		return err
	}
	if err := pg.Exec(ctx, "bench", "ALTER SCHEMA public OWNER TO bench_svc"); err != nil {
		return err
	}
	direct := target{0, "direct", "127.0.0.1", pg.Port, "bench_svc", svcPassword, "bench"}
	fmt.Printf("initialising pgbench scale %d…\n", *scale)
	if out, err := pgbench(direct, "-i", "-q", "-s", strconv.Itoa(*scale)); err != nil {
		return fmt.Errorf("pgbench -i: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "dbward-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pages, err := setupPages(ctx, pg, dir)
	if err != nil {
		return err
	}

	bouncer, stopBouncer, err := startPgBouncer(dir, pg)
	if err != nil {
		return err
	}
	defer stopBouncer()
	ward, stopWard, err := startDbward(dir, pg, "dbward")
	if err != nil {
		return err
	}
	defer stopWard()
	targets := []target{direct, bouncer, ward}
	if *noAudit {
		unaudited, stop, err := startDbward(dir, pg, "dbward-noaudit")
		if err != nil {
			return err
		}
		defer stop()
		targets = append(targets, unaudited)
	}
	workloads := []workload{
		{name: "select-only", clients: *clients, args: []string{"-S"}, stmts: 1},
		{name: "tpcb-like", clients: *clients, stmts: 7},
		{name: "select-only, 1 client", clients: 1, args: []string{"-S"}, stmts: 1},
		{name: "select-only prepared, 1 client", clients: 1, args: []string{"-S", "-M", "prepared"}, stmts: 1},
		// 100-row pages of personal data: through dbward, masked for the
		// service identity, and in clear for a dba on a dev datastore.
		{name: "100-row pages, masked", clients: *clients, args: []string{"-f", pages, "-M", "prepared"}, stmts: 1},
		{name: "100-row pages, in clear", clients: *clients, args: []string{"-f", pages, "-M", "prepared"}, stmts: 1, clear: true},
	}
	if *only != "" {
		exact := slices.ContainsFunc(workloads, func(w workload) bool { return w.name == *only })
		workloads = slices.DeleteFunc(workloads, func(w workload) bool {
			return exact && w.name != *only || !strings.Contains(w.name, *only)
		})
	}
	if *onlyT != "" {
		keep := strings.Split(*onlyT, ",")
		targets = slices.DeleteFunc(targets, func(t target) bool { return !slices.Contains(keep, t.name) })
	}
	if len(workloads) == 0 || len(targets) == 0 {
		return fmt.Errorf("-only %q and -targets %q leave nothing to run", *only, *onlyT)
	}
	results := map[string]map[string][]result{}
	for r := 0; r < *rounds; r++ {
		for _, w := range workloads {
			for i := range targets {
				// Rotate the order each round so no target always runs first.
				t := targets[(i+r)%len(targets)]
				if w.clear && !strings.HasPrefix(t.name, "dbward") {
					continue // the same as the masked pages there
				}
				res, err := runWorkload(t, w)
				if err != nil {
					return fmt.Errorf("%s via %s: %w", w.name, t.name, err)
				}
				if results[w.name] == nil {
					results[w.name] = map[string][]result{}
				}
				results[w.name][t.name] = append(results[w.name][t.name], res)
				fmt.Printf("round %d  %-32s %-14s %9.0f tps  %7.3f ms  %5.1f µs proxy CPU/stmt\n", r+1, w.name, t.name, res.tps, res.latencyMs, res.cpuPerStmtUs)
			}
		}
	}
	report(workloads, targets, results)
	return nil
}

func runWorkload(t target, w workload) (result, error) {
	args := append([]string{"-n", "-c", strconv.Itoa(w.clients), "-j", strconv.Itoa(min(w.clients, 2)),
		"-T", strconv.Itoa(int(duration.Seconds()))}, w.args...)
	if w.clear && t.pid != 0 {
		t.user, t.pass, t.db = "bench-dba", benchDBAToken, "benchdev"
	}
	cpu0 := cpuTime(t.pid)
	out, err := pgbench(t, args...)
	if err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, out)
	}
	r, err := parsePgbench(out)
	if err != nil {
		return r, err
	}
	if t.pid != 0 {
		if m := txRe.FindStringSubmatch(out); m != nil {
			n, _ := strconv.ParseFloat(m[1], 64)
			r.cpuPerStmtUs = (cpuTime(t.pid) - cpu0).Seconds() * 1e6 / (n * float64(w.stmts))
		}
	}
	return r, nil
}

var txRe = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)

// cpuTime is the user+system CPU a process has used (Linux /proc).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command (which is in parentheses and may hold spaces).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

var (
	tpsRe     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyRe = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

func parsePgbench(out string) (result, error) {
	t, l := tpsRe.FindStringSubmatch(out), latencyRe.FindStringSubmatch(out)
	if t == nil || l == nil {
		return result{}, fmt.Errorf("cannot read pgbench output:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(t[1], 64)
	lat, _ := strconv.ParseFloat(l[1], 64)
	return result{tps: tps, latencyMs: lat}, nil
}

func pgbench(t target, args ...string) (string, error) {
	all := append([]string{"-h", t.host, "-p", strconv.Itoa(t.port), "-U", t.user}, args...)
	all = append(all, t.db)
	cmd := exec.Command("pgbench", all...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+t.pass, "PGSSLMODE=disable", "PGAPPNAME=pgbench")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{} // target not run
	}
	tps := make([]float64, len(rs))
	lat := make([]float64, len(rs))
	cpu := make([]float64, len(rs))
	for i, r := range rs {
		tps[i], lat[i], cpu[i] = r.tps, r.latencyMs, r.cpuPerStmtUs
	}
	slices.Sort(tps)
	slices.Sort(lat)
	slices.Sort(cpu)
	return result{tps[len(tps)/2], lat[len(lat)/2], cpu[len(cpu)/2]}
}

func report(workloads []workload, targets []target, results map[string]map[string][]result) {
	fmt.Printf("\nmedian of %d rounds of %s, %d-core machine, pgbench scale %d, simple protocol unless noted\n\n",
		*rounds, *duration, numCPU(), *scale)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttarget\tTPS\tlatency ms\tvs direct\tvs PgBouncer\tadded µs/stmt\tproxy CPU µs/stmt\t")
	for _, w := range workloads {
		d := median(results[w.name]["direct"])
		b := median(results[w.name]["pgbouncer"])
		for _, t := range targets {
			if len(results[w.name][t.name]) == 0 {
				continue
			}
			m := median(results[w.name][t.name])
			added, vsDirect, vsBouncer := "", ratio(m.tps, d.tps), ratio(m.tps, b.tps)
			if w.clients == 1 && t.name != "direct" && d.tps > 0 {
				added = fmt.Sprintf("%.0f", (m.latencyMs-d.latencyMs)*1000)
			}
			cpu := ""
			if t.pid != 0 {
				cpu = fmt.Sprintf("%.1f", m.cpuPerStmtUs)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", w.name, t.name, m.tps, m.latencyMs, vsDirect, vsBouncer, added, cpu)
		}
	}
	tw.Flush()
	if m, c := median(results["100-row pages, masked"]["dbward"]), median(results["100-row pages, in clear"]["dbward"]); m.tps > 0 && c.tps > 0 {
		fmt.Printf("\nmasking on vs off (100-row pages through dbward, masked TPS / in-clear TPS): %.2f\n", m.tps/c.tps)
	}
	_, on := results[workloads[0].name]["dbward"]
	if _, off := results[workloads[0].name]["dbward-noaudit"]; !on || !off {
		return
	}
	fmt.Println("\naudit on vs off (dbward TPS / dbward-noaudit TPS):")
	for _, w := range workloads {
		on, off := median(results[w.name]["dbward"]), median(results[w.name]["dbward-noaudit"])
		if off.tps == 0 {
			continue
		}
		fmt.Printf("  %-32s %.2f\n", w.name, on.tps/off.tps)
	}
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\nprocessor") + 1
}

// startDbward runs dbward serve in front of pg with the built-in
// guardrails and a prod datastore; as "dbward-noaudit", with its audit
// trail off (benchmark builds only), to measure what auditing costs.
func startDbward(dir string, pg *pgtest.Server, name string) (target, func(), error) {
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return target{}, nil, err
	}
	port, err := pgtest.FreePort()
	if err != nil {
		return target{}, nil, err
	}
	cfg := fmt.Sprintf(`listen: {postgres: "127.0.0.1:%[1]d", http: "127.0.0.1:0"}
datastores:
  - name: bench
    environment: prod
    upstream: {address: "%[2]s", database: bench, user: bench_svc, password_env: BENCH_SVC_PASSWORD, tls: disable}
  - name: benchdev
    environment: dev
    upstream: {address: "%[2]s", database: bench, user: bench_svc, password_env: BENCH_SVC_PASSWORD, tls: disable}
identities:
  - {name: bench, kind: service, groups: [load], token_env: BENCH_TOKEN}
  - {name: bench-dba, kind: human, groups: [dba], token_env: BENCH_DBA_TOKEN}
`, port, pg.Addr())
	path := filepath.Join(dir, "dbward.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return target{}, nil, err
	}
	bin, err := filepath.Abs(*dbward)
	if err != nil {
		return target{}, nil, err
	}
	args := []string{"serve", "--config", path}
	if name == "dbward-noaudit" {
		args = append(args, "--no-audit")
	}
	if *profile != "" {
		p, err := filepath.Abs(*profile)
		if err != nil {
			return target{}, nil, err
		}
		if name != "dbward" {
			p += "." + name // one profile per dbward target
		}
		args = append(args, "--cpuprofile", p)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "BENCH_SVC_PASSWORD="+svcPassword, "BENCH_TOKEN="+benchToken, "BENCH_DBA_TOKEN="+benchDBAToken)
	logf, err := os.Create(filepath.Join(dir, "dbward.log"))
	if err != nil {
		return target{}, nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return target{}, nil, err
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait(); logf.Close() }
	t := target{cmd.Process.Pid, name, "127.0.0.1", port, "bench", benchToken, "bench"}
	if err := waitReady(t); err != nil {
		stop()
		log, _ := os.ReadFile(filepath.Join(dir, "dbward.log"))
		return target{}, nil, fmt.Errorf("dbward did not start: %v\n%s", err, log)
	}
	return t, stop, nil
}

// waitReady polls until a trivial query works through t.
func waitReady(t target) error {
	var last error
	for i := 0; i < 100; i++ {
		cmd := exec.Command("psql", "-X", "-At", "-h", t.host, "-p", strconv.Itoa(t.port), "-U", t.user, "-c", "SELECT 1", t.db)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+t.pass, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=2")
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		last = fmt.Errorf("%v: %s", err, out)
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// ratio formats a/b, or "-" when the baseline was not run.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// pagesSQL is a table of personal data for the 100-row page workloads.
const pagesSQL = `CREATE TABLE customers (id int PRIMARY KEY, full_name text, email text, phone text, card_number text, notes text);
INSERT INTO customers SELECT g, 'Customer ' || g, 'customer' || g || '@example.com', '+1 415 555 ' || lpad((g % 10000)::text, 4, '0'),
  '4111 1111 1111 1111', 'delivered to the front door, order ' || g FROM generate_series(1, 100000) g;
ALTER TABLE customers OWNER TO bench_svc;
ANALYZE customers;`

// setupPages creates the customers table and writes the pgbench script
// that reads it 100 rows at a time; it returns the script's path.
func setupPages(ctx context.Context, pg *pgtest.Server, dir string) (string, error) {
	if err := pg.Exec(ctx, "bench", pagesSQL); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "pages.sql")
	script := "\\set a random(1, 99900)\nSELECT id, full_name, email, phone, card_number, notes FROM customers WHERE id BETWEEN :a AND :a + 99;\n"
	return path, os.WriteFile(path, []byte(script), 0o600)
}
