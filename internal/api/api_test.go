package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
	"privaq/internal/webhook"
)

type fixedClock struct{ at time.Time }

func (c fixedClock) Now() time.Time { return c.at }

// testAPI is the real stack over one database: two organizations, A with
// the demo inventory and a token of each role, B with an officer token.
type testAPI struct {
	srv      *httptest.Server
	db       *store.DB
	orgs     *org.Service
	inv      *inventory.Service
	pol      *policy.Service
	cons     *consent.Service
	a, b     org.Org
	tokens   map[privaq.Role]string // org A's tokens
	tokenIDs map[privaq.Role]privaq.TokenID
	bOfficer string
	router   routers.Router
	// shopDir holds the sample shop, the SQLite connector of org A.
	shopDir string
}

// tokenName is the name of org A's token of a role, as the audit log shows it.
func tokenName(r privaq.Role) string { return "test-" + string(r) }

func newTestAPI(t *testing.T, dbURL string) *testAPI {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, dbURL)
	ta := &testAPI{
		db:       db,
		orgs:     &org.Service{Store: db, Clock: fixedClock{time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}},
		inv:      &inventory.Service{Store: db},
		tokens:   map[privaq.Role]string{},
		tokenIDs: map[privaq.Role]privaq.TokenID{},
	}
	ta.pol = &policy.Service{Store: db, Subscribers: db, Inventory: ta.inv, Clock: ta.orgs.Clock}
	var err error
	if ta.a, err = ta.orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatalf("create org A: %v", err)
	}
	if ta.b, err = ta.orgs.CreateOrg(ctx, privaq.System(0), "beta", "Beta", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatalf("create org B: %v", err)
	}
	if _, err := ta.inv.Replace(ctx, privaq.System(ta.a.ID), ta.a.ID, inventory.Demo()); err != nil {
		t.Fatalf("load the demo inventory into A: %v", err)
	}
	for _, r := range privaq.Roles {
		raw, tok, err := ta.orgs.CreateToken(ctx, privaq.System(ta.a.ID), ta.a.ID, r, tokenName(r))
		if err != nil {
			t.Fatalf("create %s token: %v", r, err)
		}
		ta.tokens[r], ta.tokenIDs[r] = raw, tok.ID
	}
	if ta.bOfficer, _, err = ta.orgs.CreateToken(ctx, privaq.System(ta.b.ID), ta.b.ID, privaq.RoleOfficer, "b-officer"); err != nil {
		t.Fatalf("create B's token: %v", err)
	}
	ta.shopDir = t.TempDir()
	if err := os.Mkdir(filepath.Join(ta.shopDir, ta.a.Slug), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := connector.CreateSample(ctx, filepath.Join(ta.shopDir, ta.a.Slug, "shop.db")); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	writer := consent.NewWriter(db, ta.orgs.Clock, log)
	wctx, stop := context.WithCancel(context.Background())
	go writer.Run(wctx)
	t.Cleanup(stop)
	ta.cons = &consent.Service{Store: db, Writer: writer, Sources: db, Audit: db, Clock: ta.orgs.Clock}
	api := &API{Orgs: ta.orgs, OrgStore: db, Inventory: ta.inv, Policies: ta.pol, Consents: ta.cons, Audit: db, Log: log,
		Webhooks:  &webhook.Service{Store: db, Clock: ta.orgs.Clock},
		Incidents: &incident.Service{Store: db, Inventory: db, Clock: ta.orgs.Clock},
		Rights:    &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: ta.orgs.Clock, BaseURL: "https://privacy.example", SQLiteDir: ta.shopDir}}
	mux := http.NewServeMux()
	api.Routes(mux)
	ta.srv = httptest.NewServer(mux)
	t.Cleanup(ta.srv.Close)
	if ta.router, err = openAPIRouter(); err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	return ta
}

// eachEngine runs fn on a fresh stack per engine, the engines in parallel.
func eachEngine(t *testing.T, fn func(t *testing.T, ta *testAPI)) {
	t.Helper()
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newTestAPI(t, e.URL(t)))
		})
	}
}

// sameJSON compares two JSON values whatever their formatting and field order.
func sameJSON(t *testing.T, what string, got []byte, want any) {
	t.Helper()
	w, ok := want.([]byte)
	if s, isStr := want.(string); isStr {
		w, ok = []byte(s), true
	}
	if !ok {
		var err error
		if w, err = json.Marshal(want); err != nil {
			t.Fatal(err)
		}
	}
	var g, x any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal(w, &x); err != nil {
		t.Fatalf("%s: %v in %s", what, err, w)
	}
	if !reflect.DeepEqual(g, x) {
		t.Errorf("%s: got %s, want %s", what, got, w)
	}
}

