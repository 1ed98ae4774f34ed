package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// TestBannerPage shows the banner's page in both languages and saves its
// settings through the inventory, refusing colours that fail WCAG
// contrast and keeping what was typed.
func TestBannerPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("officer@demo.test")
		rev := banner.Build(inventory.Demo(), "demo").Revision
		for _, lang := range []string{"en", "fr"} { // French last: the language cookie stays for the forms below
			req, _ := http.NewRequest("GET", b.base+"/admin/o/demo/banner?lang="+lang, nil)
			code, body, h := b.do(req)
			if code != http.StatusOK || !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Fatalf("banner page (%s): got %d", lang, code)
			}
			for _, want := range []string{`&lt;script src=&#34;/o/demo/banner.js&#34; async&gt;&lt;/script&gt;`, `src="/o/demo/banner/preview?lang=fr"`,
				`src="/o/demo/banner/preview?lang=en"`, "<code>" + rev + "</code>", `name="_csrf"`, `aria-current="page">` + map[string]string{"fr": "Bannière de témoins", "en": "Cookie banner"}[lang]} {
				if !strings.Contains(body, want) {
					t.Errorf("banner page (%s) lacks %s", lang, want)
				}
			}
			if m := missingKeyRE.FindString(body); m != "" {
				t.Errorf("banner page (%s): missing catalog key %s", lang, m)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.HasSuffix(csp, "; frame-src 'self'") {
				t.Errorf("CSP %q: want the admin's, with frames of privaq's own pages only", csp)
			}
		}

		form := url.Values{"_csrf": {b.csrf("/admin/o/demo/banner")}, "position": {"center"}, "background": {"#ffffff"}, "text": {"#777777"},
			"accent": {"#1d4ed8"}, "accent_text": {"#ffffff"}, "reconsent_months": {"6"}, "allowed_origins": {"https://shop.example.org\nhttps://Bad.example.org/path"}}
		code, body, _ := b.post("/admin/o/demo/banner", form)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("low contrast: got %d, want 422", code)
		}
		for _, want := range []string{`id="e-text"`, "4,48:1", `id="e-allowed_origins"`, "https://Bad.example.org/path", `value="6"`, `id="f-position-center" name="position" value="center" checked`} {
			if !strings.Contains(body, want) {
				t.Errorf("refused form lacks %q", want)
			}
		}

		form.Set("text", "#1f2328")
		form.Set("accent", "#000000")
		form.Set("allowed_origins", "https://shop.example.org\n\n")
		code, _, h := b.post("/admin/o/demo/banner", form)
		if code != http.StatusSeeOther || h.Get("Location") != "/admin/o/demo/banner?saved=1" {
			t.Fatalf("valid settings: got %d to %q", code, h.Get("Location"))
		}
		doc, _, err := (&inventory.Service{Store: s.db}).Document(context.Background(), privaq.System(s.demo.ID), s.demo.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := inventory.BannerSettings{Position: "center", Accent: "#000000", ReconsentMonths: 6, AllowedOrigins: []string{"https://shop.example.org"}}
		if got := doc.Policy.Banner; got.Position != want.Position || got.Accent != want.Accent || got.Text != "" || got.Background != "" ||
			got.ReconsentMonths != 6 || strings.Join(got.AllowedOrigins, ",") != "https://shop.example.org" {
			t.Errorf("saved settings: got %+v, want %+v (defaults left unset)", got, want)
		}
		if _, body := b.get("/admin/o/demo/banner"); strings.Contains(body, "<code>"+rev+"</code>") {
			t.Error("the revision did not change with the settings")
		}
		// The profile form keeps the banner's settings it does not show.
		pf := url.Values{"_csrf": {b.csrf("/admin/o/demo/profile")}, "name": {"Démo"}, "regime": {"private"}, "languages": {"fr", "en"},
			"notice_days": {"30"}, "request_delay_days": {"30"}}
		if code, body, _ := b.post("/admin/o/demo/profile", pf); code != http.StatusSeeOther {
			t.Fatalf("profile: got %d\n%s", code, body)
		}
		doc, _, _ = (&inventory.Service{Store: s.db}).Document(context.Background(), privaq.System(s.demo.ID), s.demo.ID)
		if doc.Policy.Banner.Accent != "#000000" {
			t.Errorf("saving the profile lost the banner settings: %+v", doc.Policy.Banner)
		}

		a := s.browser(t)
		a.login("auditor@demo.test")
		if _, body := a.get("/admin/o/demo/banner"); !strings.Contains(body, `<fieldset class="readonly" disabled>`) {
			t.Error("an auditor gets an editable banner form")
		}
	})
}

// TestDashboardBannerRates records banner choices and reads the
// dashboard's acceptance rates per category.
func TestDashboardBannerRates(t *testing.T) {
	s := newTestSite(t, "")
	ctx := context.Background()
	w := consent.NewWriter(s.db, privaq.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	wctx, stop := context.WithCancel(ctx)
	go w.Run(wctx)
	t.Cleanup(stop)
	cons := &consent.Service{Store: s.db, Writer: w, Sources: s.db, Audit: s.db, Clock: privaq.SystemClock{}}
	b := s.browser(t)
	b.login("officer@demo.test")
	if _, body := b.get("/admin/o/demo/"); !strings.Contains(body, "Aucun choix enregistré par la bannière") {
		t.Error("dashboard without banner choices: no empty message")
	}
	c := banner.Build(inventory.Demo(), "demo")
	for i, cats := range []map[string]bool{{"statistics": true, "marketing": false, "preferences": true}, {"statistics": false, "marketing": false, "preferences": true},
		{"statistics": true, "marketing": false, "preferences": false}, {"statistics": true, "marketing": true, "preferences": true}} {
		in, err := banner.Inputs(banner.Choice{Visitor: strings.Repeat(string(rune('a'+i)), 32), Revision: c.Revision, Categories: cats, Action: "custom"}, c, "https://a.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cons.Record(ctx, privaq.System(s.demo.ID), s.demo.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	_, body := b.get("/admin/o/demo/")
	row := func(name string) string {
		m := regexp.MustCompile(`<th scope="row">` + name + `</th>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*<td>.*?(\d+)\x{00a0}%`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("dashboard: no row for %s", name)
		}
		return strings.Join(m[1:], " ")
	}
	for name, want := range map[string]string{"Statistiques": "4 3 1 75", "Marketing": "4 1 3 25", "Préférences": "4 3 1 75"} {
		if got := row(name); got != want {
			t.Errorf("%s: got choices, accepted, refused, rate %q, want %q", name, got, want)
		}
	}
	if strings.Contains(body, "cookies.statistics") {
		t.Error("the consent chart shows the banner's pseudo-purposes")
	}
}
