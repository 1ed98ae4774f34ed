package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
	"privaq/internal/webhook"
)

var ctx = context.Background()

var _ webhook.Store = (*store.DB)(nil)

// receiver is an endpoint under test: it keeps what it is sent and
// answers fail with 500 while fail > 0.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []delivery
	fail int
}

type delivery struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, delivery{req.Header.Clone(), body})
		if r.fail > 0 {
			r.fail--
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func (r *receiver) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

type fixture struct {
	db     *store.DB
	clock  *privaq.ManualClock
	a, b   org.Org
	cons   *consent.Service
	hooks  *webhook.Service
	worker *webhook.Worker
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: privaq.NewManualClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))}
	orgs := &org.Service{Store: db, Clock: f.clock}
	inv := &inventory.Service{Store: db}
	for i, slug := range []string{"alpha", "beta"} {
		o, err := orgs.CreateOrg(ctx, privaq.System(0), slug, slug, inventory.RegimePrivate, "fr")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.a = o
		} else {
			f.b = o
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := consent.NewWriter(db, f.clock, log)
	wctx, stop := context.WithCancel(ctx)
	go w.Run(wctx)
	t.Cleanup(stop)
	f.cons = &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: f.clock}
	f.hooks = &webhook.Service{Store: db, Clock: f.clock}
	f.worker = &webhook.Worker{Store: db, Clock: f.clock, Log: log}
	return f
}

func officer(o org.Org) privaq.Actor {
	return privaq.Actor{Kind: privaq.ActorToken, TokenID: 1, OrgID: o.ID, Role: privaq.RoleOfficer}
}