func (ta *testAPI) orgPath(rest string) string { return "/api/v1/orgs/" + ta.a.Slug + rest }

// sample is a new item for one collection, valid next to the demo
// inventory (testdata/items.json), with an edit to apply and, for the
// collections activities refer to, a demo item the activity
// member-registration uses, and the activity field that refers to it.
type sample struct {
	Item     json.RawMessage
	Edit     map[string]any
	Used     string
	RefField string `json:"ref_field"`
}

// samples returns the samples by collection path, one for every collection.
func samples(t *testing.T) map[string]sample {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]sample
	if err := inventory.DecodeJSON(bytes.NewReader(data), &out); err != nil {
		t.Fatalf("testdata/items.json: %v", err)
	}
	for _, c := range inventory.Collections {
		if _, ok := out[c.Path()]; !ok {
			t.Fatalf("testdata/items.json: got no sample for %s, want one per collection", c.Path())
		}
	}
	return out
}

func TestCollectionsCRUD(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		tok := ta.tokens[privaq.RoleStaff]
		all := samples(t)
		for _, c := range inventory.Collections {
			path, s := c.Path(), all[c.Path()]
			t.Run(path, func(t *testing.T) {
				var item map[string]any
				if err := json.Unmarshal(s.Item, &item); err != nil {
					t.Fatal(err)
				}
				key := item["key"].(string)
				base := ta.orgPath("/" + path)

				res := ta.do(t, request{method: "POST", path: base, token: tok, body: []byte(s.Item)})
				res.want(t, http.StatusCreated, "", "")
				if got, want := res.header.Get("Location"), base+"/"+key; got != want {
					t.Errorf("Location: got %q, want %q", got, want)
				}
				sameJSON(t, "created", res.body, []byte(s.Item))

				res = ta.do(t, request{method: "POST", path: base, token: tok, body: []byte(s.Item)})
				res.want(t, http.StatusConflict, privaq.EConflict, "key")

				res = ta.do(t, request{method: "GET", path: base + "/" + key, token: tok})
				res.want(t, http.StatusOK, "", "")
				sameJSON(t, "got", res.body, []byte(s.Item))

				res = ta.do(t, request{method: "GET", path: base, token: tok})
				res.want(t, http.StatusOK, "", "")
				items := res.decode(t)["items"].([]any)
				if got := items[len(items)-1].(map[string]any)["key"]; got != key {
					t.Errorf("last listed key: got %v, want %s", got, key)
				}

				maps.Copy(item, s.Edit)
				res = ta.do(t, request{method: "PUT", path: base + "/" + key, token: tok, body: item})
				res.want(t, http.StatusOK, "", "")
				sameJSON(t, "put", res.body, item)
				res = ta.do(t, request{method: "GET", path: base + "/" + key, token: tok})
				sameJSON(t, "got after put", res.body, item)

				renamed := key + "-2"
				item["key"] = renamed
				res = ta.do(t, request{method: "PUT", path: base + "/" + key, token: tok, body: item})
				res.want(t, http.StatusOK, "", "")
				ta.do(t, request{method: "GET", path: base + "/" + key, token: tok}).want(t, http.StatusNotFound, privaq.ENotFound, "")
				ta.do(t, request{method: "GET", path: base + "/" + renamed, token: tok}).want(t, http.StatusOK, "", "")

				ta.do(t, request{method: "DELETE", path: base + "/" + renamed, token: tok}).want(t, http.StatusNoContent, "", "")
				ta.do(t, request{method: "GET", path: base + "/" + renamed, token: tok}).want(t, http.StatusNotFound, privaq.ENotFound, "")
				ta.do(t, request{method: "DELETE", path: base + "/" + renamed, token: tok}).want(t, http.StatusNotFound, privaq.ENotFound, "")

				if s.Used == "" {
					return
				}
				// Renaming an item in use renames the activity's reference;
				// deleting it is refused while the activity uses it.
				res = ta.do(t, request{method: "GET", path: base + "/" + s.Used, token: tok})
				res.want(t, http.StatusOK, "", "")
				used := res.decode(t)
				used["key"] = s.Used + "-renamed"
				ta.do(t, request{method: "PUT", path: base + "/" + s.Used, token: tok, body: used}).want(t, http.StatusOK, "", "")
				res = ta.do(t, request{method: "GET", path: ta.orgPath("/activities/member-registration"), token: tok})
				res.want(t, http.StatusOK, "", "")
				ref := res.decode(t)[s.RefField]
				if l, ok := ref.([]any); ok {
					if !slices.Contains(l, any(s.Used+"-renamed")) || slices.Contains(l, any(s.Used)) {
						t.Errorf("activity %s after the rename: got %v, want %s instead of %s", s.RefField, l, s.Used+"-renamed", s.Used)
					}
				} else if ref != s.Used+"-renamed" {
					t.Errorf("activity %s after the rename: got %v, want %s", s.RefField, ref, s.Used+"-renamed")
				}
				ta.do(t, request{method: "DELETE", path: base + "/" + s.Used + "-renamed", token: tok}).want(t, http.StatusConflict, privaq.EConflict, "")
			})
		}

		t.Run("put creates", func(t *testing.T) {
			body := `{"key":"fresh","name":{"fr":"Nouvelle"},"consent":"express"}`
			res := ta.do(t, request{method: "PUT", path: ta.orgPath("/purposes/fresh"), token: tok, body: body})
			res.want(t, http.StatusCreated, "", "")
			sameJSON(t, "created", res.body, body)
		})
	})
}

