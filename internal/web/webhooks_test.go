package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"privaq"
	"privaq/internal/browsertest"
	"privaq/internal/webhook"
)

// hookReceiver is an organization's endpoint under test: it answers 500
// to the first post of each event and 204 to the next, and keeps what it
// was sent.
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookPost
	seen map[string]bool
}

type hookPost struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{seen: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, hookPost{req.Header.Clone(), body})
		id := req.Header.Get(webhook.HeaderEventID)
		if !r.seen[id] {
			r.seen[id] = true
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) posts() []hookPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookPost(nil), r.got...)
}

// hookWorker delivers the site's webhook outbox on a clock the test
// moves, so that a retry is due without waiting for its backoff.
type hookWorker struct {
	w     *webhook.Worker
	clock *privaq.ManualClock
}

func (s *testSite) hookWorker(t *testing.T) *hookWorker {
	clock := privaq.NewManualClock(time.Now())
	return &hookWorker{w: &webhook.Worker{Store: s.db, Clock: clock, Log: slog.New(slog.NewTextHandler(testLogWriter(t), nil))}, clock: clock}
}

// run makes one pass over the outbox and returns how many were delivered.
func (h *hookWorker) run(t *testing.T) int {
	t.Helper()
	n, err := h.w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	secretRE     = regexp.MustCompile(`<code class="secret">(whsec_[A-Za-z0-9_-]{43})</code>`)
	endpointIDRE = regexp.MustCompile(`href="/admin/o/demo/webhooks/([0-9]+)"`)
)

// addWebhook creates an endpoint from the form and returns its id and
// the secret the page showed.
func (b *browser) addWebhook(rawURL string, events ...string) (id, secret string) {
	b.t.Helper()
	tok := b.csrf("/admin/o/demo/webhooks")
	code, body, _ := b.post("/admin/o/demo/webhooks", url.Values{"_csrf": {tok}, "url": {rawURL}, "events": events})
	m := secretRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		b.t.Fatalf("add %s: got %d, want 200 showing the secret", rawURL, code)
	}
	ids := endpointIDRE.FindAllStringSubmatch(body, -1)
	if len(ids) == 0 {
		b.t.Fatalf("add %s: the list does not link to the new endpoint", rawURL)
	}
	return ids[len(ids)-1][1], m[1]
}

// withdraw records, from the admin form, a grant then a withdrawal of
// the same consent.
func (b *browser) withdraw() {
	b.t.Helper()
	tok := b.csrf("/admin/o/demo/consents/new")
	for _, d := range []string{"granted", "withdrawn"} {
		f := paperConsent(tok)
		f.Set("decision", d)
		if code, _, _ := b.post("/admin/o/demo/consents/new", f); code != http.StatusSeeOther {
			b.t.Fatalf("record %s: got %d, want 303", d, code)
		}
	}
}

func TestWebhookPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("officer@demo.test")
		code, page := b.get("/admin/o/demo/webhooks")
		if code != http.StatusOK {
			t.Fatalf("list: got %d, want 200", code)
		}
		for _, want := range []string{`href="/admin/o/demo/webhooks" aria-current="page">Webhooks`, "Aucun point de terminaison",
			`value="consent.withdrawn" checked`, `value="consent.recorded">`} {
			if !strings.Contains(page, want) {
				t.Errorf("empty list lacks %s", want)
			}
		}
		tok := csrfRE.FindStringSubmatch(page)[1]

		// Bad input: 422, the error beside its field, what was typed kept.
		withdrawals, records := webhook.EventWithdrawn, webhook.EventRecorded
		for _, tc := range []struct {
			name, url string
			events    []string
			field     string
			kept      []string
			msg       string
		}{
			{"no URL", "", []string{withdrawals}, "url", []string{`value="consent.withdrawn" checked`}, "Saisissez l’adresse"},
			{"not absolute", "hooks.example.org/privaq", []string{withdrawals, records}, "url",
				[]string{`value="hooks.example.org/privaq"`, `value="consent.recorded" checked`}, "URL https:// complète"},
			{"http off this machine", "http://hooks.example.org/privaq", []string{withdrawals}, "url", []string{`value="http://hooks.example.org/privaq"`}, "localhost"},
			{"credentials", "https://moi:secret@hooks.example.org/x", []string{withdrawals}, "url", []string{`value="https://moi:secret@hooks.example.org/x"`}, "mot de passe"},
			{"no event", "https://hooks.example.org/privaq", nil, "events", []string{`value="https://hooks.example.org/privaq"`, `value="consent.withdrawn">`}, "Retraits de consentement"},
			{"records without withdrawals", "https://hooks.example.org/privaq", []string{records}, "events", []string{`value="consent.recorded" checked`}, "chaque point de terminaison les reçoit"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body, _ := b.post("/admin/o/demo/webhooks", url.Values{"_csrf": {tok}, "url": {tc.url}, "events": tc.events})
				if code != http.StatusUnprocessableEntity {
					t.Fatalf("got %d, want 422", code)
				}
				if !regexp.MustCompile(`id="e-` + tc.field + `">[^<]*` + regexp.QuoteMeta(tc.msg)).MatchString(body) {
					t.Errorf("no French error mentioning %q beside %s", tc.msg, tc.field)
				}
				for _, want := range append(tc.kept, `href="#f-`+tc.field+`"`, `role="alert"`) {
					if !strings.Contains(body, want) {
						t.Errorf("rejected form lacks %s", want)
					}
				}
				if tc.field == "url" && !strings.Contains(body, `aria-describedby="h-url e-url" aria-invalid="true"`) {
					t.Errorf("the URL input is not marked invalid")
				}
				if strings.Contains(body, "whsec_") {
					t.Errorf("a refused form shows a secret")
				}
			})
		}
		// Both fields wrong: both errors at once, in English on an English page.
		code, body, _ := b.post("/admin/o/demo/webhooks?lang=en", url.Values{"_csrf": {tok}, "url": {"ftp://hooks.example.org/x"}})
		if code != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="e-url">[^<]*must be a full https:// URL`).MatchString(body) ||
			!regexp.MustCompile(`id="e-events">[^<]*every endpoint receives them`).MatchString(body) {
			t.Errorf("two bad fields in English: got %d, want 422 with both English errors", code)
		}
		if _, page := b.get("/admin/o/demo/webhooks?lang=fr"); !strings.Contains(page, "Aucun point de terminaison") {
			t.Errorf("a refused form created an endpoint")
		}

		// Created: the secret is shown once, then never again.
		recv := newHookReceiver(t)
		hookURL := recv.srv.URL + "/hooks?src=privaq"
		id, secret := b.addWebhook(hookURL, webhook.EventWithdrawn, webhook.EventRecorded)
		_, page = b.get("/admin/o/demo/webhooks")
		if strings.Contains(page, secret) || strings.Contains(page, "whsec_") {
			t.Errorf("the list shows the secret again")
		}
		row := regexp.MustCompile(`(?s)<tr>\s*<td><a href="/admin/o/demo/webhooks/` + id + `">.*?</tr>`).FindString(page)
		for _, want := range []string{htmlText(hookURL), "Retraits, Autres inscriptions", "Aucune", `<td class="num">0</td>`, `/webhooks/` + id + `/delete`} {
			if !strings.Contains(row, want) {
				t.Errorf("the endpoint's row lacks %s: %s", want, row)
			}
		}
		if _, audit := b.get("/admin/o/demo/audit"); !strings.Contains(audit, "webhook.create") || strings.Contains(audit, secret) {
			t.Errorf("audit log: want webhook.create and no secret")
		}

		// A grant and a withdrawal, each refused once by the receiver,
		// then accepted.
		b.withdraw()
		worker := s.hookWorker(t)
		if n := worker.run(t); n != 0 {
			t.Fatalf("first run: got %d delivered, want 0 (the receiver answers 500)", n)
		}
		_, deliveries := b.get("/admin/o/demo/webhooks/" + id)
		for _, want := range []string{htmlText(hookURL), "Retrait", "Autres inscriptions", "En attente", "HTTP 500 Internal Server Error",
			`<td class="num">1</td>`, `<td class="num">2</td>`, "1 tentative", "<details open>"} {
			if !strings.Contains(deliveries, want) {
				t.Errorf("deliveries after a 500 lack %s", want)
			}
		}
		if strings.Count(deliveries, `<td class="num nowrap">`) != 2 {
			t.Errorf("deliveries after a 500: want one attempt row per delivery")
		}
		worker.clock.Add(time.Hour)
		if n := worker.run(t); n != 2 {
			t.Fatalf("second run: got %d delivered, want 2", n)
		}
		posts := recv.posts()
		if len(posts) != 4 {
			t.Fatalf("posts: got %d, want 4 (two events, twice each)", len(posts))
		}
		last := posts[len(posts)-1]
		if err := webhook.Verify(secret, last.header.Get(webhook.HeaderSignature), last.body, worker.clock.Now(), time.Minute); err != nil {
			t.Errorf("the secret shown does not check the signature: %v", err)
		}
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Seq int64 `json:"seq"`
			} `json:"data"`
		}
		if err := json.Unmarshal(last.body, &ev); err != nil || ev.Data.Seq < 1 {
			t.Fatalf("posted body %s: %v", last.body, err)
		}
		_, deliveries = b.get("/admin/o/demo/webhooks/" + id)
		for _, want := range []string{"Livrée", "2 tentatives", "<td>500</td>", "<td>204</td>", "Accepté", " ms</td>", "Heure (UTC)"} {
			if !strings.Contains(deliveries, want) {
				t.Errorf("deliveries after the retry lack %s", want)
			}
		}
		if n := strings.Count(deliveries, `<td class="num nowrap">`); n != 4 {
			t.Errorf("attempt rows: got %d, want 4", n)
		}
		if strings.Contains(deliveries, "En attente") {
			t.Errorf("a delivered event is still shown pending")
		}
		_, page = b.get("/admin/o/demo/webhooks")
		row = regexp.MustCompile(`(?s)<tr>\s*<td><a href="/admin/o/demo/webhooks/` + id + `">.*?</tr>`).FindString(page)
		if !strings.Contains(row, "Livrée · HTTP 204") || !regexp.MustCompile(`(?s)<td class="num">2</td>\s*<td class="num">0</td>\s*<td class="num">0</td>`).MatchString(row) {
			t.Errorf("list row after delivery: want the last status and 2 delivered, 0 pending, 0 failed: %s", row)
		}

		// Every page in both languages has all its texts.
		for _, lang := range []string{"fr", "en"} {
			for _, p := range []string{"/admin/o/demo/webhooks", "/admin/o/demo/webhooks/" + id, "/admin/o/demo/webhooks/" + id + "/delete"} {
				code, body := b.get(p + "?lang=" + lang)
				if code != http.StatusOK || !strings.Contains(body, `<html lang="`+lang+`">`) {
					t.Errorf("%s (%s): got %d, want 200 in %s", p, lang, code, lang)
				}
				if m := missingKeyRE.FindString(body); m != "" {
					t.Errorf("%s (%s): missing catalog key %s", p, lang, m)
				}
			}
		}
		_, page = b.get("/admin/o/demo/webhooks/" + id + "?lang=en")
		if !strings.Contains(page, "Delivered") || !strings.Contains(page, "2 attempts") {
			t.Errorf("English deliveries page lacks its statuses")
		}

		// Deleted after a confirmation.
		b.get("/admin/o/demo/webhooks?lang=fr")
		code, confirm := b.get("/admin/o/demo/webhooks/" + id + "/delete")
		if code != http.StatusOK || !strings.Contains(confirm, htmlText(hookURL)) || !strings.Contains(confirm, "historique de livraisons sera effacé") ||
			!strings.Contains(confirm, `action="/admin/o/demo/webhooks/`+id+`/delete"`) {
			t.Fatalf("confirmation: got %d, want the URL, the warning and the form", code)
		}
		if code, _, _ := b.post("/admin/o/demo/webhooks/"+id+"/delete", url.Values{}); code != http.StatusForbidden {
			t.Errorf("delete without a CSRF token: got %d, want 403", code)
		}
		code, _, h := b.post("/admin/o/demo/webhooks/"+id+"/delete", url.Values{"_csrf": {tok}})
		if code != http.StatusSeeOther || h.Get("Location") != "/admin/o/demo/webhooks?removed=1" {
			t.Fatalf("delete: got %d to %q, want 303 to the list", code, h.Get("Location"))
		}
		_, page = b.get(h.Get("Location"))
		if !strings.Contains(page, `role="status">Point de terminaison supprimé`) || strings.Contains(page, htmlText(hookURL)) {
			t.Errorf("after deleting: want the flash and no endpoint")
		}
		if code, _ := b.get("/admin/o/demo/webhooks/" + id); code != http.StatusNotFound {
			t.Errorf("deliveries of a deleted endpoint: got %d, want 404", code)
		}
		if _, audit := b.get("/admin/o/demo/audit"); !strings.Contains(audit, "webhook.delete") {
			t.Errorf("audit log lacks webhook.delete")
		}
	})
}

