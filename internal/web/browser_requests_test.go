package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"privaq"
	"privaq/internal/api"
	"privaq/internal/browsertest"
	"privaq/internal/connector"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/mail/mailtest"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/public"
	"privaq/internal/rights"
	"privaq/internal/server"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
	"privaq/internal/web"
	"privaq/internal/webhook"
)

// rightsStack is the whole instance as cmd/privaq serve wires it: the
// admin pages, the public pages and the API under one server whose URL is
// the base of every link in the emails, with the mail worker delivering
// the outbox to an in-process SMTP server, and the sample shop as the
// database a connector may reach.
type rightsStack struct {
	url    string
	db     *store.DB
	org    org.Org
	rights *rights.Service
	smtp   *mailtest.Server
	shop   string // the sample shop's SQLite file, in the connectors' directory
}

func newRightsStack(t *testing.T) *rightsStack {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, "")
	log := slog.New(slog.NewTextHandler(testLogWriter(t), nil))
	// Listen first: the base URL goes into the services.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	clock := privaq.SystemClock{}
	wake := mail.NewWake()
	orgs := &org.Service{Store: db, Clock: clock}
	inv := &inventory.Service{Store: db}
	pol := &policy.Service{Store: db, Subscribers: db, Inventory: inv, Clock: clock, BaseURL: base, Wake: wake}
	writer := consent.NewWriter(db, clock, log)
	wctx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); writer.Run(wctx) }()
	t.Cleanup(func() { stopWriter(); <-writerDone })
	cons := &consent.Service{Store: db, Writer: writer, Sources: db, Audit: db, Clock: clock}
	shopDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(shopDir, browserOrg), 0o700); err != nil {
		t.Fatal(err)
	}
	shop := filepath.Join(shopDir, browserOrg, "boutique.db")
	if err := connector.CreateSample(ctx, shop); err != nil {
		t.Fatal(err)
	}
	requests := &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: clock, BaseURL: base, Wake: wake, SQLiteDir: shopDir}
	pub, err := public.New(public.Config{OrgStore: db, Policies: pol, Ledger: cons, Log: log, BaseURL: base, Rights: requests})
	if err != nil {
		t.Fatal(err)
	}
	webhooks := &webhook.Service{Store: db, Clock: clock}
	incidents := &incident.Service{Store: db, Inventory: db, Clock: clock, Wake: wake}
	pages, err := web.New(web.Config{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: pol, Consents: cons, Audit: db, Log: log,
		Outbox: &mail.Outbox{Store: db, Audit: db}, MailConfigured: true, Webhooks: webhooks, Incidents: incidents, Rights: requests,
		BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{Log: log, DB: db,
		API: &api.API{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: pol, Consents: cons, Audit: db, Log: log,
			Webhooks: webhooks, Incidents: incidents, Rights: requests, BaseURL: base},
		Web: pages, Public: pub, Version: "test"})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)

	s := &rightsStack{url: base, db: db, rights: requests, smtp: mailtest.Start(t), shop: shop}
	sys := privaq.Actor{Kind: privaq.ActorSystem}
	if s.org, err = orgs.CreateOrg(ctx, sys, browserOrg, "Démo", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Replace(ctx, privaq.System(s.org.ID), s.org.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []privaq.Role{privaq.RoleOfficer, privaq.RoleStaff} {
		if _, _, err := orgs.AddUser(ctx, privaq.System(s.org.ID), s.org.ID, string(r)+"@demo.test", "", r, testPassword); err != nil {
			t.Fatal(err)
		}
	}

	// The mail worker, woken when mail is queued, as serve runs it.
	sender, err := mail.NewSMTP(s.smtp.URL(), "privaq@example.test")
	if err != nil {
		t.Fatal(err)
	}
	w := &mail.Worker{Store: db, Sender: sender, Clock: clock, Log: log, Wake: wake}
	leader := db.Leader()
	jobs, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan struct{})
	go func() { defer close(jobsDone); w.Run(jobs, 15*time.Second, leader.Lead) }()
	t.Cleanup(func() { stopJobs(); <-jobsDone; leader.Close() })
	return s
}