func TestSections(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		demo := inventory.Demo()
		tok := ta.tokens[privaq.RoleOfficer]
		for _, tc := range []struct {
			path string
			want any
			edit func(m map[string]any)
		}{
			{"/profile", demo.Org, func(m map[string]any) { m["name"] = "Entraide" }},
			{"/officer", demo.Officer, func(m map[string]any) { m["phone"] = "450 555-0199" }},
			{"/policy-settings", demo.Policy, func(m map[string]any) { m["notice_days"] = 45 }},
		} {
			t.Run(tc.path, func(t *testing.T) {
				res := ta.do(t, request{method: "GET", path: ta.orgPath(tc.path), token: tok})
				res.want(t, http.StatusOK, "", "")
				sameJSON(t, "got", res.body, tc.want)
				m := res.decode(t)
				tc.edit(m)
				res = ta.do(t, request{method: "PUT", path: ta.orgPath(tc.path), token: tok, body: m})
				res.want(t, http.StatusOK, "", "")
				sameJSON(t, "put", res.body, m)
			})
		}
		t.Run("orgs", func(t *testing.T) {
			res := ta.do(t, request{method: "GET", path: "/api/v1/orgs", token: tok})
			res.want(t, http.StatusOK, "", "")
			items := res.decode(t)["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["slug"] != ta.a.Slug {
				t.Errorf("orgs: got %v, want only %s", items, ta.a.Slug)
			}
			res = ta.do(t, request{method: "GET", path: ta.orgPath(""), token: tok})
			res.want(t, http.StatusOK, "", "")
			if got := res.decode(t)["slug"]; got != ta.a.Slug {
				t.Errorf("org slug: got %v, want %s", got, ta.a.Slug)
			}
		})
		t.Run("openapi", func(t *testing.T) {
			res := ta.do(t, request{method: "GET", path: "/api/v1/openapi.json"})
			res.want(t, http.StatusOK, "", "")
			if !bytes.Equal(res.body, (&API{}).OpenAPI()) {
				t.Errorf("served document: got %d bytes differing from OpenAPI()", len(res.body))
			}
		})
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		tok := ta.tokens[privaq.RoleOfficer]
		revoked := ta.tokens[privaq.RoleIntegration]
		ta.do(t, request{method: "DELETE", path: ta.orgPath(fmt.Sprintf("/tokens/%d", ta.tokenIDs[privaq.RoleIntegration])), token: tok}).
			want(t, http.StatusNoContent, "", "")
		purposes := ta.orgPath("/purposes")
		purpose := `{"key":"big","name":{"fr":"Grosse"},"consent":"express"}`
		for _, tc := range []struct {
			name   string
			req    request
			status int
			code   privaq.Code
			field  string
		}{
			{"malformed JSON", request{method: "POST", path: purposes, token: tok, body: `{"key":"x","name":`, invalid: true},
				400, privaq.EInvalidJSON, ""},
			{"malformed inventory", request{method: "PUT", path: ta.orgPath("/inventory"), token: tok, body: `{"org": [`, invalid: true},
				400, privaq.EInvalidJSON, ""},
			{"unknown field", request{method: "POST", path: purposes, token: tok, invalid: true,
				body: `{"key":"x","name":{"fr":"X"},"consent":"express","colour":"red"}`},
				422, privaq.EValidation, "colour"},
			{"wrong enum", request{method: "POST", path: purposes, token: tok, invalid: true,
				body: `{"key":"x","name":{"fr":"X"},"consent":"maybe"}`},
				422, privaq.EValidation, "consent"},
			{"bad ISO duration", request{method: "POST", path: ta.orgPath("/retention-rules"), token: tok, invalid: true,
				body: `{"key":"x","name":{"fr":"X"},"period":"7 years","trigger":"collection","action":"destroy"}`},
				422, privaq.EValidation, "period"},
			{"dangling reference", request{method: "POST", path: ta.orgPath("/activities"), token: tok,
				body: `{"key":"x","name":{"fr":"X"},"purposes":["nope"],"data_categories":[],"subjects":[],"sources":[],"collection_means":[],
					"systems":[],"recipients":[],"retention":"tax-records","automated_decision":false,"profiling":false}`},
				422, privaq.EValidation, "purposes[0]"},
			{"bad key", request{method: "POST", path: purposes, token: tok, invalid: true,
				body: `{"key":"Not a slug","name":{"fr":"X"},"consent":"express"}`},
				422, privaq.EValidation, "key"},
			{"missing French", request{method: "POST", path: purposes, token: tok, invalid: true,
				body: `{"key":"x","name":{"en":"X"},"consent":"express"}`},
				422, privaq.EValidation, "name.fr"},
			{"bad format", request{method: "GET", path: ta.orgPath("/inventory?format=xml"), token: tok, invalid: true},
				422, privaq.EValidation, "format"},
			{"bad audit limit", request{method: "GET", path: ta.orgPath("/audit?limit=0"), token: tok, invalid: true},
				422, privaq.EValidation, "limit"},
			{"oversized body", request{method: "POST", path: purposes, token: tok, body: purpose + strings.Repeat(" ", maxBody)},
				413, privaq.ETooLarge, ""},
			{"wrong content type", request{method: "POST", path: purposes, token: tok, body: purpose, contentType: "text/plain", invalid: true},
				415, privaq.EUnsupportedType, ""},
			{"YAML item", request{method: "POST", path: purposes, token: tok, body: "key: x\n", contentType: "application/yaml", invalid: true},
				415, privaq.EUnsupportedType, ""},
			{"missing token", request{method: "GET", path: purposes, invalid: true},
				401, privaq.EUnauthorized, ""},
			{"unknown token", request{method: "GET", path: purposes, token: "pq_" + strings.Repeat("a", 52)},
				401, privaq.EUnauthorized, ""},
			{"revoked token", request{method: "GET", path: purposes, token: revoked},
				401, privaq.EUnauthorized, ""},
			{"unknown key", request{method: "GET", path: purposes + "/nope", token: tok},
				404, privaq.ENotFound, ""},
			{"unknown token id", request{method: "DELETE", path: ta.orgPath("/tokens/999999"), token: tok},
				404, privaq.ENotFound, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ta.do(t, tc.req).want(t, tc.status, tc.code, tc.field)
			})
		}
		// Nothing above changed the inventory.
		doc, _, err := ta.inv.Document(context.Background(), privaq.System(ta.a.ID), ta.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(doc, inventory.Demo()) {
			t.Errorf("inventory after bad input: got a changed document, want the demo")
		}
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		purpose := `{"key":"x","name":{"fr":"X"},"consent":"express"}`
		for _, tc := range []struct {
			role   privaq.Role
			req    request
			status int
		}{
			{privaq.RoleAuditor, request{method: "POST", path: "/purposes", body: purpose}, 403},
			{privaq.RoleIntegration, request{method: "POST", path: "/purposes", body: purpose}, 403},
			{privaq.RoleAuditor, request{method: "PUT", path: "/profile", body: inventory.Demo().Org}, 403},
			{privaq.RoleIntegration, request{method: "PUT", path: "/inventory", body: inventory.Demo()}, 403},
			{privaq.RoleAuditor, request{method: "DELETE", path: "/cookies/ga"}, 403},
			{privaq.RoleIntegration, request{method: "PUT", path: "/measures/training", body: `{"key":"training","kind":"training","text":{"fr":"X"}}`}, 403},
			{privaq.RoleStaff, request{method: "POST", path: "/tokens", body: `{"role":"staff"}`}, 403},
			{privaq.RoleStaff, request{method: "GET", path: "/tokens"}, 403},
			{privaq.RoleStaff, request{method: "DELETE", path: "/tokens/1"}, 403},
			{privaq.RoleStaff, request{method: "GET", path: "/members"}, 403},
			{privaq.RoleAuditor, request{method: "POST", path: "/members", body: `{"email":"a@example.org","role":"staff"}`}, 403},
			{privaq.RoleStaff, request{method: "GET", path: "/audit"}, 403},
			{privaq.RoleIntegration, request{method: "GET", path: "/audit"}, 403},
			{privaq.RoleAuditor, request{method: "GET", path: "/audit"}, 200},
			{privaq.RoleOfficer, request{method: "GET", path: "/audit?action=token.&limit=5"}, 200},
			{privaq.RoleIntegration, request{method: "GET", path: "/inventory"}, 200},
			{privaq.RoleAuditor, request{method: "GET", path: "/checks"}, 200},
			{privaq.RoleStaff, request{method: "POST", path: "/purposes", body: purpose}, 201},
			{privaq.RoleOfficer, request{method: "GET", path: "/tokens"}, 200},
			{privaq.RoleOfficer, request{method: "POST", path: "/tokens", body: `{"name":"ci","role":"integration"}`}, 201},
			{privaq.RoleOfficer, request{method: "GET", path: "/members"}, 200},
			{privaq.RoleOfficer, request{method: "POST", path: "/members", body: `{"email":"Staff@Example.org","name":"Sam","role":"staff"}`}, 201},
		} {
			t.Run(fmt.Sprintf("%s %s %s", tc.role, tc.req.method, tc.req.path), func(t *testing.T) {
				r := tc.req
				r.path, r.token = ta.orgPath(r.path), ta.tokens[tc.role]
				code := privaq.Code("")
				if tc.status == 403 {
					code = privaq.EForbidden
				}
				ta.do(t, r).want(t, tc.status, code, "")
			})
		}
		t.Run("new token works", func(t *testing.T) {
			res := ta.do(t, request{method: "POST", path: ta.orgPath("/tokens"), token: ta.tokens[privaq.RoleOfficer], body: `{"role":"auditor"}`})
			res.want(t, http.StatusCreated, "", "")
			raw := res.decode(t)["token"].(string)
			ta.do(t, request{method: "GET", path: ta.orgPath("/audit"), token: raw}).want(t, http.StatusOK, "", "")
			res = ta.do(t, request{method: "GET", path: ta.orgPath("/tokens"), token: ta.tokens[privaq.RoleOfficer]})
			if got, want := len(res.decode(t)["items"].([]any)), len(privaq.Roles)+2; got != want {
				t.Errorf("tokens: got %d, want %d", got, want)
			}
		})
	})
}

