package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/incident"
	"privaq/internal/pdfdoc/pdftest"
)

// declarationJSON is a declaration valid against the demo inventory, at
// the test clock (2025-03-14).
const declarationJSON = `{"kind":"unauthorized_access","occurred_from":"2025-03-10","occurred_to":"2025-03-11T18:00:00-04:00",
	"discovered_at":"2025-03-12T09:00:00-04:00","description":"Accès au CRM avec le mot de passe d’une employée hameçonnée.",
	"data_categories":["identity","household"],"people_count":250,"people_in_quebec":240,"people_approximate":true,
	"systems":["crm"],"recipients":["nuagique"],"caused_by":"nuagique","measures":"Mots de passe réinitialisés ; double authentification.",
	"notification_plan":"Courriels le 14 mars ; lettres ensuite.",
	"person_notice":{"circumstances":{"fr":"Un tiers a accédé à notre base de membres.","en":"A third party accessed our member database."},
		"measures":{"fr":"Nous avons bloqué l’accès.","en":"We blocked the access."},
		"advice":{"fr":"Méfiez-vous des appels frauduleux.","en":"Beware of fraudulent calls."}}}`

const assessmentJSON = `{"sensitivity":"high","consequences":"high","likelihood":"medium","serious":true,"grounds":"Situation familiale exposée ; risque de fraude."}`

const peopleCSV = "name,email,lang\nÉmilie Côté,emilie@example.org,fr\nJohn Smith,john@example.org,en\nGaétan Roy,,fr\n"

// incidentBody is a valid body for an incident route of TestTenancy.
func incidentBody(rest string) (body any, contentType string) {
	switch {
	case rest == "/incidents":
		return declarationJSON, ""
	case rest == "/incident-settings":
		return `{"overdue_hours":48,"neq":"1234567890"}`, ""
	case strings.HasSuffix(rest, "/assessments"):
		return assessmentJSON, ""
	case strings.HasSuffix(rest, "/disclosures"):
		return `{"recipient":"Banque Laurentienne","information":"Noms des membres","reason":"Surveiller la fraude"}`, ""
	case strings.HasSuffix(rest, "/people"):
		return peopleCSV, "text/csv"
	case strings.HasSuffix(rest, "/send"):
		return nil, ""
	case strings.HasSuffix(rest, "/posted"):
		return `{"posted_at":"2025-03-14"}`, ""
	}
	return `{"measures":"Mots de passe réinitialisés ; double authentification ; audit."}`, "" // PATCH
}

// incidentOfA returns the id of an incident of organization A, assessed
// serious, with a complete notice and its people, creating it the first
// time (for the routes with {incident} in TestTenancy).
func (ta *testAPI) incidentOfA(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	incs, err := ta.db.Incidents(ctx, ta.a.ID, incident.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) > 0 {
		return strconv.FormatInt(int64(incs[len(incs)-1].ID), 10)
	}
	res := ta.do(t, request{method: "POST", path: ta.orgPath("/incidents"), token: ta.tokens[privaq.RoleStaff], body: declarationJSON})
	res.want(t, http.StatusCreated, "", "")
	id := strconv.FormatInt(int64(res.decode(t)["id"].(float64)), 10)
	ta.do(t, request{method: "POST", path: ta.orgPath("/incidents/" + id + "/assessments"), token: ta.tokens[privaq.RoleOfficer], body: assessmentJSON}).
		want(t, http.StatusCreated, "", "")
	ta.do(t, request{method: "POST", path: ta.orgPath("/incidents/" + id + "/people"), token: ta.tokens[privaq.RoleOfficer], body: peopleCSV, contentType: "text/csv"}).
		want(t, http.StatusCreated, "", "")
	return id
}