// admin returns the URL of an admin page of the organization.
func (s *rightsStack) admin(path string) string { return s.url + "/admin/o/" + browserOrg + "/" + path }

// mailTo waits for the message to alice whose subject starts with
// subject, and returns it.
func (s *rightsStack) mailTo(t *testing.T, to, subject string) mailtest.Message {
	t.Helper()
	for n := 1; ; {
		msgs := s.smtp.Wait(t, n)
		for _, m := range msgs {
			if len(m.To) == 1 && m.To[0] == to && strings.HasPrefix(m.Subject, subject) {
				return m
			}
		}
		n = len(msgs) + 1
	}
}

// link returns the only link to path (a public page, with its token) in
// a message, checking that it points at the instance.
func (s *rightsStack) link(t *testing.T, m mailtest.Message, path string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(s.url+"/o/"+browserOrg+path) + `\?t=[A-Za-z0-9_-]{43}\b`)
	links := re.FindAllString(m.Body, -1)
	if len(links) != 1 {
		t.Fatalf("%q: got links %q to %s, want one, in:\n%s", m.Subject, links, path, m.Body)
	}
	return links[0]
}

// rightsShotOnFailure keeps the page a tab ends on when the test fails,
// as failed-<test>-<who>.png (which browsertest.Start clears).
func rightsShotOnFailure(t *testing.T, ctx context.Context, who string) {
	dir := browsertest.Dir(t)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil && os.MkdirAll(dir, 0o755) == nil {
			path := filepath.Join(dir, "failed-"+t.Name()+"-"+who+".png")
			if os.WriteFile(path, png, 0o644) == nil {
				t.Logf("screenshot of the failure (%s): %s", who, path)
			}
		}
	})
}

