package public_test

import (
	"archive/zip"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
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

// TestRequestDownload: the requester downloads the access archive from
// the status page, through the same secret link, until it expires.
func TestRequestDownload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		sys := privaq.System(s.org.ID)
		dir, _ := s.rights.SQLiteDirOf(ctx, s.org.ID)
		os.Mkdir(dir, 0o700)
		shop := filepath.Join(dir, "shop.db")
		if err := connector.CreateSample(ctx, shop); err != nil {
			t.Fatal(err)
		}
		if _, err := s.rights.CreateConnector(ctx, sys, s.org.ID, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: shop}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.rights.SetTables(ctx, sys, s.org.ID, "shop", connector.SampleMapping()); err != nil {
			t.Fatal(err)
		}
		rq, err := s.rights.Create(ctx, sys, s.org.ID, rights.Input{Type: rights.TypePortability, Channel: rights.ChannelEmail, Lang: "en",
			Requester: rights.Person{Name: "Alice Tremblay", Email: "alice@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		st := requestLinkRE.FindStringSubmatch(s.mailsOf(t, "request.acknowledgement")[0])
		status := "/o/alpha/requests/status?t=" + st[2] + "&lang=en"
		if p := s.get(t, status, ""); strings.Contains(p.body, "/requests/download") {
			t.Fatal("a download link before any archive")
		}
		if _, err := s.rights.VerifyIdentity(ctx, sys, s.org.ID, rq.ID, "email_match", "", "staff"); err != nil {
			t.Fatal(err)
		}
		x, err := s.rights.Collect(ctx, sys, s.org.ID, rq.ID)
		if err != nil {
			t.Fatal(err)
		}
		p := s.get(t, status, "")
		link := regexp.MustCompile(`href="(/o/alpha/requests/download\?t=[^"]+)"`).FindStringSubmatch(p.body)
		if link == nil || !strings.Contains(p.body, "10 rows") {
			t.Fatalf("no download link on the status page:\n%s", p.body)
		}
		path := strings.ReplaceAll(link[1], "&amp;", "&")
		p = s.get(t, path, "")
		if p.status != 200 || p.header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(p.body, "PK") ||
			p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("download: %d %s", p.status, p.header.Get("Content-Type"))
		}
		z, err := zip.NewReader(strings.NewReader(p.body), int64(len(p.body)))
		if err != nil || z.File[len(z.File)-1].Name != "README.txt" {
			t.Fatalf("archive: %v", err)
		}
		got, _ := s.rights.Exports(ctx, sys, s.org.ID, rq.ID)
		if got[0].Downloaded == nil {
			t.Error("the download is not recorded")
		}
		for _, bad := range []string{
			"/o/alpha/requests/download?t=" + st[2] + "&x=" + strconv.FormatInt(x.ID+1, 10),
			"/o/alpha/requests/download?t=nope&x=" + strconv.FormatInt(x.ID, 10),
			"/o/alpha/requests/download?t=" + st[2] + "&x=abc",
			"/o/nowhere/requests/download?t=" + st[2] + "&x=" + strconv.FormatInt(x.ID, 10),
		} {
			if p := s.get(t, bad, ""); p.status != http.StatusNotFound {
				t.Errorf("%s: got %d, want 404", bad, p.status)
			}
		}
		s.clock.Add(rights.ExportFor + time.Hour)
		if p := s.get(t, path, ""); p.status != http.StatusNotFound {
			t.Errorf("expired archive: got %d, want 404", p.status)
		}
		if p := s.get(t, status, ""); strings.Contains(p.body, "/requests/download") {
			t.Error("the status page still offers an expired archive")
		}
	})
}
