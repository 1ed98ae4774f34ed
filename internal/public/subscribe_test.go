package public_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/mail/mailtest"
	"privaq/internal/policy"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// post sends a form, or a raw body of contentType, without following a
// redirect; origin, when set, is sent as a cross-site browser would.
func (s *site) post(t *testing.T, path, contentType, body, origin string) page {
	t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header, string(b)}
}

func (s *site) postForm(t *testing.T, path string, v url.Values) page {
	t.Helper()
	return s.post(t, path, "application/x-www-form-urlencoded", v.Encode(), "")
}

var linkRE = regexp.MustCompile(`https://privacy\.example\.org(/o/alpha/privacy/[a-z/]+)\?t=([A-Za-z0-9_-]+)`)

// link finds the link to path in a message and returns its token.
func link(t *testing.T, body, path string) string {
	t.Helper()
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		if m[1] == path {
			return m[2]
		}
	}
	t.Fatalf("no link to %s in\n%s", path, body)
	return ""
}

func (s *site) counts(t *testing.T) map[policy.SubStatus]int {
	t.Helper()
	c, err := s.pol.SubscriberCounts(ctx, privaq.System(s.org.ID), s.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSubscriptionAndChangeNotice follows a subscriber from the form to
// the change notice in their mailbox, then out by the unsubscribe link,
// with the bad inputs on the way.
func TestSubscriptionAndChangeNotice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		s.publish(t, policy.Publication{Summary: inventory.Text{FR: "Première version"}})
		smtp := mailtest.Start(t)
		sender, err := mail.NewSMTP(smtp.URL(), "")
		if err != nil {
			t.Fatal(err)
		}
		worker := &mail.Worker{Store: db, Sender: sender, Clock: s.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		send := func(want int) {
			t.Helper()
			if n, err := worker.RunOnce(ctx); err != nil || n != want {
				t.Fatalf("worker: %d sent (%v), want %d", n, err, want)
			}
		}

		s.get(t, "/o/alpha/privacy", "").want(t, http.StatusOK, `action="/o/alpha/privacy/subscribe?lang=fr"`, "M’abonner")
		s.postForm(t, "/o/alpha/privacy/subscribe?lang=fr", url.Values{"email": {"pas une adresse"}}).
			want(t, http.StatusUnprocessableEntity, `aria-invalid="true"`, "Entrez une adresse courriel", `value="pas une adresse"`)
		s.post(t, "/o/alpha/privacy/subscribe", "application/x-www-form-urlencoded", "email=x%40example.org", "https://evil.example").
			want(t, http.StatusForbidden)
		s.post(t, "/o/nobody/privacy/subscribe", "application/x-www-form-urlencoded", "email=x%40example.org", "").want(t, http.StatusNotFound)
		// A robot filling the hidden field is thanked and ignored.
		res := s.postForm(t, "/o/alpha/privacy/subscribe?lang=fr", url.Values{"email": {"robot@example.org"}, "website": {"http://spam.example"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("honeypot: got %d, want 303", res.status)
		}
		send(0)

		res = s.postForm(t, "/o/alpha/privacy/subscribe?lang=en", url.Values{"email": {"Lea@Example.org"}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/o/alpha/privacy/subscribe?sent=1&lang=en" {
			t.Fatalf("subscribe: got %d to %q", res.status, res.header.Get("Location"))
		}
		s.get(t, "/o/alpha/privacy/subscribe?sent=1&lang=en", "").want(t, http.StatusOK, "If the address is valid")
		// Asking again at once sends nothing more: the form cannot flood a mailbox.
		s.postForm(t, "/o/alpha/privacy/subscribe?lang=en", url.Values{"email": {"lea@example.org"}})
		s.post(t, "/o/alpha/privacy/subscribe", "application/json", `{"email":"marc@example.org","lang":"fr"}`, "").want(t, http.StatusAccepted, `"pending"`)
		s.post(t, "/o/alpha/privacy/subscribe", "application/json", `{"email":"marc@example.org","colour":"red"}`, "").want(t, http.StatusBadRequest, `"invalid_json"`)
		send(2)
		msgs := smtp.Wait(t, 2)
		byTo := map[string]mailtest.Message{}
		for _, m := range msgs {
			byTo[m.To[0]] = m
		}
		lea, marc := byTo["lea@example.org"], byTo["marc@example.org"]
		if lea.Subject != "Confirm your subscription — Entraide Jeunesse Rive-Sud" || !strings.HasPrefix(marc.Subject, "Confirmez votre abonnement") {
			t.Errorf("subjects: %q, %q", lea.Subject, marc.Subject)
		}
		if c := s.counts(t); c[policy.SubPending] != 2 {
			t.Errorf("counts before confirmation: %v", c)
		}

		// The link's page only shows a button; a forged token changes nothing.
		tok := link(t, lea.Body, "/o/alpha/privacy/subscribe/confirm")
		s.get(t, "/o/alpha/privacy/subscribe/confirm?t="+tok+"&lang=en", "").want(t, http.StatusOK, `name="t" value="`+tok+`"`)
		forged := strings.Repeat("A", len(tok))
		s.postForm(t, "/o/alpha/privacy/subscribe/confirm", url.Values{"t": {forged}}).want(t, http.StatusBadRequest, "Ce lien n’est pas valide")
		s.postForm(t, "/o/alpha/privacy/subscribe/confirm", url.Values{"t": {"short"}}).want(t, http.StatusBadRequest)
		if c := s.counts(t); c[policy.SubConfirmed] != 0 {
			t.Fatalf("a forged token confirmed someone: %v", c)
		}
		s.postForm(t, "/o/alpha/privacy/subscribe/confirm", url.Values{"t": {tok}}).want(t, http.StatusOK, "Your subscription is confirmed")
		s.postForm(t, "/o/alpha/privacy/subscribe/confirm", url.Values{"t": {link(t, marc.Body, "/o/alpha/privacy/subscribe/confirm")}}).
			want(t, http.StatusOK, "Votre abonnement est confirmé")
		if c := s.counts(t); c[policy.SubConfirmed] != 2 {
			t.Fatalf("counts after confirmation: %v", c)
		}

		// A publication inside the notice period is refused and queues nothing.
		doc, _, err := s.inv.Document(ctx, privaq.System(s.org.ID), s.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc.Recipients[0].Name = "Nouveau fournisseur"
		if _, err := s.inv.Replace(ctx, privaq.System(s.org.ID), s.org.ID, doc); err != nil {
			t.Fatal(err)
		}
		actor := privaq.System(s.org.ID)
		po := policy.Org{ID: s.org.ID, Slug: s.org.Slug}
		d, err := s.pol.CreateDraft(ctx, actor, s.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.pol.Publish(ctx, actor, po, d.Number, policy.Publication{EffectiveAt: s.clock.Now().AddDate(0, 0, 5)}); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("inside the notice period: got %v", err)
		}
		send(0)
		v2, err := s.pol.Publish(ctx, actor, po, d.Number, policy.Publication{EffectiveAt: s.clock.Now().AddDate(0, 0, 30),
			Summary: inventory.Text{FR: "Nous changeons de fournisseur.", EN: "We are changing suppliers."}})
		if err != nil || v2.Notices != 2 {
			t.Fatalf("publish: %v, %d notices, want 2", err, v2.Notices)
		}
		send(2)
		msgs = smtp.Wait(t, 4)[2:]
		for _, m := range msgs {
			byTo[m.To[0]] = m
		}
		lea, marc = byTo["lea@example.org"], byTo["marc@example.org"]
		if !strings.HasPrefix(lea.Subject, "Entraide Jeunesse Rive-Sud is changing its privacy policy (effective ") || lea.Header.Get("Content-Language") != "en" ||
			!strings.Contains(lea.Body, "We are changing suppliers.") ||
			!strings.Contains(lea.Body, "https://privacy.example.org/o/alpha/privacy/v/2?lang=en") ||
			!strings.Contains(lea.Body, "https://privacy.example.org/o/alpha/privacy/diff?from=1&to=2&lang=en") {
			t.Errorf("English notice:\n%s\n%s", lea.Subject, lea.Body)
		}
		if !strings.HasPrefix(marc.Subject, "Entraide Jeunesse Rive-Sud modifie sa politique de confidentialité") || !strings.Contains(marc.Body, "Nous changeons de fournisseur.") ||
			!strings.Contains(marc.Body, "Ce qui change\u00a0:") {
			t.Errorf("French notice:\n%s\n%s", marc.Subject, marc.Body)
		}
		unsub := lea.Header.Get("List-Unsubscribe")
		if lea.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(lea.Body, strings.Trim(unsub, "<>")) {
			t.Errorf("List-Unsubscribe %q does not match the body's link", unsub)
		}

		// One-click unsubscribe (RFC 8058): a POST from a mail server,
		// without Origin, to the address of the header.
		u, err := url.Parse(strings.Trim(unsub, "<>"))
		if err != nil {
			t.Fatal(err)
		}
		s.post(t, "/o/alpha/privacy/unsubscribe?t=abc", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", "").want(t, http.StatusBadRequest)
		s.post(t, u.RequestURI(), "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", "").want(t, http.StatusOK, "You are unsubscribed")
		s.post(t, u.RequestURI(), "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", "").want(t, http.StatusOK)
		if c := s.counts(t); c[policy.SubConfirmed] != 1 || c[policy.SubUnsubscribed] != 1 {
			t.Fatalf("counts after unsubscribing: %v", c)
		}

		// An editorial change reaches no one; the next real change
		// reaches only the remaining subscriber.
		d, _ = s.pol.CreateDraft(ctx, actor, s.org.ID)
		if v, err := s.pol.Publish(ctx, actor, po, d.Number, policy.Publication{EffectiveAt: s.clock.Now().AddDate(0, 0, 31), Editorial: true, Reason: "Coquille"}); err != nil || v.Notices != 0 {
			t.Fatalf("editorial: %v, %d notices", err, v.Notices)
		}
		send(0)
	})
}

// TestVersionPDF checks the PDF of a published version: served in the
// language asked for, not found for a draft or an unknown version.
func TestVersionPDF(t *testing.T) {
	db := storetest.Open(t, "")
	s := newSite(t, db)
	s.publish(t, policy.Publication{})
	for _, lang := range []string{"fr", "en"} {
		p := s.get(t, "/o/alpha/privacy/v/1.pdf?lang="+lang, "")
		p.want(t, http.StatusOK, "%PDF-")
		if p.header.Get("Content-Type") != "application/pdf" || p.header.Get("Content-Language") != lang ||
			!strings.Contains(p.header.Get("Content-Disposition"), "-alpha-v1-"+lang+".pdf") || len(p.body) < 10000 {
			t.Errorf("%s PDF: %v, %d bytes", lang, p.header, len(p.body))
		}
		if again := s.get(t, "/o/alpha/privacy/v/1.pdf?lang="+lang, ""); again.body != p.body {
			t.Errorf("%s PDF: a second download differs", lang)
		}
	}
	if _, err := s.pol.CreateDraft(ctx, privaq.System(s.org.ID), s.org.ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/o/alpha/privacy/v/2.pdf", "/o/alpha/privacy/v/9.pdf", "/o/alpha/privacy/v/x.pdf", "/o/alpha/privacy/v/0.pdf", "/o/nobody/privacy/v/1.pdf"} {
		s.get(t, path, "").want(t, http.StatusNotFound)
	}
	s.get(t, "/o/alpha/privacy?lang=en", "").want(t, http.StatusOK, `href="/o/alpha/privacy/v/1.pdf?lang=en"`)
}