// rightsLogin signs email in from the French login page.
func rightsLogin(t *testing.T, ctx context.Context, s *rightsStack, email string) {
	t.Helper()
	browsertest.Do(t, ctx, "open the login page",
		chromedp.Navigate(s.url+"/admin/login?lang=fr"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	status, url := browsertest.Response(t, ctx, "sign in "+email, chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if want := s.admin(""); status != http.StatusOK || url != want {
		t.Fatalf("after signing %s in: got %d %s, want 200 %s", email, status, url, want)
	}
}

// TestBrowserRightsRequest is the journey of an access request in
// Chromium (issue 6): the officer registers the sample shop on the
// connectors page; a person files a request on the public form, in
// French, without script, confirms it from the link of the email the SMTP
// server received, and gets the acknowledgement with the status link;
// staff verify the identity, produce the access archive from the shop and
// answer in writing; the person reads the answer on the status page and
// downloads the archive. axe-core audits every public page of the way.
func TestBrowserRightsRequest(t *testing.T) {
	chrome := browsertest.Start(t, browserTimeout)
	script := browsertest.AxeScript(t)
	s := newRightsStack(t)
	const (
		alice = "alice@example.org" // the shop's first customer
		name  = "Alice Tremblay"
	)
	officer, staff, person := browsertest.Tab(t, chrome), browsertest.Tab(t, chrome), browsertest.Tab(t, chrome)
	rightsShotOnFailure(t, officer, "officer")
	rightsShotOnFailure(t, staff, "staff")
	rightsShotOnFailure(t, person, "requester")
	// The requester's browser asks for French, as a Quebecer's does: the
	// links in the emails carry no language.
	if _, err := chromedp.Call(person, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}}); err != nil {
		t.Fatal(err)
	}
	text := func(ctx context.Context, what, sel string) string {
		t.Helper()
		// French typography puts no-break spaces before the colons.
		return strings.ReplaceAll(strings.TrimSpace(browsertest.Run(t, ctx, what, chromedp.Text(chromedp.CSS(sel)))), "\u00a0", " ")
	}
	click := func(ctx context.Context, what, sel string, want int) string {
		t.Helper()
		status, url := browsertest.Response(t, ctx, what, chromedp.Click(chromedp.CSS(sel)))
		if status != want {
			t.Fatalf("%s: got status %d at %s, want %d", what, status, url, want)
		}
		return url
	}
	// open loads a page, which must be in French: the selectors that
	// follow name French forms (…?lang=fr), and would wait in vain.
	open := func(ctx context.Context, what, url string) {
		t.Helper()
		if status, _ := browsertest.Response(t, ctx, what, chromedp.Navigate(url)); status != http.StatusOK {
			t.Fatalf("%s: %s got status %d, want 200", what, url, status)
		}
		if lang := browserLang(t, ctx); lang != "fr" {
			t.Fatalf("%s: %s is in %q, want fr", what, url, lang)
		}
	}
	// check checks a public page: French, no script, no axe violation.
	check := func(name string) {
		t.Helper()
		if lang := browserLang(t, person); lang != "fr" {
			t.Errorf("%s: <html lang> %q, want fr", name, lang)
		}
		if n := browsertest.Run(t, person, "count scripts", chromedp.Evaluate[int](`document.querySelectorAll('script').length`)); n != 0 {
			t.Errorf("%s: %d <script> elements, want none", name, n)
		}
		browsertest.Audit(t, person, script, name)
		browsertest.Screenshot(t, person, "request-"+name)
	}

	// The officer registers the shop and maps its tables, on the page.
	rightsLogin(t, officer, s, "officer@demo.test")
	click(officer, "open the connectors", `nav.side a[href$="/connectors"]`, http.StatusOK)
	mapping, err := json.MarshalIndent(connector.SampleMapping(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, officer, "fill the connector",
		chromedp.SendKeys(chromedp.ID("n-key"), "boutique"),
		chromedp.SetValue(chromedp.ID("n-kind"), string(connector.KindSQLite)),
		chromedp.SendKeys(chromedp.ID("n-dsn"), s.shop),
	)
	if url := click(officer, "add the connector", `form[action$="/connectors"] button[type=submit]`, http.StatusOK); !strings.Contains(url, "/connectors?done=1") {
		t.Fatalf("after adding the connector: at %s", url)
	}
	if got := text(officer, "read the test", "#c-boutique dl.facts"); !strings.Contains(got, "connexion réussie") {
		t.Fatalf("connector test: got %q", got)
	}
	browsertest.Do(t, officer, "type the mapping", chromedp.SetValue(chromedp.ID("t-boutique"), string(mapping)))
	if url := click(officer, "save the mapping", `form[action$="/connectors/boutique/tables"] button[type=submit]`, http.StatusOK); !strings.Contains(url, "/connectors?done=1") {
		t.Fatalf("after saving the mapping: at %s (%s)", url, text(officer, "read the error", "main"))
	}
	if got := text(officer, "read the tables", "#c-boutique dl.facts dd:nth-of-type(2)"); got != "6" {
		t.Errorf("mapped tables: got %q, want 6", got)
	}
	browsertest.Screenshot(t, officer, "request-connectors")

	// The person files the request, in French, on the public form.
	open(person, "open the form", s.url+"/o/"+browserOrg+"/requests/new?lang=fr")
	if got := text(person, "read the title", "main h1"); got != "Faire une demande sur vos renseignements personnels" {
		t.Errorf("form title: got %q", got)
	}
	check("form")
	browsertest.Do(t, person, "fill the form",
		chromedp.Click(chromedp.ID("type-access")),
		chromedp.SendKeys(chromedp.ID("f-name"), name),
		chromedp.SendKeys(chromedp.ID("f-email"), alice),
	)
	if url := click(person, "send the form", `form.request[action$="/requests/new?lang=fr"] button[type=submit]`, http.StatusOK); !strings.HasSuffix(url, "/requests/new?sent=1&lang=fr") {
		t.Fatalf("after sending: at %s", url)
	}
	if got := text(person, "read the notice", `main [role=status]`); !strings.Contains(got, "ouvrez le lien") {
		t.Errorf("sent: got %q", got)
	}
	check("sent")

	// The confirmation link, from the email: its GET only asks.
	confirm := s.mailTo(t, alice, "Confirmez votre demande")
	if !strings.Contains(confirm.Body, "Bonjour "+name+",") {
		t.Errorf("confirmation email:\n%s", confirm.Body)
	}
	open(person, "open the confirmation link", s.link(t, confirm, "/requests/confirm"))
	if got := text(person, "read the button", `form[action$="/requests/confirm?lang=fr"] button[type=submit]`); got != "Confirmer ma demande" {
		t.Errorf("confirm button: got %q", got)
	}
	if list, err := s.rights.List(context.Background(), privaq.System(s.org.ID), s.org.ID, rights.Filter{}); err != nil || len(list) != 0 {
		t.Fatalf("before the confirmation: %d requests listed (%v), want none", len(list), err)
	}
	check("confirm")
	click(person, "confirm", `form[action$="/requests/confirm?lang=fr"] button[type=submit]`, http.StatusOK)
	if got := text(person, "read the notice", `main [role=status]`); !strings.Contains(got, "Votre demande est confirmée") {
		t.Errorf("confirmed: got %q", got)
	}
	list, err := s.rights.List(context.Background(), privaq.System(s.org.ID), s.org.ID, rights.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("after the confirmation: %d requests (%v), want 1", len(list), err)
	}
	rq := list[0]
	facts := browsertest.Run(t, person, "read the facts", chromedp.Evaluate[map[string]string](`Object.fromEntries(
		[...document.querySelectorAll('dl.request-status dt')].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))`))
	ref := facts["Numéro de référence"]
	if !regexp.MustCompile(`^REQ-\d{4}-\d{3}$`).MatchString(ref) || ref != rq.Reference || !strings.HasPrefix(ref, "REQ-"+rq.ReceivedAt.Format("2006")) {
		t.Errorf("reference: got %q, want %s", ref, rq.Reference)
	}
	if due := rights.FormatDate(rq.DueAt, "fr"); facts["Réponse due au plus tard le"] != due {
		t.Errorf("due date: got %q, want %q", facts["Réponse due au plus tard le"], due)
	}
	if got := rq.DueAt.Sub(rq.ReceivedAt); got < 29*24*time.Hour || got > 31*24*time.Hour {
		t.Errorf("due %s after the reception, want 30 days", got)
	}
	check("confirmed")

	// The acknowledgement holds the status link.
	ack := s.mailTo(t, alice, "Accusé de réception de votre demande "+ref)
	status := s.link(t, ack, "/requests/status")
	if !strings.Contains(ack.Body, "référence est "+ref) {
		t.Errorf("acknowledgement:\n%s", ack.Body)
	}

	// Staff open the file, verify the identity and produce the archive.
	rightsLogin(t, staff, s, "staff@demo.test")
	click(staff, "open the requests", `nav.side a[href$="/requests"]`, http.StatusOK)
	file := s.admin("requests/" + itoa(int64(rq.ID)))
	if got := text(staff, "read the list", "main table"); !strings.Contains(got, ref) || !strings.Contains(got, "Accéder à mes renseignements") {
		t.Errorf("requests list: got %q", got)
	}
	click(staff, "open the request", `main table a[href="/admin/o/`+browserOrg+`/requests/`+itoa(int64(rq.ID))+`"]`, http.StatusOK)
	if got := text(staff, "read the title", "main h1"); !strings.Contains(got, ref) {
		t.Errorf("file title: got %q", got)
	}
	if got := text(staff, "read the form's title", "#h-verify"); got != "Vérifier l’identité" {
		t.Errorf("verify form: got %q", got)
	}
	browsertest.Do(t, staff, "choose the method",
		chromedp.SetValue(chromedp.ID("v-method"), "email_match"),
		chromedp.SendKeys(chromedp.ID("v-note"), "Courriel confirmé, identique à celui du dossier client."))
	if url := click(staff, "verify", `form[action$="/verify"] button[type=submit]`, http.StatusOK); url != file+"?done=1" {
		t.Fatalf("after verifying: at %s", url)
	}
	if got := text(staff, "read the facts", "main dl.facts"); !strings.Contains(got, "staff@demo.test") {
		t.Errorf("identity not shown as verified: %q", got)
	}
	if got := text(staff, "read the button", `form[action$="/collect"] button[type=submit]`); got != "Produire l’archive d’accès" {
		t.Errorf("collect button: got %q", got)
	}
	if url := click(staff, "collect", `form[action$="/collect"] button[type=submit]`, http.StatusOK); url != file+"?done=1" {
		t.Fatalf("after collecting: at %s (%s)", url, text(staff, "read the page", "main"))
	}
	exports := browsertest.Run(t, staff, "read the archives", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#h-data ~ table tbody tr')].map(tr => [...tr.cells].map(td => td.textContent.trim()))`))
	if len(exports) != 1 || exports[0][1] != "10" || exports[0][3] != "pas encore" {
		t.Fatalf("archives in the file: got %q, want one of 10 rows, not downloaded", exports)
	}
	browsertest.Screenshot(t, staff, "request-admin-collected")

	// Staff answer in writing: the letter is emailed.
	if got := text(staff, "read the form's title", "#h-answer"); got != "Répondre par écrit" {
		t.Errorf("answer form: got %q", got)
	}
	const reasons = "Vos renseignements sont dans l’archive que vous pouvez télécharger depuis la page de votre demande."
	browsertest.Do(t, staff, "write the answer",
		chromedp.SetValue(chromedp.ID("a-outcome"), string(rights.OutcomeGranted)),
		chromedp.SendKeys(chromedp.ID("a-fr"), reasons))
	if url := click(staff, "answer", `form[action$="/answer"] button[type=submit]`, http.StatusOK); url != file+"?done=1" {
		t.Fatalf("after answering: at %s (%s)", url, text(staff, "read the page", "main"))
	}
	if got := text(staff, "read the facts", "main dl.facts"); !strings.Contains(got, "Répondue : acceptée") {
		t.Errorf("status after the answer: %q", got)
	}
	browsertest.Screenshot(t, staff, "request-admin-answered")
	answer := s.mailTo(t, alice, "Réponse à votre demande "+ref)
	if !strings.Contains(answer.Body, "Nous acceptons votre demande.") || !strings.Contains(answer.Body, reasons) {
		t.Errorf("answer email:\n%s", answer.Body)
	}

	// The person reads the answer on the status page and downloads the
	// archive.
	open(person, "open the status link", status)
	letters := browsertest.Run(t, person, "read the letters", chromedp.Evaluate[[]string](`[...document.querySelectorAll('article.letter h3')].map(h => h.textContent.trim())`))
	if len(letters) != 2 || !strings.HasPrefix(letters[0], "Accusé de réception") || !strings.HasPrefix(letters[1], "Réponse à votre demande "+ref) {
		t.Errorf("letters on the status page: got %q, want the acknowledgement and the answer", letters)
	}
	if got := text(person, "read the answer", "article.letter:last-of-type .letter-text"); !strings.Contains(got, reasons) {
		t.Errorf("answer letter on the status page: %q", got)
	}
	if got := text(person, "read the status", "dl.request-status"); !strings.Contains(got, "Répondue : acceptée") {
		t.Errorf("status page: %q", got)
	}
	dl := `main a[href^="/o/` + browserOrg + `/requests/download?"][download]`
	if got := text(person, "read the download link", dl); !strings.HasPrefix(got, "Archive du ") || !strings.HasSuffix(got, "(10 lignes, ZIP)") {
		t.Errorf("download link: got %q, want « Archive du … (10 lignes, ZIP) »", got)
	}
	check("status")
	data, fname := rightsDownload(t, person, dl)
	if !strings.HasSuffix(fname, ".zip") || !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		t.Fatalf("download: got %s, %d bytes starting %q, want a ZIP file", fname, len(data), data[:min(4, len(data))])
	}
	browsertest.Save(t, "request-archive.zip", data)
	rightsCheckArchive(t, data, ref, name)

	// The file records the first download.
	open(staff, "reload the file", file)
	exports = browsertest.Run(t, staff, "read the archives", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#h-data ~ table tbody tr')].map(tr => [...tr.cells].map(td => td.textContent.trim()))`))
	if len(exports) != 1 || exports[0][3] == "pas encore" || !strings.HasSuffix(exports[0][3], "UTC") {
		t.Errorf("archives in the file after the download: got %q, want it downloaded", exports)
	}
}

// rightsDownload clicks the download link sel, as the person would, and
// returns the file the browser saved and the name it suggested.
func rightsDownload(t *testing.T, ctx context.Context, sel string) ([]byte, string) {
	t.Helper()
	dir := t.TempDir()
	// The events come until the download ends, or the bound does.
	ectx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	begins := chromedp.Events(ectx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.Events(ectx, cdpbrowser.DownloadProgress)
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	browsertest.Do(t, ctx, "click the download link", chromedp.Click(chromedp.CSS(sel)))
	var begun cdpbrowser.EventDownloadWillBegin
	for ev, err := range begins {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		begun = ev
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download of %s: %v", begun.SuggestedFilename, err)
		}
		if ev.GUID != begun.GUID || ev.State == cdpbrowser.DownloadProgressStateInProgress {
			continue
		}
		if ev.State != cdpbrowser.DownloadProgressStateCompleted {
			t.Fatalf("download of %s: %s", begun.SuggestedFilename, ev.State)
		}
		data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil {
			t.Fatal(err)
		}
		return data, begun.SuggestedFilename
	}
	t.Fatalf("download of %s: no end", begun.SuggestedFilename)
	return nil, ""
}

// rightsCheckArchive opens the access archive: the customer's rows from
// the shop, the manifest and the French README.
func rightsCheckArchive(t *testing.T, data []byte, ref, name string) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	files := map[string]string{}
	var names []string
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = string(b)
		names = append(names, f.Name)
	}
	t.Logf("archive: %d bytes, %q", len(data), names)
	for _, want := range []string{"boutique/customers.json", "manifest.json", "LISEZMOI.txt"} {
		if _, ok := files[want]; !ok {
			t.Errorf("archive lacks %s: has %q", want, names)
		}
	}
	if _, ok := files["README.txt"]; ok {
		t.Error("a French requester's archive has README.txt")
	}
	var customers []map[string]any
	if err := json.Unmarshal([]byte(files["boutique/customers.json"]), &customers); err != nil {
		t.Errorf("customers.json: %v", err)
	} else if len(customers) != 1 || customers[0]["name"] != name || customers[0]["email"] != "alice@example.org" {
		t.Errorf("customers.json: got %v, want Alice's row only", customers)
	}
	if c := files["boutique/customers.json"] + files["boutique/orders.json"]; strings.Contains(c, "Bob") || strings.Contains(c, "Cartier") {
		t.Error("the archive holds another customer's rows")
	}
	var manifest struct {
		Format, Reference string
		TotalRows         int `json:"total_rows"`
		Tables            []struct {
			Connector, Table string
			Rows             int
		}
	}
	if err := json.Unmarshal([]byte(files["manifest.json"]), &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	rows := 0
	for _, f := range manifest.Tables {
		rows += f.Rows
	}
	if manifest.Reference != ref || rows != 10 || manifest.TotalRows != 10 {
		t.Errorf("manifest: reference %q, %d rows, want %s and 10:\n%s", manifest.Reference, rows, ref, files["manifest.json"])
	}
	if readme := files["LISEZMOI.txt"]; !strings.Contains(readme, ref) {
		t.Errorf("LISEZMOI.txt does not name %s:\n%s", ref, readme)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
