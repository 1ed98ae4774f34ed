package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"privaq"
)

// TestBannerConfig reads and changes the banner's settings through the
// API, as a website's integration does (SPEC §3, §8).
func TestBannerConfig(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		path := ta.orgPath("/banner")
		integration := ta.tokens[privaq.RoleIntegration]
		read := func(token string) (v struct {
			Revision, Script, Snippet string
			Asks                      bool
			Categories, Purposes      []string
			Settings, Effective       map[string]any
		}) {
			t.Helper()
			res := ta.do(t, request{method: "GET", path: path, token: token})
			res.want(t, http.StatusOK, "", "")
			if err := json.Unmarshal(res.body, &v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := read(integration)
		if !before.Asks || len(before.Categories) == 0 || len(before.Purposes) != len(before.Categories) {
			t.Fatalf("demo banner: %+v, want the categories it asks about", before)
		}
		if !strings.HasSuffix(before.Script, "/o/"+ta.a.Slug+"/banner.js") || !strings.Contains(before.Snippet, before.Script) {
			t.Errorf("script %q, snippet %q", before.Script, before.Snippet)
		}
		for i, c := range before.Categories {
			if before.Purposes[i] != "cookies."+c {
				t.Errorf("purpose of %s: %s", c, before.Purposes[i])
			}
		}
		if before.Effective["position"] != "bottom" {
			t.Errorf("default position: %v", before.Effective["position"])
		}

		// An integration changes the settings: the revision changes.
		put := func(token, body string, invalid ...bool) response {
			t.Helper()
			return ta.do(t, request{method: "PUT", path: path, token: token, body: body, invalid: len(invalid) > 0})
		}
		put(integration, `{"position":"center","reconsent_months":6}`).want(t, http.StatusOK, "", "")
		after := read(ta.tokens[privaq.RoleAuditor])
		if after.Revision == before.Revision || after.Settings["position"] != "center" || after.Effective["reconsent_months"] != float64(6) {
			t.Errorf("after PUT: %+v (before: revision %s)", after, before.Revision)
		}

		// Bad input changes nothing and names the field.
		put(integration, `{"text":"#ffffff","background":"#fefefe"}`).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "text")
		put(integration, `{"position":"top"}`, true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "position")
		put(integration, `{"colour":"#000000"}`, true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "colour")
		if got := read(integration); got.Revision != after.Revision {
			t.Errorf("a refused PUT changed the revision: %s → %s", after.Revision, got.Revision)
		}
		// Auditors read only; another organization's token sees nothing.
		put(ta.tokens[privaq.RoleAuditor], `{}`).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "GET", path: path, token: ta.bOfficer}).want(t, http.StatusNotFound, privaq.ENotFound, "")
	})
}