func TestInventoryRoundTrip(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		tok := ta.tokens[privaq.RoleStaff]
		doc := inventory.Demo()
		doc.Org.Name = "Entraide Jeunesse"
		doc.Measures = doc.Measures[:3]
		for _, format := range []string{"yaml", "json"} {
			t.Run(format, func(t *testing.T) {
				doc.Org.LegalName = "Entraide Jeunesse (" + format + ") inc."
				var sent bytes.Buffer
				if err := doc.Encode(&sent, format); err != nil {
					t.Fatal(err)
				}
				res := ta.do(t, request{method: "PUT", path: ta.orgPath("/inventory"), token: tok, body: sent.Bytes(), contentType: "application/" + format})
				res.want(t, http.StatusOK, "", "")
				if res.header.Get("ETag") == "" {
					t.Errorf("ETag: got none, want the revision")
				}
				for _, f := range []string{"yaml", "json"} {
					res = ta.do(t, request{method: "GET", path: ta.orgPath("/inventory?format=" + f), token: tok})
					res.want(t, http.StatusOK, "", "")
					var want bytes.Buffer
					if err := doc.Encode(&want, f); err != nil {
						t.Fatal(err)
					}
					if f == format && !bytes.Equal(res.body, sent.Bytes()) {
						t.Errorf("GET ?format=%s after PUT %s: got\n%s\nwant the bytes sent\n%s", f, format, res.body, sent.Bytes())
					} else if !bytes.Equal(res.body, want.Bytes()) {
						t.Errorf("GET ?format=%s after PUT %s: got\n%s\nwant\n%s", f, format, res.body, want.Bytes())
					}
				}
			})
		}
		t.Run("invalid document changes nothing", func(t *testing.T) {
			bad := inventory.Demo()
			bad.Activities[0].Purposes = append(bad.Activities[0].Purposes, "nope")
			ta.do(t, request{method: "PUT", path: ta.orgPath("/inventory"), token: tok, body: bad}).
				want(t, http.StatusUnprocessableEntity, privaq.EValidation, "activities[0].purposes[1]")
			res := ta.do(t, request{method: "GET", path: ta.orgPath("/inventory"), token: tok})
			sameJSON(t, "inventory", res.body, doc)
		})
	})
}