// htmlText escapes s as html/template does in an element's text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

func TestWebhookPagesRolesAndTenants(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		off := s.browser(t)
		off.login("officer@demo.test")
		id, _ := off.addWebhook("https://hooks.example.org/demo", webhook.EventWithdrawn)
		out := s.browser(t)
		out.login("outsider@other.test")
		otok := out.csrf("/admin/o/other/webhooks")
		code, body, _ := out.post("/admin/o/other/webhooks", url.Values{"_csrf": {otok}, "url": {"https://hooks.example.org/other"}, "events": {webhook.EventWithdrawn}})
		m := regexp.MustCompile(`href="/admin/o/other/webhooks/([0-9]+)"`).FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("the other organization adds an endpoint: got %d", code)
		}
		otherID := m[1]

		// Whoever reads consent state sees the endpoints and deliveries;
		// only officers add or delete them.
		for _, email := range []string{"staff@demo.test", "auditor@demo.test"} {
			b := s.browser(t)
			b.login(email)
			code, page := b.get("/admin/o/demo/webhooks")
			if code != http.StatusOK || !strings.Contains(page, "https://hooks.example.org/demo") || !strings.Contains(page, `href="/admin/o/demo/webhooks"`) {
				t.Errorf("%s: list got %d, want 200 with the endpoint and the menu link", email, code)
			}
			if strings.Contains(page, `name="url"`) || strings.Contains(page, "/delete") {
				t.Errorf("%s: the list offers the form or deletion", email)
			}
			if code, page := b.get("/admin/o/demo/webhooks/" + id); code != http.StatusOK || strings.Contains(page, "/delete") {
				t.Errorf("%s: deliveries got %d, want 200 without a delete link", email, code)
			}
			if code, _ := b.get("/admin/o/demo/webhooks/" + id + "/delete"); code != http.StatusForbidden {
				t.Errorf("%s: delete confirmation got %d, want 403", email, code)
			}
			tok := csrfRE.FindStringSubmatch(page)[1]
			code, page, _ = b.post("/admin/o/demo/webhooks", url.Values{"_csrf": {tok}, "url": {"https://hooks.example.org/mine"}, "events": {webhook.EventWithdrawn}})
			if code != http.StatusForbidden || strings.Contains(page, "whsec_") {
				t.Errorf("%s: add got %d, want 403", email, code)
			}
			if code, _, _ := b.post("/admin/o/demo/webhooks/"+id+"/delete", url.Values{"_csrf": {tok}}); code != http.StatusForbidden {
				t.Errorf("%s: delete got %d, want 403", email, code)
			}
		}

		// Another organization's endpoint, through this organization's
		// pages, does not exist; nor do this organization's pages for an
		// outsider.
		tok := off.csrf("/admin/o/demo/webhooks")
		for _, p := range []string{"/admin/o/demo/webhooks/" + otherID, "/admin/o/demo/webhooks/" + otherID + "/delete", "/admin/o/demo/webhooks/x"} {
			if code, body := off.get(p); code != http.StatusNotFound || strings.Contains(body, "hooks.example.org/other") {
				t.Errorf("%s: got %d, want 404 revealing nothing", p, code)
			}
		}
		if code, _, _ := off.post("/admin/o/demo/webhooks/"+otherID+"/delete", url.Values{"_csrf": {tok}}); code != http.StatusNotFound {
			t.Errorf("deleting another organization's endpoint: got %d, want 404", code)
		}
		for _, p := range []string{"/admin/o/demo/webhooks", "/admin/o/demo/webhooks/" + id} {
			if code, body := out.get(p); code != http.StatusNotFound || strings.Contains(body, "hooks.example.org/demo") {
				t.Errorf("%s from another organization: got %d, want 404", p, code)
			}
		}
		if _, page := out.get("/admin/o/other/webhooks"); !strings.Contains(page, "https://hooks.example.org/other") || strings.Contains(page, "hooks.example.org/demo") {
			t.Errorf("the other organization's list: want its endpoint only")
		}
		if _, page := off.get("/admin/o/demo/webhooks"); !strings.Contains(page, "https://hooks.example.org/demo") {
			t.Errorf("the endpoint is gone after refused deletions")
		}
	})
}

