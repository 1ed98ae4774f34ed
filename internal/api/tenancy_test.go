package api

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/rights"
)

// tenantState is what a request of another tenant must never change.
type tenantState struct {
	inventory []byte
	rev       int64
	tokens    []string
	members   int
	policies  string
}

func (ta *testAPI) state(t *testing.T, o privaq.OrgID) tenantState {
	t.Helper()
	ctx := context.Background()
	doc, rev, err := ta.inv.Document(ctx, privaq.System(o), o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := doc.Encode(&buf, inventory.FormatJSON); err != nil {
		t.Fatal(err)
	}
	s := tenantState{inventory: buf.Bytes(), rev: rev}
	tokens, err := ta.db.ListTokens(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		// Last use is left out: using a token is not changing it.
		s.tokens = append(s.tokens, strconv.FormatInt(int64(tok.ID), 10)+" "+tok.Name+" "+string(tok.Role)+" revoked="+strconv.FormatBool(tok.RevokedAt != nil))
	}
	members, err := ta.db.Members(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	s.members = len(members)
	versions, err := ta.pol.Versions(ctx, privaq.System(o), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		s.policies += strconv.Itoa(v.Number) + " " + string(v.Status) + ";"
	}
	return s
}

func (s tenantState) same(t *testing.T, after tenantState) {
	t.Helper()
	if !bytes.Equal(after.inventory, s.inventory) || after.rev != s.rev {
		t.Errorf("inventory: got revision %d and %d bytes, want revision %d and %d bytes, unchanged", after.rev, len(after.inventory), s.rev, len(s.inventory))
	}
	if !slices.Equal(after.tokens, s.tokens) {
		t.Errorf("tokens: got %v, want %v", after.tokens, s.tokens)
	}
	if after.policies != s.policies {
		t.Errorf("policy versions: got %q, want %q", after.policies, s.policies)
	}
	if after.members != s.members {
		t.Errorf("members: got %d, want %d", after.members, s.members)
	}
}

// call turns a route into a request on org A's real resources: the keys of
// its demo inventory, the id of one of its tokens, and valid bodies.
func (ta *testAPI) call(t *testing.T, r Route, slug, token string) request {
	t.Helper()
	demo := inventory.Demo()
	rest := strings.TrimPrefix(r.Pattern, "/api/v1/orgs/{org}")
	segment, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	req := request{method: r.Method, token: token}
	path := strings.Replace(r.Pattern, "{org}", slug, 1)
	// Version 1 is the draft that POST …/policies creates first in the
	// loop of A on A below; the routes are registered in that order.
	path = strings.Replace(path, "{n}", "1", 1)
	path = strings.Replace(path, "{id}", strconv.FormatInt(int64(ta.tokenIDs[privaq.RoleAuditor]), 10), 1)
	if strings.Contains(r.Pattern, "{webhook}") {
		path = strings.Replace(path, "{webhook}", ta.webhookOfA(t), 1)
	}
	if strings.Contains(r.Pattern, "{incident}") {
		path = strings.Replace(path, "{incident}", ta.incidentOfA(t), 1)
	}
	// Acting through connectors needs the identity verified (P 30) and a
	// request of the matching type.
	switch {
	case strings.Contains(r.Pattern, "{request}/collect"), strings.Contains(r.Pattern, "{request}/exports"):
		path = strings.Replace(path, "{request}", ta.verifiedRequestOfA(t, rights.TypeAccess), 1)
	case strings.Contains(r.Pattern, "{request}/erase"):
		path = strings.Replace(path, "{request}", ta.verifiedRequestOfA(t, rights.TypeDeletion), 1)
	case strings.Contains(r.Pattern, "{request}/rectify"):
		path = strings.Replace(path, "{request}", ta.verifiedRequestOfA(t, rights.TypeRectification), 1)
	case strings.Contains(r.Pattern, "{request}"):
		path = strings.Replace(path, "{request}", ta.requestOfA(t), 1)
	}
	path = strings.Replace(path, "{subject}", "visitor-1", 1)
	if r.Method == "GET" && rest == "/decisions" {
		path += "?subject=visitor-1&purpose=newsletter"
	}
	if strings.Contains(r.Pattern, "{export}") {
		path = strings.Replace(path, "{export}", ta.exportOfA(t), 1)
	}
	if strings.Contains(r.Pattern, "{run}") {
		kind := "erase"
		if strings.Contains(r.Pattern, "/rectify/") {
			kind = "rectify"
		}
		path = strings.Replace(path, "{run}", ta.runOfA(t, kind), 1)
	}
	if segment == "connectors" && strings.Contains(path, "{key}") {
		path = strings.Replace(path, "{key}", ta.connectorOfA(t), 1)
	}
	c, isColl := inventory.CollectionByPath(segment)
	if strings.Contains(path, "{key}") {
		if !isColl {
			t.Fatalf("%s %s: no collection for {key}", r.Method, r.Pattern)
		}
		key := c.Keys(demo)[0]
		path = strings.Replace(path, "{key}", key, 1)
		item, _ := c.Get(demo, key)
		req.body = item
	}
	req.path = path
	if r.Method != "POST" && r.Method != "PUT" && r.Method != "PATCH" {
		req.body = nil
		return req
	}
	switch {
	case isColl && r.Method == "POST":
		req.body = []byte(samples(t)[segment].Item)
	case isColl:
		// The item of the demo, set above.
	case rest == "/inventory":
		req.body = demo
	case rest == "/tokens":
		req.body = `{"name":"intruder","role":"officer"}`
	case rest == "/policies":
		req.body = nil
	case rest == "/policies/{n}/publish":
		req.body = `{"effective_at":"2100-01-01T00:00:00Z","summary_of_changes":{"fr":"Première version","en":"First version"}}`
	case rest == "/consents":
		req.body = `{"subject":"visitor-1","purpose":"newsletter","decision":"granted","mode":"express","channel":"api","given_by":"subject"}`
	case rest == "/decisions":
		req.body = `{"pairs":[{"subject":"visitor-1","purpose":"newsletter"}]}`
	case rest == "/webhooks":
		req.body = `{"url":"https://hooks.example.org/privaq","events":["consent.withdrawn"]}`
	case rest == "/members":
		req.body = `{"email":"intruder@example.org","role":"officer"}`
	case rest == "/banner":
		req.body = `{"position":"center","reconsent_months":6}`
	case rest == "/connectors/{key}/test", rest == "/requests/{request}/collect":
		req.body = nil
	case ta.connectorBody(t, rest) != nil:
		req.body = ta.connectorBody(t, rest)
	case strings.HasPrefix(rest, "/requests"):
		req.body = requestBody(rest)
	case strings.HasPrefix(rest, "/incident"):
		req.body, req.contentType = incidentBody(rest)
	default:
		i := slices.IndexFunc(sections, func(s section) bool { return "/"+s.path == rest })
		if i < 0 {
			t.Fatalf("%s %s: no valid body known for this route; add one here", r.Method, r.Pattern)
		}
		req.body = sections[i].get(demo)
	}
	return req
}

// TestTenancy proves SPEC §3: a token of organization B gets 404 not_found
// for every resource of organization A, on every route, and changes nothing;
// a token gets the same for an organization that does not exist.
// refusedToTokens are the routes that refuse even the organization's own
// officer token, with the status they answer.
var refusedToTokens = map[string]int{
	// A signed-in staff member approves a run, other than its planner.
	"/api/v1/orgs/{org}/requests/{request}/erase/{run}/approve":   http.StatusForbidden,
	"/api/v1/orgs/{org}/requests/{request}/rectify/{run}/approve": http.StatusForbidden,
	// Organization A is in the private sector: no extension (P 32).
	"/api/v1/orgs/{org}/requests/{request}/extend": http.StatusConflict,
}

func TestTenancy(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		beforeA, beforeB := ta.state(t, ta.a.ID), ta.state(t, ta.b.ID)
		routes := (&API{}).Routes(http.NewServeMux())
		n := 0
		for _, r := range routes {
			if !strings.Contains(r.Pattern, "{org}") {
				continue
			}
			n++
			for _, tc := range []struct {
				name, slug, token string
			}{
				{"B on A", ta.a.Slug, ta.bOfficer},
				{"A on a missing org", "no-such-org", ta.tokens[privaq.RoleOfficer]},
			} {
				t.Run(tc.name+" "+r.Method+" "+r.Pattern, func(t *testing.T) {
					ta.do(t, ta.call(t, r, tc.slug, tc.token)).want(t, http.StatusNotFound, privaq.ENotFound, "")
				})
			}
		}
		if n < 10 {
			t.Errorf("routes with {org}: got %d, want every organization route", n)
		}
		beforeA.same(t, ta.state(t, ta.a.ID))
		beforeB.same(t, ta.state(t, ta.b.ID))

		// The same requests with A's own officer token succeed, which shows
		// the 404s above come from tenancy, not from bad requests.
		for _, r := range routes {
			if !strings.Contains(r.Pattern, "{org}") || r.Method == "DELETE" {
				continue
			}
			t.Run("A on A "+r.Method+" "+r.Pattern, func(t *testing.T) {
				res := ta.do(t, ta.call(t, r, ta.a.Slug, ta.tokens[privaq.RoleOfficer]))
				if want, ok := refusedToTokens[r.Pattern]; ok {
					if res.status != want {
						t.Errorf("status: got %d, want %d (%s)", res.status, want, res.body)
					}
					return
				}
				if res.status >= 300 {
					t.Errorf("status: got %d, want success (%s)", res.status, res.body)
				}
			})
		}
	})
}