func (f *fixture) endpoint(t *testing.T, o org.Org, url string, events ...string) webhook.NewEndpoint {
	t.Helper()
	e, err := f.hooks.Create(ctx, officer(o), o.ID, url, events)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func input(subject string, d consent.Decision) consent.Input {
	return consent.Input{Subject: subject, Purpose: "newsletter", Decision: d, Mode: consent.Express, Channel: "web",
		GivenBy: consent.BySubject, Evidence: json.RawMessage(`{"form":"prefs"}`)}
}

func (f *fixture) record(t *testing.T, o org.Org, in ...consent.Input) []consent.Result {
	t.Helper()
	res, err := f.cons.Record(ctx, privaq.System(o.ID), o.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) runOnce(t *testing.T) int {
	t.Helper()
	n, err := f.worker.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// delivery returns the only delivery of endpoint id.
func (f *fixture) delivery(t *testing.T, o org.Org, id int64) webhook.Delivery {
	t.Helper()
	ds := f.deliveries(t, o, id)
	if len(ds) != 1 {
		t.Fatalf("deliveries: got %d, want 1", len(ds))
	}
	return ds[0]
}

func (f *fixture) deliveries(t *testing.T, o org.Org, id int64) []webhook.Delivery {
	t.Helper()
	ds, err := f.hooks.Deliveries(ctx, officer(o), o.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestWithdrawalDelivered follows one batch of a grant and a withdrawal
// to two endpoints: the one that asked for withdrawals gets one signed
// event, the one that asked for every record gets both, and the shared
// withdrawal keeps one event id.
func TestWithdrawalDelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		wr, all := newReceiver(t), newReceiver(t)
		we := f.endpoint(t, f.a, wr.srv.URL+"/hooks?src=privaq")
		ae := f.endpoint(t, f.a, all.srv.URL, webhook.EventRecorded, webhook.EventWithdrawn)
		if got, want := strings.Join(ae.Events, ","), "consent.withdrawn,consent.recorded"; got != want {
			t.Errorf("events: got %s, want %s", got, want)
		}
		res := f.record(t, f.a, input("client-42", consent.Granted), input("client-42", consent.Withdrawn))
		if n := f.runOnce(t); n != 3 {
			t.Fatalf("delivered: got %d, want 3", n)
		}
		got := wr.received()
		if len(got) != 1 {
			t.Fatalf("withdrawals endpoint: got %d posts, want 1", len(got))
		}
		d := got[0]
		if err := webhook.Verify(we.Secret, d.header.Get(webhook.HeaderSignature), d.body, f.clock.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v (%s)", err, d.header.Get(webhook.HeaderSignature))
		}
		if err := webhook.Verify(ae.Secret, d.header.Get(webhook.HeaderSignature), d.body, f.clock.Now(), 5*time.Minute); err == nil {
			t.Error("the signature checks with another endpoint's secret")
		}
		var p map[string]any
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatal(err)
		}
		data, _ := p["data"].(map[string]any)
		if p["type"] != webhook.EventWithdrawn || p["org"] != "alpha" || p["id"] != d.header.Get(webhook.HeaderEventID) || p["created_at"] == nil ||
			data["id"] != res[1].ID || data["seq"] != float64(res[1].Seq) || data["hash"] != res[1].Hash || data["subject"] != "client-42" ||
			data["decision"] != "withdrawn" || data["purpose"] != "newsletter" {
			t.Errorf("event: got %s", d.body)
		}
		if _, ok := data["evidence"]; ok {
			t.Errorf("event: got evidence in %s, want none", d.body)
		}
		if ct := d.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type: got %q", ct)
		}

		got = all.received()
		if len(got) != 2 {
			t.Fatalf("every-record endpoint: got %d posts, want 2", len(got))
		}
		types := map[string]string{}
		for _, d := range got {
			types[d.header.Get(webhook.HeaderEventType)] = d.header.Get(webhook.HeaderEventID)
			if err := webhook.Verify(ae.Secret, d.header.Get(webhook.HeaderSignature), d.body, f.clock.Now(), time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
		}
		if types[webhook.EventRecorded] == "" || types[webhook.EventWithdrawn] != p["id"] {
			t.Errorf("event ids by type: got %v, want the withdrawal's id %v shared", types, p["id"])
		}

		ds := f.deliveries(t, f.a, we.ID)
		if len(ds) != 1 || ds[0].Status != webhook.StatusDelivered || ds[0].Attempts != 1 || ds[0].LastStatusCode != 204 ||
			ds[0].DeliveredAt == nil || len(ds[0].Log) != 1 || ds[0].Log[0].StatusCode != 204 || ds[0].Log[0].Error != "" ||
			ds[0].RecordID != res[1].ID || ds[0].NextAttemptAt != nil {
			t.Errorf("deliveries: got %+v", ds)
		}
		if n := f.runOnce(t); n != 0 || len(wr.received()) != 1 {
			t.Errorf("a second run: got %d delivered, want 0", n)
		}
	})
}

// TestFailingEndpointRetried checks the path of one event to an endpoint
// that answers 500: kept, not retried before its backoff, retried after,
// and every attempt recorded.
func TestFailingEndpointRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := newReceiver(t)
		e := f.endpoint(t, f.a, r.srv.URL)
		f.record(t, f.a, input("client-7", consent.Withdrawn))
		r.failNext(1)
		if n := f.runOnce(t); n != 0 {
			t.Fatalf("first attempt: got %d delivered, want 0 (500)", n)
		}
		d := f.delivery(t, f.a, e.ID)
		if d.Status != webhook.StatusPending || d.Attempts != 1 || d.LastStatusCode != 500 || !strings.Contains(d.LastError, "500") ||
			d.NextAttemptAt == nil || d.NextAttemptAt.Before(f.clock.Now().Add(30*time.Second)) || len(d.Log) != 1 || d.Log[0].StatusCode != 500 {
			t.Fatalf("after a 500: got %+v, want pending, 1 attempt, the 500 and a retry at least 30 s later", d)
		}
		f.clock.Add(29 * time.Second)
		if n := f.runOnce(t); n != 0 || len(r.received()) != 1 {
			t.Fatalf("before the backoff: got %d delivered and %d posts, want 0 and 1", n, len(r.received()))
		}
		f.clock.Add(webhook.Backoff(1))
		if n := f.runOnce(t); n != 1 {
			t.Fatalf("after the backoff: got %d delivered, want 1", n)
		}
		got := r.received()
		if len(got) != 2 || got[0].header.Get(webhook.HeaderEventID) != got[1].header.Get(webhook.HeaderEventID) {
			t.Fatalf("posts: got %d, want 2 of the same event", len(got))
		}
		if err := webhook.Verify(e.Secret, got[1].header.Get(webhook.HeaderSignature), got[1].body, f.clock.Now(), time.Minute); err != nil {
			t.Errorf("the retry's signature (signed anew): %v", err)
		}
		d = f.delivery(t, f.a, e.ID)
		if d.Status != webhook.StatusDelivered || d.Attempts != 2 || len(d.Log) != 2 || d.Log[0].N != 1 || d.Log[1].N != 2 ||
			d.Log[1].StatusCode != 204 || d.LastError != "" {
			t.Errorf("after the retry: got %+v", d)
		}
	})
}

