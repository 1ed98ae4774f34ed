package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/rights"
)

const requestJSON = `{"type":"access","requester":{"name":"Élise Tremblay","email":"elise@exemple.qc.ca"},
	"represented":{"name":"Léo Tremblay","capacity":"parent"},"details":"Tout ce que vous détenez sur mon fils.",
	"channel":"mail","received_at":"2025-03-12"}`

// requestBody is a valid body for a request route of TestTenancy.
func requestBody(rest string) any {
	switch {
	case rest == "/requests":
		return requestJSON
	case strings.HasSuffix(rest, "/verify-identity"):
		return `{"method":"document_seen","note":"Permis vu au comptoir."}`
	case strings.HasSuffix(rest, "/notes"):
		return `{"note":"Appel au parent."}`
	}
	return `{"outcome":"granted","reasons":{"fr":"Voici vos renseignements."}}` // answer
}

// requestOfA returns the id of a request of organization A, creating it
// the first time (for the routes with {request} in TestTenancy).
func (ta *testAPI) requestOfA(t *testing.T) string {
	t.Helper()
	list, err := ta.db.Requests(context.Background(), ta.a.ID, rights.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 0 {
		return strconv.FormatInt(int64(list[0].ID), 10)
	}
	res := ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: ta.tokens[privaq.RoleStaff], body: requestJSON})
	res.want(t, http.StatusCreated, "", "")
	return strconv.FormatInt(int64(res.decode(t)["id"].(float64)), 10)
}

// TestRequestsAPI follows a request by the API, every request and
// response checked against the OpenAPI document.
func TestRequestsAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff, auditor, integration := ta.tokens[privaq.RoleStaff], ta.tokens[privaq.RoleAuditor], ta.tokens[privaq.RoleIntegration]
		for _, c := range []struct {
			name, body, field string
			status            int
			code              privaq.Code
			invalid           bool
		}{
			{"unknown type", `{"type":"erase","requester":{"name":"X"}}`, "type", 422, privaq.EValidation, true},
			{"bad email", `{"type":"access","requester":{"name":"X","email":"x@"}}`, "requester.email", 422, privaq.EValidation, false},
			{"future receipt", `{"type":"access","requester":{"name":"X"},"received_at":"2099-01-01"}`, "received_at", 422, privaq.EValidation, false},
			{"unknown field", `{"type":"access","requester":{"name":"X"},"priority":"high"}`, "priority", 422, privaq.EValidation, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: staff, body: c.body, invalid: c.invalid}).want(t, c.status, c.code, c.field)
			})
		}
		ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: integration, body: requestJSON}).want(t, 403, privaq.EForbidden, "")
		ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: auditor, body: requestJSON}).want(t, 403, privaq.EForbidden, "")

		res := ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: staff, body: requestJSON})
		res.want(t, http.StatusCreated, "", "")
		got := res.decode(t)
		// Received Wednesday 12 March 2025: due Friday 11 April, end of day.
		if got["reference"] != "REQ-2025-001" || got["status"] != "received" || got["due_at"] != "2025-04-12T03:59:59.999999Z" {
			t.Fatalf("created: got %v %v %v", got["reference"], got["status"], got["due_at"])
		}
		path := ta.orgPath("/requests/" + strconv.FormatInt(int64(got["id"].(float64)), 10))
		ta.do(t, request{method: "POST", path: path + "/answer", token: staff, body: `{"outcome":"granted"}`}).want(t, 409, privaq.EConflict, "")
		ta.do(t, request{method: "POST", path: path + "/answer", token: staff, body: `{"outcome":"refused"}`}).want(t, 422, privaq.EValidation, "reasons.fr")
		ta.do(t, request{method: "POST", path: path + "/verify-identity", token: staff, body: `{"method":"document_seen"}`}).want(t, 200, "", "")
		res = ta.do(t, request{method: "POST", path: path + "/answer", token: staff,
			body: `{"outcome":"refused","reasons":{"fr":"Les renseignements visent un tiers."},"articles":["P 40"]}`})
		res.want(t, 200, "", "")
		if a := res.decode(t); a["status"] != "answered" || len(a["letters"].([]any)) != 2 {
			t.Fatalf("answered: got %v with %d letters", a["status"], len(a["letters"].([]any)))
		}
		res = ta.do(t, request{method: "GET", path: ta.orgPath("/requests?status=answered"), token: auditor})
		res.want(t, 200, "", "")
		if items := res.decode(t)["items"].([]any); len(items) != 1 {
			t.Fatalf("answered list: got %d, want 1", len(items))
		}
		ta.do(t, request{method: "GET", path: ta.orgPath("/requests?status=lost"), token: auditor, invalid: true}).want(t, 422, privaq.EValidation, "status")
		ta.do(t, request{method: "GET", path: ta.orgPath("/requests/stats"), token: auditor}).want(t, 200, "", "")
		ta.do(t, request{method: "GET", path: ta.orgPath("/requests/999999"), token: auditor}).want(t, 404, privaq.ENotFound, "")
		ta.do(t, request{method: "GET", path: ta.orgPath("/requests/abc"), token: auditor, invalid: true}).want(t, 404, privaq.ENotFound, "")
	})
}
