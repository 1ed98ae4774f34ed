package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"privaq/internal/store/storetest"
)

// The consent ledger end to end (issue 5), on real `privaq serve`
// processes: acknowledged records survive a kill -9 on both engines, and a
// withdrawal acknowledged by one node is what another node answers next.

// TestLedgerE2E builds privaq once and runs the end-to-end ledger tests
// on real processes.
func TestLedgerE2E(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "privaq")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("durability", func(t *testing.T) {
		for _, e := range storetest.Engines {
			t.Run(e.Name, func(t *testing.T) { testDurability(t, bin, e) })
		}
	})
	t.Run("two_nodes", func(t *testing.T) { testTwoNodes(t, bin) })
}

// node is one `privaq serve` process.
type node struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	token  string // the demo officer token, when started with --demo
	logs   *lockedBuffer
	exited chan struct{}
}

// startNode runs `privaq serve` with args on a free loopback port and
// returns once it listens (and, with --demo, once it printed its token).
// It is stopped with SIGTERM at the end of the test unless it has ended.
func startNode(t *testing.T, bin string, env []string, args ...string) *node {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	n := &node{t: t, cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = n.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() { n.stop() })

	demo := false
	for _, a := range args {
		demo = demo || a == "--demo"
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) >= 5 && f[0] == "privaq" && f[2] == "listening":
				n.base = f[4]
			case strings.HasPrefix(sc.Text(), "API token (officer): "):
				n.token = f[len(f)-1]
			}
			if !signalled && n.base != "" && (!demo || n.token != "") {
				signalled = true
				close(ready)
			}
		}
		// Stdout is drained to the end so that the server never blocks.
	}()
	select {
	case <-ready:
	case <-n.exited:
		t.Fatalf("privaq serve %v ended at start:\n%s", args, n.logs)
	case <-time.After(2 * time.Minute):
		t.Fatalf("privaq serve %v did not start in time:\n%s", args, n.logs)
	}
	return n
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would.
func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// stop ends the process gracefully.
func (n *node) stop() {
	select {
	case <-n.exited:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.kill()
	}
}

// e2eEnv is the environment of the privaq processes: this one's, without
// the PRIVAQ_* settings of whoever runs the tests, plus extra.
func e2eEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PRIVAQ_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

var e2eClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true},
}

// call sends a JSON request to the node's organization API and decodes
// the answer into out when it has the status want. A transport error is
// returned, not reported: the node may have been killed.
func (n *node) call(method, path, token string, body any, want int, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.base+"/api/v1/orgs/demo"+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e2eClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != want {
		return resp.StatusCode, fmt.Errorf("%s %s: got %d %.300s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v in %.300s", method, path, err, data)
		}
	}
	return resp.StatusCode, nil
}