// TestGivesUp checks that an event refused MaxAttempts times is marked
// failed and no longer tried, and that backoffs grow to the cap.
func TestGivesUp(t *testing.T) {
	f := newFixture(t, storetest.Open(t, ""))
	r := newReceiver(t)
	e := f.endpoint(t, f.a, r.srv.URL)
	f.record(t, f.a, input("client-9", consent.Withdrawn))
	r.failNext(1000)
	for range webhook.MaxAttempts {
		f.runOnce(t)
		f.clock.Add(7 * time.Hour)
	}
	d := f.delivery(t, f.a, e.ID)
	if d.Status != webhook.StatusFailed || d.Attempts != webhook.MaxAttempts || len(d.Log) != webhook.MaxAttempts || d.NextAttemptAt != nil {
		t.Fatalf("after %d refusals: got %s with %d attempts, want failed", webhook.MaxAttempts, d.Status, d.Attempts)
	}
	if n := f.runOnce(t); n != 0 || len(r.received()) != webhook.MaxAttempts {
		t.Error("a failed delivery was tried again")
	}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute, 11: 6 * time.Hour, 40: 6 * time.Hour} {
		if got := webhook.Backoff(n); got < want || got > want+want/10 {
			t.Errorf("Backoff(%d): got %s, want %s plus at most 10 %%", n, got, want)
		}
	}
}

// TestDeletedEndpointGetsNothing deletes an endpoint with an event
// waiting: the event goes with it, and later withdrawals queue nothing.
func TestDeletedEndpointGetsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r, kept := newReceiver(t), newReceiver(t)
		e := f.endpoint(t, f.a, r.srv.URL)
		f.endpoint(t, f.a, kept.srv.URL)
		f.record(t, f.a, input("client-1", consent.Withdrawn))
		if err := f.hooks.Delete(ctx, officer(f.a), f.a.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		f.record(t, f.a, input("client-2", consent.Withdrawn))
		f.clock.Add(time.Hour)
		if n := f.runOnce(t); n != 2 {
			t.Errorf("delivered: got %d, want 2 (to the endpoint kept)", n)
		}
		if got := len(r.received()); got != 0 {
			t.Errorf("the deleted endpoint: got %d posts, want 0", got)
		}
		if _, err := f.hooks.Deliveries(ctx, officer(f.a), f.a.ID, e.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("deliveries of a deleted endpoint: got %v, want not_found", err)
		}
		if err := f.hooks.Delete(ctx, officer(f.a), f.a.ID, e.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("deleting twice: got %v, want not_found", err)
		}
	})
}

// TestTenantIsolation: organization B can neither see nor delete A's
// endpoints, and A's withdrawals never reach B's endpoints.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ra, rb := newReceiver(t), newReceiver(t)
		ea := f.endpoint(t, f.a, ra.srv.URL)
		f.endpoint(t, f.b, rb.srv.URL)
		bOfficer := officer(f.b)
		if _, err := f.hooks.List(ctx, bOfficer, f.a.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("B lists A's endpoints: got %v, want not_found", err)
		}
		list, err := f.hooks.List(ctx, bOfficer, f.b.ID)
		if err != nil || len(list) != 1 || list[0].ID == ea.ID {
			t.Errorf("B's own list: got %+v, %v, want only B's endpoint", list, err)
		}
		if err := f.hooks.Delete(ctx, bOfficer, f.b.ID, ea.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("B deletes A's endpoint through its own organization: got %v, want not_found", err)
		}
		if err := f.hooks.Delete(ctx, bOfficer, f.a.ID, ea.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("B deletes A's endpoint: got %v, want not_found", err)
		}
		if _, err := f.hooks.Deliveries(ctx, bOfficer, f.b.ID, ea.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("B reads A's deliveries: got %v, want not_found", err)
		}
		if list, _ := f.hooks.List(ctx, officer(f.a), f.a.ID); len(list) != 1 || list[0].ID != ea.ID {
			t.Errorf("A's endpoints after B's attempts: got %+v", list)
		}
		f.record(t, f.a, input("client-3", consent.Withdrawn))
		if n := f.runOnce(t); n != 1 || len(ra.received()) != 1 || len(rb.received()) != 0 {
			t.Errorf("A's withdrawal: got %d delivered, %d to A, %d to B; want 1, 1, 0", n, len(ra.received()), len(rb.received()))
		}
	})
}

