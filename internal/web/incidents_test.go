package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// incidentForm is a declaration as a staff member fills it in, dated a
// few days before now in Quebec time.
func incidentForm(tok string) url.Values {
	loc, err := time.LoadLocation("America/Toronto")
	if err != nil {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	return url.Values{"_csrf": {tok}, "kind": {"unauthorized_communication"},
		"description":     {"Liste des élèves du camp d’été envoyée par erreur à « tous les parents »."},
		"occurred_from":   {now.AddDate(0, 0, -3).Format("2006-01-02")},
		"discovered_at":   {now.Add(-2 * time.Hour).Format("2006-01-02T15:04")},
		"data_categories": {"identity", "child-health"}, "people_count": {"1 200"}, "people_in_quebec": {"1100"},
		"systems": {"crm"}, "caused_by": {"nuagique"}}
}

// upload posts a file as the form's "file" field.
func (b *browser) upload(path, tok, name string, data []byte) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", tok)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, body, _ := b.do(req)
	return code, body
}

var hiddenCSV = regexp.MustCompile(`name="csv" value="([^"]*)"`)

// TestIncidentPages declares an incident as staff, then assesses,
// completes and notifies it as the officer, through the pages.
func TestIncidentPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		staff := s.browser(t)
		staff.login("staff@demo.test")
		tok := staff.csrf("/admin/o/demo/incidents/new")

		bad := incidentForm(tok)
		bad.Set("description", "")
		bad.Set("people_count", "beaucoup")
		code, body, _ := staff.post("/admin/o/demo/incidents/new", bad)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Décrivez les circonstances de l’incident.") ||
			!strings.Contains(body, "Un nombre entier est requis.") || !strings.Contains(body, `value="beaucoup"`) {
			t.Fatalf("bad declaration: got %d, want 422 with French errors and the values kept", code)
		}
		code, _, h := staff.post("/admin/o/demo/incidents/new", incidentForm(tok))

		if loc := h.Get("Location"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/o/demo/incidents/1?declared=INC-") {
			t.Fatalf("declare: got %d to %q", code, loc)
		}
		page := "/admin/o/demo/incidents/1"
		if code, body := staff.get(page); code != http.StatusOK || !strings.Contains(body, "1\u00a0200, dont 1\u00a0100 au Québec") ||
			!strings.Contains(body, "Nuagique Québec inc.") || !strings.Contains(body, "L’incident n’est pas encore évalué.") {
			t.Fatalf("incident page as staff: got %d", code)
		}
		if code, _, _ := staff.post(page+"/assess", url.Values{"_csrf": {tok}, "sensitivity": {"high"}}); code != http.StatusForbidden {
			t.Errorf("staff assesses: got %d, want 403", code)
		}

		officer := s.browser(t)
		officer.login("officer@demo.test")
		otok := officer.csrf(page)
		code, body, _ = officer.post(page+"/assess", url.Values{"_csrf": {otok}, "sensitivity": {"high"}, "consequences": {"medium"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Concluez\u00a0: y a-t-il un risque de préjudice sérieux") {
			t.Errorf("incomplete assessment: got %d, want 422 asking for the conclusion", code)
		}
		if code, _, _ := officer.post(page+"/assess", url.Values{"_csrf": {otok}, "sensitivity": {"high"}, "consequences": {"medium"},
			"likelihood": {"medium"}, "serious": {"yes"}, "grounds": {"Renseignements d’enfants communiqués à des tiers."}}); code != http.StatusSeeOther {
			t.Fatalf("assess: got %d", code)
		}
		_, body = officer.get(page)
		for _, want := range []string{"Lecture de privaq : avec ces facteurs, le risque paraît sérieux", "L’avis ne peut pas être préparé",
			"Élément 10 de l’avis (Règlement, art. 3)", "Rédigez les circonstances de l’avis aux personnes concernées en français."} {
			if !strings.Contains(body, strings.ReplaceAll(want, " :", "\u00a0:")) {
				t.Errorf("after the assessment, the page lacks %q", want)
			}
		}

		edit := incidentForm(otok)
		edit.Set("measures", "Rappel du courriel ; demande de suppression.")
		edit.Set("notification_plan", "Courriel à chaque parent ; lettre aux autres.")
		for k, v := range map[string]string{"circumstances": "Un courriel a été envoyé par erreur.", "measures": "Nous avons demandé la suppression.",
			"advice": "Méfiez-vous des courriels frauduleux."} {
			edit.Set("person_notice."+k+".fr", v)
			edit.Set("person_notice."+k+".en", "In English: "+k)
		}
		if code, _, _ := officer.post(page+"/edit", edit); code != http.StatusSeeOther {
			t.Fatalf("complete: got %d", code)
		}
		_, body = officer.get(page)
		for _, want := range []string{"Avis à la Commission d’accès à l’information — incident de confidentialité", "10. Mesures que l’organisation a prises",
			"Bonjour [nom de la personne],", "Hello [name of the person],", "Incident complété ou corrigé"} {
			if !strings.Contains(body, want) {
				t.Errorf("completed incident page lacks %q", want)
			}
		}
		if code, _, h := officer.do(mustGet(officer.base + page + "/cai.pdf?in=fr")); code != http.StatusOK || h.Get("Content-Type") != "application/pdf" {
			t.Errorf("CAI PDF: got %d %s", code, h.Get("Content-Type"))
		}

		csv := "nom;courriel;langue\nÉmilie Côté;emilie@example.org;fr\nJohn Smith;john@example.org;en\nGaétan Roy;;fr\n"
		code, body = officer.upload(page+"/people/upload", otok, "parents.csv", []byte("nom;courriel\nAnne;anne@@x\n"))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Ligne 2\u00a0: «\u00a0anne@@x\u00a0» n’est pas une adresse courriel.") {
			t.Errorf("bad CSV: got %d", code)
		}
		code, body = officer.upload(page+"/people/upload", otok, "parents.csv", []byte(csv))
		m := hiddenCSV.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil || !strings.Contains(body, "compte 3 personnes, dont 2 avec un courriel") {
			t.Fatalf("CSV preview: got %d", code)
		}
		if code, _, _ := officer.post(page+"/people/confirm", url.Values{"_csrf": {otok}, "csv": {htmlUnescape(m[1])}}); code != http.StatusSeeOther {
			t.Fatalf("confirm: got %d", code)
		}
		code, body, _ = officer.post(page+"/send", url.Values{"_csrf": {otok}})
		if code != http.StatusOK || !strings.Contains(body, "2 courriels mis en file d’envoi, 1 lettres à poster") || !strings.Contains(body, "Gaétan Roy") {
			t.Fatalf("send: got %d", code)
		}
		if _, body := officer.get(page + "/people"); !strings.Contains(body, "Courriel en attente") || !strings.Contains(body, "Lettre à poster") {
			t.Errorf("people page: want each person's delivery")
		}
		if _, body := officer.get("/admin/o/demo/mail"); !strings.Contains(body, "Avis d’incident de confidentialité") || missingKeyRE.MatchString(body) {
			t.Errorf("outbox page: want the notices named, and no missing text")
		}

		if _, body := officer.get("/admin/o/demo/incidents?status=open&serious=yes"); !strings.Contains(body, "INC-") || !strings.Contains(body, "Commission à aviser") {
			t.Errorf("filtered register: want the incident and its notice due")
		}
		if _, body := officer.get("/admin/o/demo/incidents?serious=no"); !strings.Contains(body, "Aucun incident ne correspond.") {
			t.Errorf("register filtered on not serious: want none")
		}
		code, body, h = officer.do(mustGet(officer.base + "/admin/o/demo/incidents/export?format=csv&in=fr"))
		if code != http.StatusOK || !strings.HasPrefix(body, "Référence,") || !strings.Contains(h.Get("Content-Disposition"), "registre-incidents-demo-") ||
			!strings.Contains(body, "INC-") {
			t.Errorf("export: got %d %q", code, h.Get("Content-Disposition"))
		}
		code, body, _ = officer.post(page+"/delete", url.Values{"_csrf": {otok}})
		if code != http.StatusConflict || !strings.Contains(body, "pourra être supprimé à compter du") {
			t.Errorf("delete within five years: got %d", code)
		}
		if _, body := officer.get("/admin/o/demo/"); !strings.Contains(body, "1 incident ouvert") {
			t.Errorf("dashboard: want the open incident counted")
		}
		if _, body := officer.get("/admin/o/demo/audit"); !strings.Contains(body, "incident.read") || !strings.Contains(body, "incident.people.read") {
			t.Errorf("audit log: want the reads of the incident")
		}

		// The incident pages in both languages, without a missing text.
		for _, lang := range []string{"fr", "en"} {
			for _, p := range []string{"/admin/o/demo/incidents", "/admin/o/demo/incidents/new", page, page + "/edit", page + "/people"} {
				code, body := officer.get(p + "?lang=" + lang)
				if code != http.StatusOK {
					t.Errorf("%s (%s): got %d", p, lang, code)
				}
				if k := missingKeyRE.FindString(body); k != "" {
					t.Errorf("%s (%s): missing catalog key %s", p, lang, k)
				}
			}
		}

		// Another organization's officer finds nothing.
		out := s.browser(t)
		out.login("outsider@other.test")
		for _, p := range []string{"/admin/o/demo/incidents", page, page + "/people", page + "/cai.pdf", "/admin/o/demo/incidents/export"} {
			if code, body := out.get(p); code != http.StatusNotFound || strings.Contains(body, "INC-") {
				t.Errorf("%s from another organization: got %d, want 404", p, code)
			}
		}
		if _, body := officer.get("/admin/o/demo/inventory/recipients?lang=fr"); !strings.Contains(body, "un mandataire (rôle «\u00a0mandataire\u00a0») doit aviser sans délai") {
			t.Errorf("recipients page: want the processors' reminder")
		}
	})
}

func mustGet(u string) *http.Request {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// htmlUnescape reads back an attribute value as the browser sends it.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+", "&amp;", "&").Replace(s)
}