// TestWebhookLimit: at the limit the form gives way to a note, and a
// post that races past it is refused beside the form.
func TestWebhookLimit(t *testing.T) {
	s := newTestSite(t, "")
	hooks := &webhook.Service{Store: s.db, Clock: privaq.SystemClock{}}
	for range webhook.MaxEndpoints {
		if _, err := hooks.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, "https://hooks.example.org/x", nil); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser(t)
	b.login("officer@demo.test")
	tok := b.csrf("/admin/o/demo/")
	code, page := b.get("/admin/o/demo/webhooks")
	if code != http.StatusOK || strings.Contains(page, `name="url"`) || !strings.Contains(page, "a déjà 20 points de terminaison") {
		t.Errorf("at the limit: got %d, want the note instead of the form", code)
	}
	code, page, _ = b.post("/admin/o/demo/webhooks", url.Values{"_csrf": {tok}, "url": {"https://hooks.example.org/y"}, "events": {webhook.EventWithdrawn}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "au plus 20 points de terminaison") || strings.Contains(page, "whsec_") {
		t.Errorf("past the limit: got %d, want 422 saying so", code)
	}
}

// webhookAxePages are the webhook pages the axe audit adds to its list:
// the list with the secret just shown, the form refused, and the
// deliveries of an endpoint with a failed then a successful attempt.
func webhookAxePages(ctx context.Context, st *browserStack) []struct {
	name string
	open func(t *testing.T, lang string)
} {
	var once sync.Once
	var id string
	deliveries := func(t *testing.T) string {
		once.Do(func() {
			b := st.site.browser(t)
			b.login("officer@demo.test")
			id, _ = b.addWebhook(newHookReceiver(t).srv.URL, webhook.EventWithdrawn, webhook.EventRecorded)
			b.withdraw()
			worker := st.site.hookWorker(t)
			worker.run(t)
			worker.clock.Add(time.Hour)
			if n := worker.run(t); n != 2 {
				t.Fatalf("deliveries for the audit: got %d, want 2", n)
			}
		})
		return id
	}
	submit := chromedp.CSS(`main form.webhook-form button[type=submit]`)
	return []struct {
		name string
		open func(t *testing.T, lang string)
	}{
		{"webhooks-created", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "fill",
				chromedp.Navigate(st.org("webhooks?lang="+lang)),
				chromedp.SendKeys(chromedp.ID("f-url"), "https://hooks.example.org/"+lang),
			)
			if status, _ := browsertest.Response(t, ctx, "submit", chromedp.Click(submit)); status != http.StatusOK {
				t.Fatalf("valid form: got status %d, want 200", status)
			}
		}},
		{"webhooks-form-error", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "fill",
				chromedp.Navigate(st.org("webhooks?lang="+lang)),
				chromedp.SendKeys(chromedp.ID("f-url"), "http://hooks.example.org/"),
				chromedp.Click(chromedp.ID("f-events-withdrawn")),
			)
			if status, _ := browsertest.Response(t, ctx, "submit", chromedp.Click(submit)); status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid form: got status %d, want 422", status)
			}
		}},
		{"webhook-deliveries", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("webhooks/"+deliveries(t)+"?lang="+lang)))
		}},
		{"webhook-delete", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("webhooks/"+deliveries(t)+"/delete?lang="+lang)))
		}},
	}
}
