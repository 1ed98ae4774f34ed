package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"privaq"
	"privaq/internal/browsertest"
	"privaq/internal/mail"
	"privaq/internal/mail/mailtest"
	"privaq/internal/store/storetest"
)

// TestBrowserIncident is the scenario in Chromium: the officer
// declares an incident, assesses it serious, completes the notices,
// previews them, imports the people concerned from a CSV file, sends the
// notices (delivered to an in-process SMTP server) and follows each
// delivery; axe-core audits every page on the way.
func TestBrowserIncident(t *testing.T) {
	chrome := browsertest.Start(t, browserTimeout)
	script := browsertest.AxeScript(t)
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			shots := ""
			if e.Name != storetest.Engines[0].Name {
				shots = e.Name + "/"
			}
			st := newBrowserStack(t, e.URL(t), shots)
			browserIncident(t, browsertest.Tab(t, chrome), st, script)
		})
	}
}

func browserIncident(t *testing.T, ctx context.Context, st *browserStack, script string) {
	browsertest.ShotOnFailure(t, ctx)
	audit := func(name string) {
		t.Helper()
		if lang := browserLang(t, ctx); lang != "fr" && lang != "en" {
			t.Fatalf("%s: <html lang> %q", name, lang)
		}
		browsertest.Audit(t, ctx, script, name)
	}
	text := func(what, sel string) string {
		t.Helper()
		return browsertest.Run(t, ctx, what, chromedp.Text(chromedp.CSS(sel)))
	}
	click := func(what, sel string, want int) string {
		t.Helper()
		status, url := browsertest.Response(t, ctx, what, chromedp.Click(chromedp.CSS(sel)))
		if status != want {
			t.Fatalf("%s: got status %d at %s, want %d", what, status, url, want)
		}
		return url
	}
	browserLogin(t, ctx, st, "fr")

	click("open the register", `nav.side a[href$="/incidents"]`, http.StatusOK)
	if got := text("read the title", "main h1"); got != "Incidents de confidentialité" {
		t.Fatalf("register title: got %q", got)
	}
	audit("incidents-empty")
	click("open the declaration", `main a.button[href$="/incidents/new"]`, http.StatusOK)
	audit("incident-declare")

	// Declared an hour ago, it happened the day before, Quebec time.
	loc, err := time.LoadLocation("America/Toronto")
	if err != nil {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	browsertest.Do(t, ctx, "fill the declaration",
		chromedp.Click(chromedp.ID("f-kind-unauthorized_access")),
		chromedp.SendKeys(chromedp.ID("f-description"), "Accès au dossier d’une famille par un bénévole non autorisé."),
		chromedp.SetValue(chromedp.ID("f-occurred_from"), now.AddDate(0, 0, -1).Format("2006-01-02")),
		chromedp.SetValue(chromedp.ID("f-discovered_at"), now.Add(-time.Hour).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.ID("f-data_categories-identity")),
		chromedp.Click(chromedp.ID("f-data_categories-household")),
		chromedp.SendKeys(chromedp.ID("f-people_count"), "3"),
		chromedp.SendKeys(chromedp.ID("f-people_in_quebec"), "3"),
		chromedp.Click(chromedp.ID("f-systems-crm")),
	)
	url := click("declare", `main form.incident-form button[type=submit]`, http.StatusOK)
	if !strings.Contains(url, "/incidents/1?declared=INC-") {
		t.Fatalf("after declaring: at %s, want the incident's page", url)
	}
	if got := text("read the flash", "main .flash"); !strings.Contains(got, "déclaré") {
		t.Errorf("flash: got %q", got)
	}
	audit("incident-declared")

	browsertest.Do(t, ctx, "assess",
		chromedp.Click(chromedp.ID("f-sensitivity-high")),
		chromedp.Click(chromedp.ID("f-consequences-high")),
		chromedp.Click(chromedp.ID("f-likelihood-medium")),
		chromedp.Click(chromedp.ID("f-serious-yes")),
		chromedp.SendKeys(chromedp.ID("f-grounds"), "Situation familiale consultée sans droit ; risque d’atteinte à la réputation."),
	)
	click("save the assessment", `main form.assess-form button[type=submit]`, http.StatusOK)
	if got := text("read the conclusion", "#assessment .card strong"); got != "Risque de préjudice sérieux" {
		t.Errorf("conclusion: got %q", got)
	}
	if got := text("read the missing items", "#notices .alert"); !strings.Contains(got, "Élément 10") {
		t.Errorf("CAI notice before the measures: got %q, want item 10 missing", got)
	}
	audit("incident-assessed")

	click("complete", `main a.button[href$="/edit"]`, http.StatusOK)
	area := func(name string) chromedp.CSS { return chromedp.CSS(`textarea[name="` + name + `"]`) }
	browsertest.Do(t, ctx, "complete the notices",
		chromedp.SendKeys(chromedp.ID("f-measures"), "Accès du bénévole retiré ; rappel des règles à l’équipe."),
		chromedp.SendKeys(chromedp.ID("f-notification_plan"), "Courriel à chaque famille dès aujourd’hui ; lettre aux autres."),
		chromedp.SendKeys(area("person_notice.circumstances.fr"), "Un bénévole a consulté votre dossier sans autorisation."),
		chromedp.SendKeys(area("person_notice.circumstances.en"), "A volunteer viewed your file without authorization."),
		chromedp.SendKeys(area("person_notice.measures.fr"), "Nous lui avons retiré tout accès."),
		chromedp.SendKeys(area("person_notice.measures.en"), "We removed all their access."),
		chromedp.SendKeys(area("person_notice.advice.fr"), "Communiquez avec nous si quelqu’un vous contacte à ce sujet."),
		chromedp.SendKeys(area("person_notice.advice.en"), "Contact us if anyone reaches out to you about it."),
	)
	audit("incident-edit")
	click("save", `main form.incident-form button[type=submit]`, http.StatusOK)
	cai := browsertest.Run(t, ctx, "read the CAI notice", chromedp.Value(chromedp.ID("cai-text")))
	for _, want := range []string{"Avis à la Commission d’accès à l’information", "3. Description des renseignements personnels visés",
		"Identité et coordonnées, Situation familiale et socioéconomique", "Accès du bénévole retiré"} {
		if !strings.Contains(cai, want) {
			t.Errorf("CAI notice lacks %q", want)
		}
	}
	if got := text("read the French preview", "#preview-fr pre"); !strings.Contains(got, "Bonjour [nom de la personne],") ||
		!strings.Contains(got, "Un bénévole a consulté votre dossier sans autorisation.") {
		t.Errorf("French preview: got %q", got)
	}
	browsertest.Do(t, ctx, "open the English preview", chromedp.Click(chromedp.CSS("#preview-en summary")))
	if got := text("read the English preview", "#preview-en pre"); !strings.Contains(got, "Hello [name of the person],") {
		t.Errorf("English preview: got %q", got)
	}
	browserShot(t, ctx, st, "incident-notices")
	audit("incident-notices")

	csv := filepath.Join(t.TempDir(), "familles.csv")
	if err := os.WriteFile(csv, []byte("nom;courriel;langue\nÉmilie Côté;emilie@example.org;fr\nJohn Smith;john@example.org;en\nGaétan Roy;;fr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{csv}))
	click("check the file", `main form.upload button[type=submit]`, http.StatusOK)
	if got := text("read the preview", "main .intro"); !strings.Contains(got, "compte 3 personnes, dont 2 avec un courriel") {
		t.Errorf("import preview: got %q", got)
	}
	audit("people-preview")
	click("import", `main form button[type=submit]`, http.StatusOK)
	if got := text("read the flash", "main .flash"); !strings.Contains(got, "3 personnes importées") {
		t.Errorf("after importing: flash %q", got)
	}
	click("send the notices", `main form[action$="/send"] button[type=submit]`, http.StatusOK)
	if got := text("read the letters", "main table"); !strings.Contains(got, "Gaétan Roy") {
		t.Errorf("letters to post: got %q", got)
	}
	browserShot(t, ctx, st, "incident-sent")
	audit("notices-sent")

	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.URL(), "privaq@example.test")
	if err != nil {
		t.Fatal(err)
	}
	w := &mail.Worker{Store: st.site.db, Sender: sender, Clock: privaq.SystemClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := w.RunOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("mail worker: got %d sent, %v", n, err)
	}
	for _, m := range srv.Wait(t, 2) {
		switch m.To[0] {
		case "emilie@example.org":
			if !strings.Contains(m.Body, "Bonjour Émilie Côté,") || !strings.Contains(m.Body, "Nous lui avons retiré tout accès.") {
				t.Errorf("French notice:\n%s", m.Body)
			}
		case "john@example.org":
			if !strings.Contains(m.Body, "Hello John Smith,") || !strings.Contains(m.Body, "We removed all their access.") {
				t.Errorf("English notice:\n%s", m.Body)
			}
		default:
			t.Errorf("notice to %v", m.To)
		}
	}
	browsertest.Do(t, ctx, "open the people", chromedp.Navigate(st.org("incidents/1/people")))
	if got := text("read the deliveries", "main table"); strings.Count(got, "Courriel envoyé") != 2 || !strings.Contains(got, "Lettre à poster") {
		t.Errorf("deliveries: got %q", got)
	}
	audit("people-list")

	for _, lang := range []string{"fr", "en"} {
		browsertest.Do(t, ctx, "open the register", chromedp.Navigate(st.org("incidents?status=open&lang="+lang)))
		if got := text("read the register", "main table"); !strings.Contains(got, "INC-") {
			t.Errorf("register (%s): got %q", lang, got)
		}
		audit("incidents-" + lang)
		browsertest.Do(t, ctx, "open the incident", chromedp.Navigate(st.org("incidents/1?lang="+lang)))
		audit("incident-" + lang)
	}
	browsertest.Do(t, ctx, "open the dashboard", chromedp.Navigate(st.org("?lang=fr")))
	if got := text("read the incidents card", "#h-dash-incidents + p, main"); !strings.Contains(got, "1 incident ouvert") {
		t.Errorf("dashboard: want the open incident counted")
	}
	browserShot(t, ctx, st, "dashboard-incidents")
}
