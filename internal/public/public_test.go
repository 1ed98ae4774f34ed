package public_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/public"
	"privaq/internal/rights"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

type site struct {
	srv   *httptest.Server
	pol   *policy.Service
	inv   *inventory.Service
	clock *privaq.ManualClock
	org   org.Org
	db    *store.DB
	// rights serves the requests; its SQLiteDir holds the sample shop.
	rights *rights.Service
}

func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	c := privaq.NewManualClock(time.Date(2026, 2, 2, 15, 0, 0, 0, time.UTC))
	orgs := &org.Service{Store: db, Clock: c}
	o, err := orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr")
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{Store: db}
	if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	pol := &policy.Service{Store: db, Subscribers: db, Inventory: inv, Clock: c, BaseURL: "https://privacy.example.org"}
	req := &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: c, BaseURL: "https://privacy.example.org", SQLiteDir: t.TempDir()}
	p, err := public.New(public.Config{OrgStore: db, Policies: pol, Log: slog.New(slog.NewTextHandler(t.Output(), nil)), BaseURL: "https://privacy.example.org",
		Rights: req})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{srv: srv, pol: pol, inv: inv, clock: c, org: o, db: db, rights: req}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (s *site) get(t *testing.T, path, acceptLanguage string) page {
	t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{res.StatusCode, res.Header, string(b)}
}

func (p page) want(t *testing.T, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status: got %d, want %d\n%.400s", p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Errorf("body: got no %q in\n%.600s", s, p.body)
		}
	}
}

var inlineCode = regexp.MustCompile(`<script|<style|\sstyle=|\son[a-z]+=`)

func (s *site) publish(t *testing.T, p policy.Publication) policy.Version {
	t.Helper()
	actor := privaq.System(s.org.ID)
	v, err := s.pol.CreateDraft(ctx, actor, s.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v, err = s.pol.Publish(ctx, actor, policy.Org{ID: s.org.ID, Slug: s.org.Slug}, v.Number, p); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPublicPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		for _, path := range []string{"/o/nobody/privacy", "/o/nobody/privacy/versions", "/o/nobody/privacy/v/1", "/o/nobody/privacy.json",
			"/o/alpha/privacy", "/o/alpha/privacy/versions", "/o/alpha/privacy/v/1", "/o/alpha/privacy.json", "/o/alpha/privacy/v/x"} {
			s.get(t, path, "").want(t, http.StatusNotFound)
		}
		s.get(t, "/o/alpha/privacy", "").want(t, http.StatusNotFound, "Aucune politique publiée")

		s.publish(t, policy.Publication{Summary: inventory.Text{FR: "Première version"}})
		p := s.get(t, "/o/alpha/privacy", "")
		p.want(t, http.StatusOK, `<html lang="fr">`, `class="skip" href="#main"`, `<main id="main"`, `<article class="privaq-policy" lang="fr">`)
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP: got %q, want a strict one", csp)
		}
		if loc := inlineCode.FindStringIndex(p.body); loc != nil {
			t.Errorf("inline script or style: %q", p.body[loc[0]:min(loc[1]+40, len(p.body))])
		}
		css := regexp.MustCompile(`href="(/static/public\.[0-9a-f]+\.css)"`).FindStringSubmatch(p.body)
		if css == nil {
			t.Fatal("no stylesheet link")
		}
		s.get(t, css[1], "").want(t, http.StatusOK, "@media print")
		s.get(t, "/o/alpha/privacy", "en-CA,en;q=0.9,fr;q=0.5").want(t, http.StatusOK, `<html lang="en">`)
		s.get(t, "/o/alpha/privacy?lang=fr", "en").want(t, http.StatusOK, `<html lang="fr">`)
		s.get(t, "/o/alpha/privacy/v/1?lang=en", "").want(t, http.StatusOK, `<article class="privaq-policy" lang="en">`)

		j := s.get(t, "/o/alpha/privacy.json?lang=en", "")
		j.want(t, http.StatusOK)
		var pol policy.Policy
		if err := json.Unmarshal([]byte(j.body), &pol); err != nil || pol.Version != 1 || pol.Lang != "en" {
			t.Errorf("privacy.json: got version %d lang %q (%v), want version 1 in English", pol.Version, pol.Lang, err)
		}

		// A draft is not public.
		if _, err := s.pol.CreateDraft(ctx, privaq.System(s.org.ID), s.org.ID); err != nil {
			t.Fatal(err)
		}
		s.get(t, "/o/alpha/privacy/v/2", "").want(t, http.StatusNotFound)

		// During the notice period, the current page announces the next
		// version with its date and summary.
		at := s.clock.Now().AddDate(0, 0, 30)
		if _, err := s.pol.Publish(ctx, privaq.System(s.org.ID), policy.Org{ID: s.org.ID, Slug: s.org.Slug}, 2, policy.Publication{EffectiveAt: at,
			Summary: inventory.Text{FR: "Nous ajoutons une fin.", EN: "We add a purpose."}}); err != nil {
			t.Fatal(err)
		}
		date := policy.Date(at, "fr")
		s.get(t, "/o/alpha/privacy", "").want(t, http.StatusOK, "Une nouvelle version entrera en vigueur le "+date,
			"Nous ajoutons une fin.", `href="/o/alpha/privacy/v/2?lang=fr"`, "Version 1")
		s.get(t, "/o/alpha/privacy?lang=en", "").want(t, http.StatusOK, "A new version takes effect on "+policy.Date(at, "en"), "We add a purpose.")
		s.get(t, "/o/alpha/privacy/v/2", "").want(t, http.StatusOK, "Entrera en vigueur le "+date)
		s.get(t, "/o/alpha/privacy/versions", "").want(t, http.StatusOK, "Version 2", "Version 1", "À venir", "En vigueur")

		// Once in effect, version 2 is current and version 1 superseded.
		s.clock.Add(30*24*time.Hour + time.Minute)
		p = s.get(t, "/o/alpha/privacy", "")
		p.want(t, http.StatusOK)
		if strings.Contains(p.body, "Une nouvelle version") {
			t.Error("notice still shown after the new version took effect")
		}
		s.get(t, "/o/alpha/privacy/v/1", "").want(t, http.StatusOK, "Cette version a été remplacée")
		s.get(t, "/o/alpha/privacy/versions", "").want(t, http.StatusOK, "Remplacée")
	})
}
