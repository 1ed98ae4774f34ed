package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/webhook"
)

func init() {
	// JSON Lines exports are read as text by the contract checker.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
}

// withWebhooks serves ta's stack again with the webhook service set, and
// returns the service.
func withWebhooks(t *testing.T, ta *testAPI) *webhook.Service {
	t.Helper()
	hooks := &webhook.Service{Store: ta.db, Clock: ta.orgs.Clock}
	api := &API{Orgs: ta.orgs, OrgStore: ta.db, Inventory: ta.inv, Policies: ta.pol, Consents: ta.cons, Webhooks: hooks, Audit: ta.db,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)), BaseURL: "https://privacy.example.test"}
	mux := http.NewServeMux()
	api.Routes(mux)
	ta.srv.Close()
	ta.srv = httptest.NewServer(mux)
	t.Cleanup(ta.srv.Close)
	return hooks
}

func (ta *testAPI) recordConsents(t *testing.T, in ...consent.Input) {
	t.Helper()
	if _, err := ta.cons.Record(context.Background(), privaq.System(ta.a.ID), ta.a.ID, in); err != nil {
		t.Fatal(err)
	}
}

// webhookOfA returns the id of an endpoint of organization A, creating
// one the first time (for the routes with {webhook} in TestTenancy).
func (ta *testAPI) webhookOfA(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	es, err := ta.db.Webhooks(ctx, ta.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) > 0 {
		return fmt.Sprint(es[0].ID)
	}
	e := webhook.Endpoint{OrgID: ta.a.ID, URL: "https://hooks.example.org/alpha", Events: []string{webhook.EventWithdrawn}, CreatedAt: time.Now()}
	if err := ta.db.CreateWebhook(ctx, &e, "whsec_test", audit.Entry{Kind: privaq.ActorSystem, Action: "webhook.create"}); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(e.ID)
}

func newsletter(subject string, d consent.Decision) consent.Input {
	return consent.Input{Subject: subject, Purpose: "newsletter", Decision: d, Mode: consent.Express, Channel: "web", GivenBy: consent.BySubject}
}