// TestIncidentsAPI goes through an incident's life by the API, every
// request and response checked against the OpenAPI document.
func TestIncidentsAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		officer, staff, auditor := ta.tokens[privaq.RoleOfficer], ta.tokens[privaq.RoleStaff], ta.tokens[privaq.RoleAuditor]
		base := ta.orgPath("/incidents")

		res := ta.do(t, request{method: "POST", path: base, token: staff, body: `{"kind":"theft","occurred_from":"10/03/2025","discovered_at":"2025-03-12",
			"description":"x","data_categories":["dna"]}`, invalid: true})
		res.want(t, http.StatusUnprocessableEntity, privaq.EValidation, "kind")
		var e struct{ Error errorBody }
		json.Unmarshal(res.body, &e)
		var got []string
		for _, d := range e.Error.Details {
			got = append(got, d.Field)
		}
		if strings.Join(got, ",") != "kind,occurred_from,data_categories[0]" {
			t.Errorf("details: got %v", got)
		}
		ta.do(t, request{method: "POST", path: base, token: ta.tokens[privaq.RoleIntegration], body: declarationJSON}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "POST", path: base, token: staff, body: `{"kind":"loss","surprise":1}`, invalid: true}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "surprise")

		res = ta.do(t, request{method: "POST", path: base, token: staff, body: declarationJSON})
		res.want(t, http.StatusCreated, "", "")
		inc := res.decode(t)
		one := base + "/" + strconv.FormatInt(int64(inc["id"].(float64)), 10)
		if res.header.Get("Location") != one || inc["reference"] != "INC-2025-001" || inc["declared_by"] != "token: "+tokenName(privaq.RoleStaff) ||
			inc["people"].(map[string]any)["imported"] != 0.0 || inc["elapsed_hours"] != 44.0 {
			t.Errorf("declared: Location %q, %s", res.header.Get("Location"), res.body)
		}

		ta.do(t, request{method: "PATCH", path: one, token: staff, body: `{"measures":"x"}`}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "PATCH", path: one, token: officer, body: `{"color":"red"}`, invalid: true}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "color")
		res = ta.do(t, request{method: "PATCH", path: one, token: officer, body: `{"people_count":300,"occurred_to":null,"caused_by":null}`})
		res.want(t, http.StatusOK, "", "")
		inc = res.decode(t)
		history := inc["history"].([]any)
		last := history[len(history)-1].(map[string]any)
		if inc["people_count"] != 300.0 || inc["occurred_to"] != nil || inc["caused_by"] != "" || last["action"] != "updated" || len(last["changes"].([]any)) != 3 {
			t.Errorf("patched: %s", res.body)
		}

		cai := one + "/notices/cai"
		res = ta.do(t, request{method: "GET", path: cai, token: auditor})
		res.want(t, http.StatusUnprocessableEntity, privaq.EValidation, "assessment")
		if !strings.Contains(string(res.body), "item 8 of the notice") {
			t.Errorf("refusal: %s", res.body)
		}
		ta.do(t, request{method: "POST", path: one + "/assessments", token: staff, body: assessmentJSON}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "POST", path: one + "/assessments", token: officer, body: assessmentJSON}).want(t, http.StatusCreated, "", "")
		res = ta.do(t, request{method: "GET", path: cai, token: auditor})
		res.want(t, http.StatusOK, "", "")
		if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || !strings.Contains(string(res.body), "7. Nombre de personnes concernées") ||
			!strings.Contains(string(res.body), "300, dont 240 au Québec (estimation)") {
			t.Errorf("CAI text (%s):\n%s", ct, res.body)
		}
		res = ta.do(t, request{method: "GET", path: cai + "?format=pdf&lang=en", token: auditor})
		res.want(t, http.StatusOK, "", "")
		if text := pdfText(t, res.body); !strings.Contains(text, "Notice to the Commission d'accès à l'information") || !strings.Contains(text, "household") &&
			!strings.Contains(text, "Family and socio-economic situation") {
			t.Errorf("CAI PDF text:\n%s", text)
		}
		ta.do(t, request{method: "GET", path: cai + "?format=docx", token: auditor, invalid: true}).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "format")

		people := one + "/people"
		res = ta.do(t, request{method: "POST", path: people, token: officer, body: "name,email\nAnne,anne@@x\nBob,bob@example.org\n,c@example.org\n", contentType: "text/csv"})
		res.want(t, http.StatusUnprocessableEntity, privaq.EValidation, "csv")
		json.Unmarshal(res.body, &e)
		if len(e.Error.Details) != 3 || e.Error.Details[1].Field != "line[2].email" || e.Error.Details[2].Field != "line[4].name" {
			t.Errorf("bad CSV: %s", res.body)
		}
		ta.do(t, request{method: "POST", path: people, token: officer, body: peopleCSV, contentType: "application/json", invalid: true}).
			want(t, http.StatusUnsupportedMediaType, privaq.EUnsupportedType, "")
		res = ta.do(t, request{method: "POST", path: people, token: officer, body: peopleCSV, contentType: "text/csv"})
		res.want(t, http.StatusCreated, "", "")
		sameJSON(t, "import", res.body, `{"imported":3}`)

		res = ta.do(t, request{method: "GET", path: one + "/notices/persons?lang=en", token: staff})
		res.want(t, http.StatusOK, "", "")
		if p := res.decode(t); !strings.Contains(p["text"].(string), "Hello [name of the person],") {
			t.Errorf("preview: %s", res.body)
		}
		res = ta.do(t, request{method: "POST", path: one + "/notices/persons/send", token: officer})
		res.want(t, http.StatusOK, "", "")
		sent := res.decode(t)
		byPost := sent["by_post"].([]any)
		if sent["emails_queued"] != 2.0 || sent["letters_to_post"] != 1.0 || len(byPost) != 1 || byPost[0].(map[string]any)["name"] != "Gaétan Roy" {
			t.Errorf("send: %s", res.body)
		}
		res = ta.do(t, request{method: "GET", path: people, token: auditor})
		res.want(t, http.StatusOK, "", "")
		if items := res.decode(t)["items"].([]any); len(items) != 3 || items[0].(map[string]any)["notice"].(map[string]any)["state"] != "queued" {
			t.Errorf("people: %s", res.body)
		}
		ta.do(t, request{method: "DELETE", path: people, token: officer}).want(t, http.StatusConflict, privaq.EConflict, "")
		ta.do(t, request{method: "POST", path: one + "/notices/persons/posted", token: officer, body: `{}`}).want(t, http.StatusOK, "", "")

		res = ta.do(t, request{method: "GET", path: base + "?open=true&serious=true&from=2025-03-01", token: auditor})
		res.want(t, http.StatusOK, "", "")
		if items := res.decode(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["serious"] != true {
			t.Errorf("filtered list: %s", res.body)
		}
		res = ta.do(t, request{method: "GET", path: base + "?serious=false", token: auditor})
		if items := res.decode(t)["items"].([]any); len(items) != 0 {
			t.Errorf("serious=false: got %d incidents, want 0", len(items))
		}
		ta.do(t, request{method: "GET", path: base + "?open=maybe", token: auditor, invalid: true}).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "open")

		res = ta.do(t, request{method: "GET", path: base + "/export", token: auditor})
		res.want(t, http.StatusOK, "", "")
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		if err != nil || len(rows) != 2 || len(rows[0]) != len(incident.Columns) || rows[1][0] != "INC-2025-001" || rows[1][6] != "oui" {
			t.Errorf("export CSV: %v\n%s", err, res.body)
		}
		if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename="registre-incidents-alpha-20250314.csv"` {
			t.Errorf("Content-Disposition: %q", cd)
		}
		res = ta.do(t, request{method: "GET", path: base + "/export?format=pdf&lang=en", token: auditor})
		res.want(t, http.StatusOK, "", "")
		if text := pdfText(t, res.body); !strings.Contains(text, "Register of confidentiality incidents") || !strings.Contains(text, "INC-2025-001") {
			t.Errorf("export PDF:\n%s", text)
		}

		ta.do(t, request{method: "DELETE", path: one, token: officer}).want(t, http.StatusConflict, privaq.EConflict, "")
		ta.do(t, request{method: "GET", path: base, token: ta.tokens[privaq.RoleIntegration]}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "GET", path: base + "/999999", token: officer}).want(t, http.StatusNotFound, privaq.ENotFound, "")

		res = ta.do(t, request{method: "PUT", path: ta.orgPath("/incident-settings"), token: officer, body: `{"overdue_hours":24,"neq":"1143000001"}`})
		res.want(t, http.StatusOK, "", "")
		res = ta.do(t, request{method: "GET", path: one, token: auditor})
		if inc := res.decode(t); inc["overdue"] != true {
			t.Errorf("overdue after 44 h with a 24 h delay: %v", inc["overdue"])
		}
		es, err := ta.db.ListAudit(context.Background(), ta.a.ID, audit.Filter{Limit: 100, Action: "incident."})
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, e := range es {
			if e.Action == "incident.read" && e.Actor == "token: "+tokenName(privaq.RoleAuditor) {
				reads++
			}
		}
		if reads != 1 {
			t.Errorf("audited reads of the incident by the auditor: got %d, want 1", reads)
		}
	})
}

// pdfText is a PDF's text, flat (pdftest reads it with pdftotext).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	text, _ := pdftest.Text(t, pdf)
	return pdftest.Flat(text)
}
