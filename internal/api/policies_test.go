package api

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"privaq"
	"privaq/internal/inventory"
)

func decodeText(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	return string(b), err
}

func init() {
	// The policy in one language comes as HTML or Markdown as well.
	for _, mt := range []string{"text/html", "text/markdown"} {
		openapi3filter.RegisterBodyDecoder(mt, decodeText)
	}
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff := ta.tokens[privaq.RoleStaff]
		do := func(method, path, body string, invalid ...bool) response {
			t.Helper()
			r := request{method: method, path: ta.orgPath(path), token: staff, invalid: len(invalid) > 0}
			if body != "" {
				r.body = body
			}
			return ta.do(t, r)
		}

		res := do("POST", "/policies", "")
		res.want(t, http.StatusCreated, "", "")
		sameJSON(t, "first draft", res.body, `{"number":1,"status":"draft","significant":false,"changes":[],"renewal_purposes":[]}`)
		if got := res.header.Get("Location"); got != ta.orgPath("/policies/1") {
			t.Errorf("Location: got %q", got)
		}
		res = do("GET", "/policies/1", "")
		res.want(t, http.StatusOK, "", "")
		detail := res.decode(t)
		pol := detail["policy"].(map[string]any)
		if _, ok := pol["fr"]; !ok || detail["status"] != "draft" {
			t.Errorf("detail: got %s, want a draft with its French policy", res.body)
		}
		for format, want := range map[string]string{"html": "<article", "md": "# ", "json": `"sections"`} {
			res = do("GET", "/policies/1?lang=en&format="+format, "")
			res.want(t, http.StatusOK, "", "")
			if !strings.Contains(string(res.body), want) {
				t.Errorf("format %s: got %.80s…, want %q", format, res.body, want)
			}
		}
		do("GET", "/policies/1?format=pdf", "", true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "format")
		do("GET", "/policies/9", "").want(t, http.StatusNotFound, privaq.ENotFound, "")

		// Nothing is current yet: publishing may be immediate.
		res = do("POST", "/policies/1/publish", `{"summary_of_changes":{"fr":"Première version"}}`)
		res.want(t, http.StatusOK, "", "")
		if got := res.decode(t)["status"]; got != "current" {
			t.Errorf("first publication: got %v, want current", got)
		}
		do("POST", "/policies/1/publish", `{}`).want(t, http.StatusConflict, privaq.EConflict, "")
		do("POST", "/policies/7/publish", `{}`).want(t, http.StatusNotFound, privaq.ENotFound, "")
		do("POST", "/policies/1/publish", `{"effective_at":"2030-01-01T00:00:00Z","x":1}`, true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "x")

		// A new purpose needing consent is significant.
		doc := inventory.Demo()
		for i, a := range doc.Activities {
			if !slices.Contains(a.Purposes, "newsletter") {
				doc.Activities[i].Purposes = append(doc.Activities[i].Purposes, "newsletter")
				break
			}
		}
		if _, err := ta.inv.Replace(context.Background(), privaq.System(ta.a.ID), ta.a.ID, doc); err != nil {
			t.Fatal(err)
		}
		res = do("POST", "/policies", "")
		res.want(t, http.StatusCreated, "", "")
		draft := res.decode(t)
		if draft["number"] != 2.0 || draft["significant"] != true || len(draft["changes"].([]any)) != 1 ||
			!slices.Equal(draft["renewal_purposes"].([]any), []any{"newsletter"}) {
			t.Errorf("second draft: got %s, want number 2, significant, one change, newsletter consents to renew", res.body)
		}

		now := ta.orgs.Clock.Now()
		soon := now.AddDate(0, 0, 10).Format("2006-01-02T15:04:05Z07:00")
		later := now.AddDate(0, 0, 31).Format("2006-01-02T15:04:05Z07:00")
		do("POST", "/policies/2/publish", `{"effective_at":"`+soon+`"}`).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "effective_at")
		do("POST", "/policies/2/publish", `{"editorial":true}`).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "reason")
		res = do("POST", "/policies/2/publish", `{"effective_at":"`+later+`","summary_of_changes":{"fr":"Nouvelle fin","en":"New purpose"}}`)
		res.want(t, http.StatusOK, "", "")
		if got := res.decode(t)["status"]; got != "scheduled" {
			t.Errorf("publication with notice: got %v, want scheduled", got)
		}
		res = do("GET", "/policies", "")
		res.want(t, http.StatusOK, "", "")
		var got []string
		for _, it := range res.decode(t)["items"].([]any) {
			got = append(got, it.(map[string]any)["status"].(string))
		}
		if want := []string{"scheduled", "current"}; !slices.Equal(got, want) {
			t.Errorf("statuses: got %v, want %v", got, want)
		}

		// Auditors read, and cannot write.
		auditor := request{method: "POST", path: ta.orgPath("/policies"), token: ta.tokens[privaq.RoleAuditor]}
		ta.do(t, auditor).want(t, http.StatusForbidden, privaq.EForbidden, "")
		auditor.method, auditor.path = "GET", ta.orgPath("/policies/2")
		ta.do(t, auditor).want(t, http.StatusOK, "", "")
	})
}