func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		withWebhooks(t, ta)
		officer, integration := ta.tokens[privaq.RoleOfficer], ta.tokens[privaq.RoleIntegration]
		hooks := ta.orgPath("/webhooks")
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}))
		t.Cleanup(failing.Close)

		ta.do(t, request{method: "POST", path: hooks, token: ta.tokens[privaq.RoleStaff], body: `{"url":"https://hooks.example.org/x"}`}).
			want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "POST", path: hooks, token: officer, body: `{"url":"http://hooks.example.org/x"}`}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "url")
		ta.do(t, request{method: "POST", path: hooks, token: officer, body: `{"url":"https://hooks.example.org/x","events":["consent.recorded"]}`}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "events")
		ta.do(t, request{method: "POST", path: hooks, token: officer, body: `{"url":"https://hooks.example.org/x","secret":"mine"}`, invalid: true}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "secret")

		res := ta.do(t, request{method: "POST", path: hooks, token: officer, body: map[string]any{"url": failing.URL + "/privaq"}})
		res.want(t, http.StatusCreated, "", "")
		var created webhook.NewEndpoint
		if err := json.Unmarshal(res.body, &created); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(created.Secret, "whsec_") || created.ID == 0 || strings.Join(created.Events, ",") != webhook.EventWithdrawn {
			t.Errorf("created: got %s", res.body)
		}
		id := fmt.Sprint(created.ID)

		res = ta.do(t, request{method: "GET", path: hooks, token: integration})
		res.want(t, http.StatusOK, "", "")
		if bytes.Contains(res.body, []byte("secret")) || !bytes.Contains(res.body, []byte(`"url":"`+failing.URL+`/privaq"`)) {
			t.Errorf("list: got %s, want the endpoint without its secret", res.body)
		}

		// A withdrawal, refused once by the endpoint: the delivery and its
		// attempt are listed.
		ta.recordConsents(t, newsletter("client-1", consent.Granted), newsletter("client-1", consent.Withdrawn))
		clock := privaq.NewManualClock(time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC))
		worker := &webhook.Worker{Store: ta.db, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if n, err := worker.RunOnce(context.Background()); n != 0 || err != nil {
			t.Fatalf("worker: got %d delivered, %v; want 0, nil", n, err)
		}
		res = ta.do(t, request{method: "GET", path: hooks + "/" + id + "/deliveries", token: integration})
		res.want(t, http.StatusOK, "", "")
		var ds struct{ Items []webhook.Delivery }
		if err := json.Unmarshal(res.body, &ds); err != nil {
			t.Fatal(err)
		}
		if len(ds.Items) != 1 || ds.Items[0].Type != webhook.EventWithdrawn || ds.Items[0].Status != webhook.StatusPending ||
			len(ds.Items[0].Log) != 1 || ds.Items[0].Log[0].StatusCode != 503 || ds.Items[0].LastStatusCode != 503 {
			t.Errorf("deliveries: got %s", res.body)
		}

		// Organization B sees none of it.
		bHooks := "/api/v1/orgs/" + ta.b.Slug + "/webhooks"
		res = ta.do(t, request{method: "GET", path: bHooks, token: ta.bOfficer})
		res.want(t, http.StatusOK, "", "")
		if !bytes.Equal(bytes.TrimSpace(res.body), []byte(`{"items":[]}`)) {
			t.Errorf("B's list: got %s, want empty", res.body)
		}
		ta.do(t, request{method: "GET", path: bHooks + "/" + id + "/deliveries", token: ta.bOfficer}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		ta.do(t, request{method: "DELETE", path: bHooks + "/" + id, token: ta.bOfficer}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		ta.do(t, request{method: "DELETE", path: hooks + "/" + id, token: ta.bOfficer}).want(t, http.StatusNotFound, privaq.ENotFound, "")

		ta.do(t, request{method: "DELETE", path: hooks + "/" + id, token: integration}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "DELETE", path: hooks + "/x", token: officer, invalid: true}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		ta.do(t, request{method: "DELETE", path: hooks + "/" + id, token: officer}).want(t, http.StatusNoContent, "", "")
		ta.do(t, request{method: "DELETE", path: hooks + "/" + id, token: officer}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		ta.do(t, request{method: "GET", path: hooks + "/" + id + "/deliveries", token: officer}).want(t, http.StatusNotFound, privaq.ENotFound, "")

		es, err := ta.db.ListAudit(context.Background(), ta.a.ID, audit.Filter{Action: "webhook.", Limit: 10})
		if err != nil || len(es) != 2 || es[0].Action != "webhook.delete" || es[1].Action != "webhook.create" || es[1].Target != "webhook:"+id {
			t.Errorf("audit: got %+v, %v", es, err)
		}
	})
}

func TestConsentsExportAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		withWebhooks(t, ta)
		ta.recordConsents(t, newsletter("client-1", consent.Granted), newsletter("client-2", consent.Granted), newsletter("client-1", consent.Withdrawn))
		export := ta.orgPath("/consents/export")

		res := ta.do(t, request{method: "GET", path: export, token: ta.tokens[privaq.RoleStaff]})
		res.want(t, http.StatusOK, "", "")
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		if err != nil || len(rows) != 4 || rows[0][0] != "id" || rows[3][3] != "client-1" || rows[3][6] != "withdrawn" {
			t.Errorf("csv: got %q, %v", rows, err)
		}
		if ct, cd, n := res.header.Get("Content-Type"), res.header.Get("Content-Disposition"), res.header.Get("Privaq-Export-Rows"); ct != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(cd, `attachment; filename="consents-alpha-`) || !strings.HasSuffix(cd, `.csv"`) || n != "3" {
			t.Errorf("headers: got %q, %q, %q", ct, cd, n)
		}

		res = ta.do(t, request{method: "GET", path: export + "?format=jsonl&subject=client-1&from=2025-03-14&to=2025-03-14", token: ta.tokens[privaq.RoleAuditor]})
		res.want(t, http.StatusOK, "", "")
		if n := bytes.Count(res.body, []byte("\n")); n != 2 || res.header.Get("Content-Type") != "application/x-ndjson" {
			t.Errorf("jsonl of client-1: got %d lines of %s", n, res.header.Get("Content-Type"))
		}

		res = ta.do(t, request{method: "GET", path: export + "?format=iso27560&purpose=newsletter", token: ta.tokens[privaq.RoleOfficer]})
		res.want(t, http.StatusOK, "", "")
		first, _, _ := bytes.Cut(res.body, []byte("\n"))
		var rec map[string]any
		if err := json.Unmarshal(first, &rec); err != nil || rec["schema_version"] != consent.ISOSchema || rec["pii_principal_id"] != "client-1" {
			t.Errorf("iso27560: got %s, %v", first, err)
		}

		ta.do(t, request{method: "GET", path: export, token: ta.tokens[privaq.RoleIntegration]}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "GET", path: export + "?format=xml", token: ta.tokens[privaq.RoleStaff], invalid: true}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "format")
		ta.do(t, request{method: "GET", path: export + "?from=2025-02-30", token: ta.tokens[privaq.RoleStaff]}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "from")
		ta.do(t, request{method: "GET", path: export + "?from=2025-03-15&to=2025-03-14", token: ta.tokens[privaq.RoleStaff]}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "to")

		es, err := ta.db.ListAudit(context.Background(), ta.a.ID, audit.Filter{Action: "consent.export", Limit: 10})
		if err != nil || len(es) != 3 || es[2].Detail["rows"] != float64(3) || es[1].Detail["subject_filter"] != true {
			t.Errorf("audit: got %+v, %v", es, err)
		}
	})
}
