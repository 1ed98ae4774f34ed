package banner_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

// stack is privaq as a website's visitors reach it: the banner's routes
// over a real store and a running ledger writer, for the demo inventory
// of organization "alpha".
type stack struct {
	db     *store.DB
	org    org.Org
	inv    *inventory.Service
	ledger *consent.Service
	banner *banner.Banner
	srv    *httptest.Server
	// beacons receives the status of every consent POST once answered,
	// so browser tests wait for a beacon instead of sleeping.
	beacons chan int
}

func newStack(t testing.TB, db *store.DB, clock privaq.Clock, limit int) *stack {
	t.Helper()
	orgs := &org.Service{Store: db, Clock: clock}
	o, err := orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr")
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{Store: db}
	if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := consent.NewWriter(db, clock, log)
	wctx, stop := context.WithCancel(ctx)
	go w.Run(wctx)
	t.Cleanup(stop)
	ledger := &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: clock}
	b, err := banner.New(banner.Config{Orgs: db, Inventory: db, Ledger: ledger, Attempts: db, Clock: clock, Log: log, Limit: limit, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	b.Routes(mux, "/o/{org}")
	beacons := make(chan int, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		mux.ServeHTTP(sw, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/consent") {
			select {
			case beacons <- sw.status:
			default:
			}
		}
	}))
	t.Cleanup(srv.Close)
	return &stack{db: db, org: o, inv: inv, ledger: ledger, banner: b, srv: srv, beacons: beacons}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// beacon waits for the next choice to be answered and checks it was
// recorded.
func (s *stack) beacon(t testing.TB) {
	t.Helper()
	select {
	case status := <-s.beacons:
		if status != http.StatusNoContent {
			t.Fatalf("beacon: got status %d, want 204", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no beacon reached privaq within 10 s")
	}
}

// noBeacon checks that no choice was sent since the last one read.
func (s *stack) noBeacon(t testing.TB) {
	t.Helper()
	select {
	case status := <-s.beacons:
		t.Fatalf("unexpected beacon (status %d)", status)
	default:
	}
}

// edit changes the inventory as an officer would.
func (s *stack) edit(t testing.TB, fn func(d *inventory.Document)) {
	t.Helper()
	doc, _, err := s.inv.Document(ctx, privaq.System(s.org.ID), s.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	fn(doc)
	if _, err := s.inv.Replace(ctx, privaq.System(s.org.ID), s.org.ID, doc); err != nil {
		t.Fatal(err)
	}
}

// history is everything the ledger holds about a visitor.
func (s *stack) history(t testing.TB, visitor string) consent.History {
	t.Helper()
	h, err := s.ledger.History(ctx, privaq.System(s.org.ID), s.org.ID, visitor)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// decision asks what the website's server would ask.
func (s *stack) decision(t testing.TB, visitor, purpose string) consent.Answer {
	t.Helper()
	a, err := s.ledger.Decide(ctx, privaq.System(s.org.ID), s.org.ID, []consent.Pair{{Subject: visitor, Purpose: purpose}})
	if err != nil {
		t.Fatal(err)
	}
	return a[0]
}

// request sends one request to privaq and returns its status, headers and
// body.
func (s *stack) request(t testing.TB, method, path, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := rawTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// rawTransport leaves Accept-Encoding and the body alone: the tests see
// the bytes privaq sends.
var rawTransport = &http.Transport{DisableCompression: true}

// eachEngine runs fn on SQLite and PostgreSQL.
func eachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) { fn(t, storetest.Open(t, e.URL(t))) })
	}
}