// TestRoles: only officers manage endpoints; integrations may list them.
func TestRoles(t *testing.T) {
	f := newFixture(t, storetest.Open(t, ""))
	for _, role := range []privaq.Role{privaq.RoleStaff, privaq.RoleAuditor, privaq.RoleIntegration} {
		a := privaq.Actor{Kind: privaq.ActorToken, TokenID: 2, OrgID: f.a.ID, Role: role}
		if _, err := f.hooks.Create(ctx, a, f.a.ID, "https://hooks.example.org/x", nil); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("%s creates: got %v, want forbidden", role, err)
		}
		if _, err := f.hooks.List(ctx, a, f.a.ID); err != nil {
			t.Errorf("%s lists: got %v, want allowed", role, err)
		}
	}
}

// TestTwoWorkersDeliverOnce runs two workers at once on one outbox, as
// two nodes would: every event arrives exactly once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := newReceiver(t)
		f.endpoint(t, f.a, r.srv.URL)
		const n = 70
		in := make([]consent.Input, n)
		for i := range in {
			in[i] = input(fmt.Sprintf("client-%d", i), consent.Withdrawn)
		}
		f.record(t, f.a, in...)
		other := &webhook.Worker{Store: db, Clock: f.clock, Log: f.worker.Log}
		var wg sync.WaitGroup
		for _, w := range []*webhook.Worker{f.worker, other} {
			wg.Go(func() {
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for _, d := range r.received() {
			seen[d.header.Get(webhook.HeaderEventID)]++
		}
		if len(seen) != n || len(r.received()) != n {
			t.Errorf("got %d posts of %d events, want %d of %d", len(r.received()), len(seen), n, n)
		}
	})
}

// TestLinkLocalRefused: an endpoint that resolves to a link-local
// address (where cloud metadata services answer) is never connected to.
func TestLinkLocalRefused(t *testing.T) {
	f := newFixture(t, storetest.Open(t, ""))
	e := f.endpoint(t, f.a, "https://169.254.169.254/latest/meta-data")
	f.record(t, f.a, input("client-5", consent.Withdrawn))
	if n := f.runOnce(t); n != 0 {
		t.Fatalf("delivered: got %d, want 0", n)
	}
	d := f.delivery(t, f.a, e.ID)
	if d.Status != webhook.StatusPending || !strings.Contains(d.LastError, "not allowed") || strings.Contains(d.LastError, "meta-data") {
		t.Errorf("got %s %q, want a pending retry and an error without the URL", d.Status, d.LastError)
	}
}

// TestBadInput: every malformed URL or event list is a 422 naming its
// field, and nothing is created.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, tc := range []struct {
			url    string
			events []string
			field  string
		}{
			{"", nil, "url"},
			{"http://hooks.example.org/x", nil, "url"},
			{"ftp://hooks.example.org/x", nil, "url"},
			{"hooks.example.org/x", nil, "url"},
			{"https://", nil, "url"},
			{"https://user:pass@hooks.example.org/x", nil, "url"},
			{"https://hooks.example.org/x#frag", nil, "url"},
			{"https://hooks.example.org/a b", nil, "url"},
			{" https://hooks.example.org/x", nil, "url"},
			{"https://hooks.example.org:99999/x", nil, "url"},
			{"https://hooks.example.org/" + strings.Repeat("a", webhook.MaxURLLen), nil, "url"},
			{"https://hooks.example.org/x", []string{"consent.granted"}, "events[0]"},
			{"https://hooks.example.org/x", []string{"consent.withdrawn", "consent.withdrawn"}, "events[1]"},
			{"https://hooks.example.org/x", []string{"consent.recorded"}, "events"},
		} {
			_, err := f.hooks.Create(ctx, officer(f.a), f.a.ID, tc.url, tc.events)
			var pe *privaq.Error
			if !privaq.IsCode(err, privaq.EValidation) || !errors.As(err, &pe) || pe.Field != tc.field {
				t.Errorf("%q %v: got %v, want validation_failed on %s", tc.url, tc.events, err, tc.field)
			}
		}
		for _, ok := range []string{"https://hooks.example.org/x?a=1", "http://localhost:8080/h", "http://127.0.0.1/h", "http://[::1]:9/h", "HTTPS://Hooks.Example.org/"} {
			if _, err := f.hooks.Create(ctx, officer(f.a), f.a.ID, ok, nil); err != nil {
				t.Errorf("%s: got %v, want accepted", ok, err)
			}
		}
		list, _ := f.hooks.List(ctx, officer(f.a), f.a.ID)
		if len(list) != 5 {
			t.Errorf("endpoints: got %d, want 5 (only the valid ones)", len(list))
		}
		for len(list) < webhook.MaxEndpoints {
			f.endpoint(t, f.a, "https://hooks.example.org/more")
			list, _ = f.hooks.List(ctx, officer(f.a), f.a.ID)
		}
		if _, err := f.hooks.Create(ctx, officer(f.a), f.a.ID, "https://hooks.example.org/one-more", nil); !privaq.IsCode(err, privaq.EConflict) {
			t.Errorf("endpoint %d: got %v, want conflict", webhook.MaxEndpoints+1, err)
		}
	})
}

