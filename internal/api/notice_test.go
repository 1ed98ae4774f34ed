package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/inventory"
)

func TestNotice(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		get := func(token, path string, invalid ...bool) response {
			t.Helper()
			return ta.do(t, request{method: "GET", path: path, token: token, invalid: len(invalid) > 0})
		}
		path := ta.orgPath("/activities/camp-registration/notice")

		// Every role that reads the inventory gets the notice.
		for _, role := range privaq.Roles {
			get(ta.tokens[role], path).want(t, http.StatusOK, "", "")
		}
		staff := ta.tokens[privaq.RoleStaff]

		res := get(staff, path)
		if ct := res.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("default Content-Type: got %q, want JSON", ct)
		}
		var n struct{ Activity, Lang, Title, HTML, Text string }
		if err := json.Unmarshal(res.body, &n); err != nil {
			t.Fatal(err)
		}
		if n.Activity != "camp-registration" || n.Lang != "fr" || !strings.Contains(n.Title, "Inscription aux camps de jour") {
			t.Errorf("default notice: got activity %q, lang %q, title %q; want camp-registration in French", n.Activity, n.Lang, n.Title)
		}
		if !strings.HasPrefix(n.HTML, `<section class="privaq-notice" lang="fr"`) || !strings.HasPrefix(n.Text, n.Title+"\n") {
			t.Errorf("default notice: got html %.60q and text %.60q", n.HTML, n.Text)
		}
		demo := inventory.Demo()
		for _, want := range []string{"Santé et allergies des enfants", "Nuagique Québec inc.", demo.Officer.Email, "/o/" + ta.a.Slug + "/privacy?lang=fr#purposes"} {
			if !strings.Contains(n.Text, want) {
				t.Errorf("French text lacks %q", want)
			}
		}

		res = get(staff, path+"?lang=en&format=html")
		res.want(t, http.StatusOK, "", "")
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("format=html: got Content-Type %q, want text/html", ct)
		}
		if body := string(res.body); !strings.HasPrefix(body, `<section class="privaq-notice" lang="en"`) || !strings.Contains(body, "Children’s health and allergies") {
			t.Errorf("format=html: got %.120s…, want the English snippet", body)
		}
		res = get(staff, path+"?lang=en&format=json")
		res.want(t, http.StatusOK, "", "")
		if got := res.decode(t)["lang"]; got != "en" {
			t.Errorf("lang=en: got lang %v", got)
		}

		get(staff, path+"?lang=de", true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "lang")
		get(staff, path+"?format=pdf", true).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "format")
		get(staff, ta.orgPath("/activities/no-such-activity/notice")).want(t, http.StatusNotFound, privaq.ENotFound, "")
		// A purpose's key names no activity.
		get(staff, ta.orgPath("/activities/membership/notice")).want(t, http.StatusNotFound, privaq.ENotFound, "")
		// Another tenant's token, and A's token on B's slug, find nothing.
		get(ta.bOfficer, path).want(t, http.StatusNotFound, privaq.ENotFound, "")
		get(staff, "/api/v1/orgs/"+ta.b.Slug+"/activities/camp-registration/notice").want(t, http.StatusNotFound, privaq.ENotFound, "")
		get("", path, true).want(t, http.StatusUnauthorized, privaq.EUnauthorized, "")
	})
}
