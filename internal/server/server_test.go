package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/api"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store/storetest"
	"privaq/internal/web"
)

// panicky is a page set with one route that panics, to test recovery.
type panicky struct{ *web.Web }

func (p panicky) Routes(mux *http.ServeMux) {
	p.Web.Routes(mux)
	mux.HandleFunc("GET /api/v1/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /admin/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
}

func newServer(t *testing.T) *httptest.Server {
	db := storetest.Open(t, "")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	inv := &inventory.Service{Store: db}
	w, err := web.New(web.Config{Orgs: orgs, OrgStore: db, Inventory: inv, Audit: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Log: log, DB: db, API: &api.API{Orgs: orgs, OrgStore: db, Inventory: inv, Audit: db, Log: log}, Web: panicky{w}, Version: "test"})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	srv := newServer(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		if res, body := get(t, srv.URL+path); res.StatusCode != 200 || strings.TrimSpace(body) != want {
			t.Errorf("%s: got %d %q, want 200 %q", path, res.StatusCode, body, want)
		}
	}
	get(t, srv.URL+"/api/v1/orgs/some-slug/purposes")
	_, metrics := get(t, srv.URL+"/metrics")
	for _, want := range []string{`privaq_build_info{version="test"} 1`,
		`privaq_http_requests_total{route="GET /api/v1/orgs/{org}/purposes",code="401"} 1`,
		`privaq_http_request_duration_seconds_bucket{route="GET /healthz",le=`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, "some-slug") {
		t.Error("metrics carry a raw path instead of the route pattern")
	}
}

func TestRequestID(t *testing.T) {
	srv := newServer(t)
	if res, _ := get(t, srv.URL+"/healthz", "X-Request-Id", "abc-123"); res.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("a safe request id is not kept: %q", res.Header.Get("X-Request-Id"))
	}
	res, _ := get(t, srv.URL+"/healthz", "X-Request-Id", "evil\"id with spaces")
	if id := res.Header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, "\" ") {
		t.Errorf("an unsafe request id was kept or none made: %q", id)
	}
}

func TestPanicsAnswer500(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv.URL+"/api/v1/boom")
	if res.StatusCode != 500 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("API panic: got %d %s %q, want a JSON 500", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res, _ := get(t, srv.URL+"/admin/boom"); res.StatusCode != 500 {
		t.Errorf("page panic: got %d, want 500", res.StatusCode)
	}
	if res, _ := get(t, srv.URL+"/healthz"); res.StatusCode != 200 {
		t.Error("the server did not survive the panic")
	}
}