// TestSignature checks the header format and what Verify refuses.
func TestSignature(t *testing.T) {
	now := time.Unix(1767225600, 0)
	body := []byte(`{"id":"e1"}`)
	h := webhook.Sign("whsec_test", now, body)
	if !strings.HasPrefix(h, "t=1767225600,v1=") || len(h) != len("t=1767225600,v1=")+64 {
		t.Fatalf("header: got %q", h)
	}
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"valid", "whsec_test", h, body, now.Add(time.Minute), nil},
		{"two signatures, one valid", "whsec_test", "t=1767225600,v1=00" + strings.Repeat("0", 62) + "," + h[len("t=1767225600,"):], body, now, nil},
		{"other secret", "whsec_other", h, body, now, webhook.ErrSignature},
		{"altered body", "whsec_test", h, []byte(`{"id":"e2"}`), now, webhook.ErrSignature},
		{"replayed later", "whsec_test", h, body, now.Add(10 * time.Minute), webhook.ErrSignatureAge},
		{"no timestamp", "whsec_test", h[strings.Index(h, "v1"):], body, now, webhook.ErrSignatureFormat},
		{"not hex", "whsec_test", "t=1767225600,v1=zz", body, now, webhook.ErrSignatureFormat},
		{"empty", "whsec_test", "", body, now, webhook.ErrSignatureFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := webhook.Verify(tc.secret, tc.header, tc.body, tc.at, 5*time.Minute); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.org/x?a=1", "http://localhost:1/", "http://[::1]/", "https://u:p@h/", "javascript:alert(1)", "https://h#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := webhook.CheckURL(s)
		if err != nil {
			if !privaq.IsCode(err, privaq.EValidation) {
				t.Fatalf("%q: got %v, want a validation error", s, err)
			}
			return
		}
		if u.User != nil || u.Fragment != "" || (u.Scheme != "https" && !(u.Scheme == "http" && webhook.Loopback(u.Hostname()))) {
			t.Fatalf("%q accepted as %s", s, u)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1,v1=00", []byte("{}"))
	f.Add(webhook.Sign("s", time.Unix(5, 0), []byte("{}")), []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhook.Verify("s", header, body, time.Unix(5, 0), time.Minute)
		if err == nil && header != webhook.Sign("s", time.Unix(5, 0), body) && !strings.Contains(header, ",") {
			t.Fatalf("%q accepted for %q", header, body)
		}
	})
}

// TestStaleClaim: a claim whose lease ran out is taken again; when the
// first attempt finishes late, its failure is logged but does not undo
// the second attempt's delivery.
func TestStaleClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		e := f.endpoint(t, f.a, "https://hooks.example.org/x")
		f.record(t, f.a, input("client-8", consent.Withdrawn))
		now := f.clock.Now()
		first, err := db.ClaimWebhooks(ctx, now, time.Minute, 10)
		if err != nil || len(first) != 1 || first[0].Attempt != 1 || first[0].Secret != e.Secret || first[0].URL != e.URL {
			t.Fatalf("first claim: got %+v, %v", first, err)
		}
		if again, err := db.ClaimWebhooks(ctx, now.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("a claim within the lease: got %d jobs, %v; want none", len(again), err)
		}
		second, err := db.ClaimWebhooks(ctx, now.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(second) != 1 || second[0].Attempt != 2 {
			t.Fatalf("a claim after the lease: got %+v, %v", second, err)
		}
		at := now.Add(2 * time.Minute)
		if err := db.FinishWebhook(ctx, &second[0], webhook.Attempt{N: 2, At: at, StatusCode: 200}, nil); err != nil {
			t.Fatal(err)
		}
		next := at.Add(time.Hour)
		if err := db.FinishWebhook(ctx, &first[0], webhook.Attempt{N: 1, At: at, Error: "no answer within 10s"}, &next); err != nil {
			t.Fatal(err)
		}
		d := f.delivery(t, f.a, e.ID)
		if d.Status != webhook.StatusDelivered || d.LastStatusCode != 200 || len(d.Log) != 2 {
			t.Errorf("got %s, last status %d, %d attempts logged; want delivered, 200, 2", d.Status, d.LastStatusCode, len(d.Log))
		}
	})
}
