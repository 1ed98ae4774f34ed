package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// lockedBuffer is a bytes.Buffer that the server's goroutines and the test
// can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// demoStart is what a `serve --demo` start printed.
type demoStart struct {
	base      string
	passwords map[string]string // by email
	token     string
	block     string
}

// startServe runs `serve --demo` in-process until the test ends, and
// returns what it printed once the demo block is complete.
func startServe(t *testing.T, dbArgs []string) (demoStart, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"serve", "--demo", "--addr", "127.0.0.1:0"}, dbArgs...), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	stopped := false
	stop := func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			return <-exit, stderr.String()
		}
		return -1, stderr.String()
	}
	t.Cleanup(func() { stop() })

	// Read stdout until the end of the demo block, then keep draining it
	// so that the server never blocks on a write.
	block := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		var lines []string
		sent := false
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if !sent && strings.HasPrefix(sc.Text(), "Each --demo start") {
				block <- lines
				sent = true
			}
		}
		if !sent {
			block <- lines
		}
	}()
	var lines []string
	select {
	case lines = <-block:
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve --demo printed no demo block in time; stderr:\n%s", stderr.String())
	}
	s := demoStart{passwords: map[string]string{}, block: strings.Join(lines, "\n")}
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "privaq ") && len(f) >= 5 && f[2] == "listening":
			s.base = f[4]
		case len(f) >= 3 && strings.HasSuffix(f[0], "@demo.privaq.test"):
			s.passwords[f[0]] = f[1]
		case strings.HasPrefix(l, "API token (officer): "):
			s.token = f[len(f)-1]
		}
	}
	if s.base == "" || len(s.passwords) != len(demoAccounts) || !strings.HasPrefix(s.token, "pq_") {
		code, logs := stop()
		t.Fatalf("serve --demo: incomplete start block (exit %d):\n%s\nstderr:\n%s", code, s.block, logs)
	}
	return s, stop
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestServeDemo starts `serve --demo` on each engine, uses what it printed,
// and, on SQLite, proves that the staff's and the officer's personal
// information is not in the database files in clear.
func TestServeDemo(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dbArgs := engineArgs(t, e)
			data := dbArgs[1]
			s, stop := startServe(t, dbArgs)

			for _, want := range []string{s.base + "/admin/login", `curl -H "Authorization: Bearer ` + s.token + `" ` + s.base + "/api/v1/orgs/demo/checks", "created with the sample inventory"} {
				if !strings.Contains(s.block, want) {
					t.Errorf("start block lacks %q:\n%s", want, s.block)
				}
			}
			for _, path := range []string{"/healthz", "/readyz", "/admin/login", "/api/v1/openapi.json", "/o/demo/privacy", "/o/demo/privacy.json",
				"/o/demo/banner.js", "/o/demo/banner/preview"} {
				if code, body := get(t, s.base+path, ""); code != http.StatusOK {
					t.Errorf("GET %s: got %d %s, want 200", path, code, body)
				}
			}
			code, body := get(t, s.base+"/api/v1/orgs/demo/checks", s.token)
			var checks any
			if code != http.StatusOK || json.Unmarshal(body, &checks) != nil {
				t.Errorf("GET checks with the printed token: got %d %s, want 200 and JSON", code, body)
			}
			if code, _ := get(t, s.base+"/api/v1/orgs/demo/checks", ""); code != http.StatusUnauthorized {
				t.Errorf("GET checks without a token: got %d, want 401", code)
			}

			// Personal information is sealed: none of the demo's emails or
			// names appear in the database file or its write-ahead log.
			secrets := []string{inventory.Demo().Officer.Email, inventory.Demo().Officer.Name}
			for _, a := range demoAccounts {
				secrets = append(secrets, a.email, a.name)
			}
			if e.Name == "sqlite" {
				noneInFiles(t, secrets, inventory.Demo().Org.Name, filepath.Join(data, "privaq.db"), filepath.Join(data, "privaq.db-wal"))
			}

			code, logs := stop()
			if code != exitOK {
				t.Fatalf("serve: got exit %d, want 0; stderr:\n%s", code, logs)
			}
			for _, secret := range append(secrets, s.token, s.passwords["officer@demo.privaq.test"]) {
				if strings.Contains(logs, secret) {
					t.Errorf("the log contains %q; it must hold no personal information or secrets", secret)
				}
			}
			if e.Name == "sqlite" {
				noneInFiles(t, secrets, inventory.Demo().Org.Name, filepath.Join(data, "privaq.db"), filepath.Join(data, "privaq.db-wal"))
			}

			// A second start finds the organization and replaces the
			// passwords: the printed ones work, the old ones do not.
			s2, stop2 := startServe(t, dbArgs)
			if !strings.Contains(s2.block, `"demo" already present`) {
				t.Errorf("second start: want the organization reported as present:\n%s", s2.block)
			}
			if code, _ := get(t, s2.base+"/api/v1/orgs/demo/checks", s2.token); code != http.StatusOK {
				t.Errorf("second start: GET checks with the new token: got %d, want 200", code)
			}
			if code, logs := stop2(); code != exitOK {
				t.Fatalf("second serve: got exit %d, want 0; stderr:\n%s", code, logs)
			}
			checkLogins(t, dbArgs, s2.passwords, s.passwords)
		})
	}
}

// noneInFiles fails when any of the secrets occurs in the files' bytes. The
// control, a string stored in clear, must occur: it proves the files read
// are the ones holding the data.
func noneInFiles(t *testing.T, secrets []string, control string, paths ...string) {
	t.Helper()
	seen := false
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // the WAL is removed at the last close
		}
		if err != nil {
			t.Fatal(err)
		}
		seen = seen || bytes.Contains(b, []byte(control))
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains %q in clear", filepath.Base(p), s)
			}
		}
	}
	if !seen {
		t.Errorf("none of %v contains the control %q: the check reads the wrong files", paths, control)
	}
}

// checkLogins signs in with the current passwords, which must work, and with
// the previous ones, which must not.
func checkLogins(t *testing.T, dbArgs []string, current, previous map[string]string) {
	t.Helper()
	ctx := context.Background()
	data, dbURL := dbArgs[1], ""
	if len(dbArgs) > 2 {
		dbURL = dbArgs[3]
	}
	master, err := keys.LoadOrCreateMaster(filepath.Join(data, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbURL, data, master)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	for i, a := range demoAccounts {
		ip := "192.0.2." + string(rune('1'+i))
		if _, _, err := svc.Login(ctx, a.email, previous[a.email], ip); err == nil {
			t.Errorf("%s: the previous start's password still signs in", a.email)
		}
		if _, _, err := svc.Login(ctx, a.email, current[a.email], ip); err != nil {
			t.Errorf("%s: the printed password does not sign in: %v", a.email, err)
		}
	}
}
