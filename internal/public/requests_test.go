package public_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var requestLinkRE = regexp.MustCompile(`https://privacy\.example\.org(/o/alpha/requests/[a-z]+)\?t=([A-Za-z0-9_-]+)`)

// mailTo returns the texts of the outbox's messages of a kind, newest first.
func (s *site) mailsOf(t *testing.T, kind string) []string {
	t.Helper()
	list, err := s.db.Outbox(ctx, s.org.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range list {
		if m.Kind == kind {
			full, err := s.db.OutboxMessage(ctx, s.org.ID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full.Text)
		}
	}
	return out
}

// TestRequestForm files a request on the public form, confirms it by the
// mailed link and follows it on its status page, with bad input and a
// robot on the way.
func TestRequestForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		p := s.get(t, "/o/alpha/requests/new", "fr-CA")
		p.want(t, 200, "Faire une demande", `name="type"`, `value="access"`, `name="rep_capacity"`, `class="hp"`)
		if inlineCode.MatchString(p.body) {
			t.Errorf("the form has inline script or style")
		}
		s.get(t, "/o/alpha/requests/new?lang=en", "").want(t, 200, "Make a request about your personal information")

		// Bad input: every error next to its field, the input kept.
		bad := url.Values{"type": {"erase-all"}, "name": {"Élise Tremblay"}, "email": {"elise@"}, "details": {"Mes dossiers"}}
		p = s.postForm(t, "/o/alpha/requests/new?lang=fr", bad)
		p.want(t, 422, `id="err-type"`, `id="err-email"`, `value="Élise Tremblay"`, "Mes dossiers", `aria-invalid="true"`)
		// A robot filling the hidden field is answered as a person, and
		// nothing is sent.
		robot := url.Values{"type": {"access"}, "name": {"Bot"}, "email": {"bot@example.org"}, "website": {"http://spam.example"}}
		if p = s.postForm(t, "/o/alpha/requests/new?lang=fr", robot); p.status != http.StatusSeeOther {
			t.Fatalf("robot: got %d, want 303", p.status)
		}
		if got := s.mailsOf(t, "request.confirm"); len(got) != 0 {
			t.Fatalf("bad input and robot sent %d confirmations, want 0", len(got))
		}
		// A cross-site post is refused.
		if p = s.post(t, "/o/alpha/requests/new", "application/x-www-form-urlencoded", robot.Encode(), "https://evil.example"); p.status != http.StatusForbidden {
			t.Fatalf("cross-site post: got %d, want 403", p.status)
		}

		good := url.Values{"type": {"access"}, "name": {"Élise Tremblay"}, "email": {"elise@exemple.qc.ca"}, "details": {"Tout ce que vous avez."},
			"rep_name": {"Léo Tremblay"}, "rep_capacity": {"parent"}}
		p = s.postForm(t, "/o/alpha/requests/new?lang=fr", good)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/o/alpha/requests/new?sent=1&lang=fr" {
			t.Fatalf("submit: got %d %s", p.status, p.header.Get("Location"))
		}
		s.get(t, "/o/alpha/requests/new?sent=1&lang=fr", "").want(t, 200, "72")
		confirms := s.mailsOf(t, "request.confirm")
		if len(confirms) != 1 {
			t.Fatalf("got %d confirmations, want 1", len(confirms))
		}
		m := requestLinkRE.FindStringSubmatch(confirms[0])
		if m == nil || m[1] != "/o/alpha/requests/confirm" {
			t.Fatalf("no confirmation link in %s", confirms[0])
		}
		// The link's GET asks; only the POST confirms (mail scanners).
		s.get(t, "/o/alpha/requests/confirm?t="+m[2], "fr").want(t, 200, "Confirmer ma demande")
		if got := s.mailsOf(t, "request.acknowledgement"); len(got) != 0 {
			t.Fatalf("GET of the link confirmed the request")
		}
		p = s.postForm(t, "/o/alpha/requests/confirm?lang=fr", url.Values{"t": {m[2]}})
		p.want(t, 200, "REQ-2026-001", "Réponse due au plus tard le", "4\u00a0mars\u00a02026")
		s.postForm(t, "/o/alpha/requests/confirm?lang=fr", url.Values{"t": {m[2]}}).want(t, 400, "n’est pas valide")

		acks := s.mailsOf(t, "request.acknowledgement")
		if len(acks) != 1 || !strings.Contains(acks[0], "Léo Tremblay") || !strings.Contains(acks[0], "référence est REQ-2026-001") {
			t.Fatalf("acknowledgement: got %q", acks)
		}
		st := requestLinkRE.FindStringSubmatch(acks[0])
		if st == nil || st[1] != "/o/alpha/requests/status" {
			t.Fatalf("no status link in %s", acks[0])
		}
		p = s.get(t, "/o/alpha/requests/status?t="+st[2]+"&lang=fr", "")
		p.want(t, 200, "REQ-2026-001", "Reçue", "Accusé de réception")
		if p.header.Get("Cache-Control") != "no-store" || p.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("status page headers: got %q %q", p.header.Get("Cache-Control"), p.header.Get("Referrer-Policy"))
		}
		s.get(t, "/o/alpha/requests/status?t=nope", "").want(t, 400)
	})
}