func TestChecks(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		res := ta.do(t, request{method: "GET", path: ta.orgPath("/checks"), token: ta.tokens[privaq.RoleAuditor]})
		res.want(t, http.StatusOK, "", "")
		var out struct {
			Findings []inventory.Finding
			Counts   map[inventory.Severity]int
		}
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Findings) == 0 {
			t.Fatalf("findings: got none, want the demo's gaps")
		}
		if want := inventory.Check(inventory.Demo()); !reflect.DeepEqual(out.Findings, want) {
			t.Errorf("findings: got %+v, want %+v", out.Findings, want)
		}
		counts := map[inventory.Severity]int{}
		for _, f := range out.Findings {
			counts[f.Severity]++
			if f.ID == "" || f.Article == "" || f.Message.FR == "" {
				t.Errorf("finding %+v: got an empty id, article or French message, want all three", f)
			}
		}
		if !reflect.DeepEqual(out.Counts, counts) {
			t.Errorf("counts: got %v, want %v", out.Counts, counts)
		}
	})
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff := ta.tokens[privaq.RoleStaff]
		ta.do(t, request{method: "POST", path: ta.orgPath("/purposes"), token: staff, body: `{"key":"x","name":{"fr":"X"},"consent":"express"}`}).
			want(t, http.StatusCreated, "", "")
		ta.do(t, request{method: "PUT", path: ta.orgPath("/officer"), token: staff, body: `{"name":"Nadia Bergeron","email":"vp@example.org"}`}).
			want(t, http.StatusOK, "", "")
		ta.do(t, request{method: "DELETE", path: ta.orgPath("/purposes/x"), token: staff}).want(t, http.StatusNoContent, "", "")
		res := ta.do(t, request{method: "POST", path: ta.orgPath("/tokens"), token: ta.tokens[privaq.RoleOfficer], body: `{"name":"ci","role":"integration"}`})
		res.want(t, http.StatusCreated, "", "")
		prefix := res.decode(t)["prefix"].(string)

		res = ta.do(t, request{method: "GET", path: ta.orgPath("/audit"), token: ta.tokens[privaq.RoleAuditor]})
		res.want(t, http.StatusOK, "", "")
		var out struct{ Items []map[string]any }
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatal(err)
		}
		type line struct{ actor, action, target string }
		var got []line
		for _, e := range out.Items {
			if e["actor_kind"] == "token" {
				got = append(got, line{e["actor"].(string), e["action"].(string), e["target"].(string)})
			}
		}
		want := []line{ // newest first
			{"token: " + tokenName(privaq.RoleOfficer), "token.create", "token:" + prefix},
			{"token: " + tokenName(privaq.RoleStaff), "inventory.delete", "purposes/x"},
			{"token: " + tokenName(privaq.RoleStaff), "inventory.update", "officer"},
			{"token: " + tokenName(privaq.RoleStaff), "inventory.create", "purposes/x"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("token entries: got %v, want %v", got, want)
		}

		res = ta.do(t, request{method: "GET", path: ta.orgPath("/audit?action=inventory.&limit=2"), token: ta.tokens[privaq.RoleAuditor]})
		res.want(t, http.StatusOK, "", "")
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 2 || out.Items[0]["action"] != "inventory.delete" || out.Items[1]["action"] != "inventory.update" {
			t.Fatalf("action=inventory.&limit=2: got %v, want the delete and the update", out.Items)
		}
		before := int64(out.Items[1]["id"].(float64))
		res = ta.do(t, request{method: "GET", path: ta.orgPath(fmt.Sprintf("/audit?action=inventory.&before=%d", before)), token: ta.tokens[privaq.RoleAuditor]})
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Items) == 0 || out.Items[0]["action"] != "inventory.create" || out.Items[0]["target"] != "purposes/x" {
			t.Errorf("before=%d: got %v, want the create first", before, out.Items)
		}
	})
}