// mustCall is call for requests that must succeed.
func (n *node) mustCall(method, path, token string, body any, want int, out any) {
	n.t.Helper()
	if _, err := n.call(method, path, token, body, want, out); err != nil {
		n.t.Fatalf("%v\nserver log:\n%s", err, tail(n.logs.String(), 20))
	}
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// e2eRecord is a consent record as the test sends it; the purpose is an
// express-consent purpose of the demo inventory.
func e2eRecord(subject, decision string) map[string]any {
	return map[string]any{"subject": subject, "purpose": "newsletter", "decision": decision,
		"mode": "express", "channel": "api", "given_by": "subject"}
}

type e2eVerify struct {
	OK       bool            `json:"ok"`
	Records  int64           `json:"records"`
	Batches  int             `json:"batches"`
	FirstBad json.RawMessage `json:"first_bad"`
}

type e2eDecision struct {
	Allowed bool    `json:"allowed"`
	State   string  `json:"state"`
	Record  *string `json:"record"`
}

// testDurability loads a real server with concurrent consent
// writes, kills it with SIGKILL mid-load, restarts it on the same data,
// and proves that every record acknowledged with 201 is there, under the
// ID it was acknowledged with, and that the chain verifies.
func testDurability(t *testing.T, bin string, e storetest.Engine) {
	args := engineArgs(t, e)
	env := e2eEnv()
	n := startNode(t, bin, env, append(args, "--demo")...)
	token := n.token

	// 16 writers, one record per request, each subject once; one
	// request in eight is a batch of 25, the group-commit path of
	// a bulk import.
	var (
		mu       sync.Mutex
		acked    = map[string]string{} // subject → record id
		sent     atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
		stopped  atomic.Bool
		killed   atomic.Bool
		enough   = make(chan struct{})
		answered []string // error answers received before the kill
	)
	defer stopped.Store(true) // also when the test fails early
	// failed counts a request without a 201: a transport error is the
	// kill's doing, an error answer before the kill is the server's.
	failed := func(code int, err error) {
		failures.Add(1)
		if code != 0 && !killed.Load() {
			mu.Lock()
			answered = append(answered, err.Error())
			mu.Unlock()
		}
	}
	const killAfter = 1000
	// ack records acknowledged records; the caller holds mu.
	ack := func(subject, id string) {
		acked[subject] = id
		if len(acked) == killAfter {
			close(enough)
		}
	}
	start := time.Now()
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped.Load(); i++ {
				sent.Add(1)
				if i%8 == 7 {
					var recs []map[string]any
					for j := range 25 {
						recs = append(recs, e2eRecord(fmt.Sprintf("dur-%d-%d-%d", w, i, j), "granted"))
					}
					var res struct {
						Records []struct{ ID string } `json:"records"`
					}
					if code, err := n.call("POST", "/consents", token, map[string]any{"records": recs}, http.StatusCreated, &res); err != nil {
						failed(code, err)
						continue
					}
					mu.Lock()
					for j, r := range res.Records {
						ack(fmt.Sprintf("dur-%d-%d-%d", w, i, j), r.ID)
					}
					mu.Unlock()
					continue
				}
				subject := fmt.Sprintf("dur-%d-%d", w, i)
				var res struct{ ID string }
				if code, err := n.call("POST", "/consents", token, e2eRecord(subject, "granted"), http.StatusCreated, &res); err != nil {
					failed(code, err)
					continue
				}
				mu.Lock()
				ack(subject, res.ID)
				mu.Unlock()
			}
		}()
	}
	// Kill after at least a second of load and 1,000 acknowledged
	// records: the writers are busy, so requests and commits are in
	// flight.
	select {
	case <-enough:
	case <-time.After(time.Minute):
		t.Fatalf("fewer than %d records acknowledged in a minute; server log:\n%s", killAfter, tail(n.logs.String(), 20))
	}
	<-time.After(time.Until(start.Add(time.Second)))
	killed.Store(true)
	n.kill()
	// Requests sent after the kill fail at once; stop the writers.
	stopped.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%s: killed after %s of load: %d requests sent, %d records acknowledged, %d requests failed (in flight or after the kill)",
		e.Name, time.Since(start).Round(time.Millisecond), sent.Load(), len(acked), failures.Load())
	for i, a := range answered {
		if i == 5 {
			t.Errorf("… and %d more error answers", len(answered)-5)
			break
		}
		t.Errorf("under load, before the kill: %s", a)
	}
	if len(acked) == 0 {
		t.Fatalf("no record was acknowledged before the kill; server log:\n%s", tail(n.logs.String(), 20))
	}

	// Restart on the same data, without --demo: the first token
	// is still valid.
	n2 := startNode(t, bin, env, args...)
	var rep e2eVerify
	n2.mustCall("GET", "/ledger/verify", token, nil, http.StatusOK, &rep)
	if !rep.OK || rep.Records < int64(len(acked)) {
		t.Errorf("after kill -9 and restart, ledger/verify: got ok=%v records=%d first_bad=%s, want ok and at least the %d acknowledged",
			rep.OK, rep.Records, rep.FirstBad, len(acked))
	}
	t.Logf("%s: after restart, verify: ok=%v, %d records in %d batches", e.Name, rep.OK, rep.Records, rep.Batches)

	// Every acknowledged record answers its own pair, by its ID.
	subjects := make([]string, 0, len(acked))
	pairs := make([]map[string]string, 0, len(acked))
	for s := range acked {
		subjects = append(subjects, s)
		pairs = append(pairs, map[string]string{"subject": s, "purpose": "newsletter"})
	}
	var dec struct {
		Decisions []e2eDecision `json:"decisions"`
	}
	n2.mustCall("POST", "/decisions", token, map[string]any{"pairs": pairs}, http.StatusOK, &dec)
	if len(dec.Decisions) != len(pairs) {
		t.Fatalf("bulk decisions: got %d answers, want %d", len(dec.Decisions), len(pairs))
	}
	lost := 0
	for i, d := range dec.Decisions {
		if d.State != "granted" || d.Record == nil || *d.Record != acked[subjects[i]] {
			if lost++; lost <= 10 {
				t.Errorf("acknowledged record %s of subject %s: after restart the decision is %+v, want granted by that record",
					acked[subjects[i]], subjects[i], d)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged records are missing after kill -9 and restart", lost, len(acked))
	}
	// And the history of a few subjects holds the record itself.
	for _, s := range subjects[:min(20, len(subjects))] {
		var h struct {
			Records []struct{ ID string } `json:"records"`
		}
		n2.mustCall("GET", "/subjects/"+url.PathEscape(s)+"/consents", token, nil, http.StatusOK, &h)
		if len(h.Records) != 1 || h.Records[0].ID != acked[s] {
			t.Errorf("history of %s: got %+v, want the one acknowledged record %s", s, h.Records, acked[s])
		}
	}
}

// testTwoNodes runs two `privaq serve` processes on one PostgreSQL
// database. A consent granted on one node and read on the other (which
// holds its decision index in memory) is withdrawn on the first node: the
// other must answer withdrawn on its next request (SPEC §7: withdrawal takes effect at once
// for every node). Each direction is tried several times; a stale answer
// is reported with how long it lasted, and one lasting 2 s fails.
func testTwoNodes(t *testing.T, bin string) {
	dbURL := storetest.PostgresURL(t)
	master := make([]byte, 32)
	rand.Read(master)
	env := e2eEnv("PRIVAQ_MASTER_KEY=" + base64.StdEncoding.EncodeToString(master))
	a := startNode(t, bin, env, "--data", t.TempDir(), "--database-url", dbURL, "--demo")
	b := startNode(t, bin, env, "--data", t.TempDir(), "--database-url", dbURL)
	token := a.token

	decide := func(n *node, subject string) e2eDecision {
		t.Helper()
		var d e2eDecision
		n.mustCall("GET", "/decisions?subject="+url.QueryEscape(subject)+"&purpose=newsletter", token, nil, http.StatusOK, &d)
		return d
	}
	const rounds = 40
	stale := 0
	var worst time.Duration
	for i := range rounds {
		writer, reader, dir := a, b, "A→B"
		if i%2 == 1 {
			writer, reader, dir = b, a, "B→A"
		}
		subject := fmt.Sprintf("two-nodes-%d", i)
		writer.mustCall("POST", "/consents", token, e2eRecord(subject, "granted"), http.StatusCreated, nil)
		// The grant is committed before the 201: the reader may answer
		// from its database or from memory (once its index is loaded),
		// but granted either way.
		for range 2 {
			if d := decide(reader, subject); d.State != "granted" {
				t.Fatalf("round %d (%s): after the grant, the other node answers %q, want granted", i, dir, d.State)
			}
		}
		var w struct{ ID string }
		writer.mustCall("POST", "/consents", token, e2eRecord(subject, "withdrawn"), http.StatusCreated, &w)
		acked := time.Now()
		d := decide(reader, subject)
		if d.State == "withdrawn" && d.Record != nil && *d.Record == w.ID {
			continue
		}
		stale++
		first, reads := d.State, 1
		for d.State != "withdrawn" && time.Since(acked) < 2*time.Second {
			d = decide(reader, subject)
			reads++
		}
		lag := time.Since(acked)
		worst = max(worst, lag)
		if d.State != "withdrawn" {
			t.Fatalf("round %d (%s): 2 s after the withdrawal was acknowledged, the other node still answers %q (%d reads)", i, dir, d.State, reads)
		}
		t.Errorf("round %d (%s): the other node answered %q after the withdrawal was acknowledged; withdrawn only after %d reads, %s",
			i, dir, first, reads, lag.Round(time.Microsecond))
	}
	t.Logf("%d rounds, %d stale first reads after a withdrawal, longest stale period %s", rounds, stale, worst.Round(time.Microsecond))
}
