package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"privaq/internal/browsertest"
	"privaq/internal/store/storetest"
)

// The browser tests drive Debian's Chromium over the real stack: every
// scenario below is what an officer does by hand, checked in the page the
// browser built (CSP, cookies, focus and all), plus an axe-core audit of
// the main pages in both languages against the WCAG 2.x A and AA rules that
// axe can check automatically.

const (
	browserTimeout = 5 * time.Minute // the whole run, both engines, under -race beside other browsers
	browserOrg     = "demo"
	browserEmail   = "officer@demo.test" // made by newTestSite
)

// browserStack is the application of the HTTP tests (newTestSite: the demo
// inventory in org "demo", one account per role), seen from Chromium.
type browserStack struct {
	url   string
	shots string // prefix of this engine's screenshot names
	site  *testSite
}

// org returns the URL of a page of the demo organization.
func (s *browserStack) org(path string) string { return s.url + "/admin/o/" + browserOrg + "/" + path }

func newBrowserStack(t *testing.T, dbURL, shots string) *browserStack {
	t.Helper()
	site := newTestSite(t, dbURL)
	return &browserStack{url: site.srv.URL, shots: shots, site: site}
}

func TestBrowser(t *testing.T) {
	chrome := browsertest.Start(t, browserTimeout)
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			shots := ""
			if e.Name != storetest.Engines[0].Name {
				shots = e.Name + "/"
			}
			st := newBrowserStack(t, e.URL(t), shots)
			tab := browsertest.Tab(t, chrome)
			t.Run("PurposeCreated", func(t *testing.T) { browserPurposeCreated(t, tab, st) })
			t.Run("FormErrorKept", func(t *testing.T) { browserFormErrorKept(t, tab, st) })
			t.Run("LanguageSwitch", func(t *testing.T) { browserLanguageSwitch(t, tab, st) })
			t.Run("Keyboard", func(t *testing.T) { browserKeyboard(t, tab, st) })
			t.Run("ConsentRecorded", func(t *testing.T) { browserConsentRecorded(t, tab, st) })
			// The pages are the same HTML on every engine: audit them once.
			if e.Name == storetest.Engines[0].Name {
				t.Run("Axe", func(t *testing.T) { browserAxe(t, tab, st) })
			}
		})
	}
}

// browserJS quotes a Go string as a JavaScript string literal.
func browserJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// browserShot saves a full-page PNG of the current page.
func browserShot(t *testing.T, ctx context.Context, st *browserStack, name string) {
	t.Helper()
	browsertest.Screenshot(t, ctx, st.shots+name)
}

// browserLogin signs the officer in from the login page in lang, as a user
// would, and lands on the organization's dashboard.
func browserLogin(t *testing.T, ctx context.Context, st *browserStack, lang string) {
	t.Helper()
	browsertest.Do(t, ctx, "open the login page",
		chromedp.Navigate(st.url+"/admin/login?lang="+lang),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), browserEmail),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	status, url := browsertest.Response(t, ctx, "sign in", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if want := st.org(""); status != http.StatusOK || url != want {
		t.Fatalf("after signing in: got %d %s, want 200 %s", status, url, want)
	}
}

// browserLang returns the page's <html lang>.
func browserLang(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browsertest.Run(t, ctx, "read <html lang>", chromedp.Evaluate[string](`document.documentElement.lang`))
}

// browserPurposeCreated is the smoke test of the issue: an officer adds a
// purpose whose French name carries accents and an apostrophe, and finds it,
// unchanged, in the list.
func browserPurposeCreated(t *testing.T, ctx context.Context, st *browserStack) {
	browsertest.ShotOnFailure(t, ctx)
	browserLogin(t, ctx, st, "fr")
	const (
		key    = "benevolat-ete"
		nameFR = "Bénévolat d'été à l'école Saint-Éloi"
		nameEN = "Summer volunteering"
	)
	nav := chromedp.CSS(`nav.side a[href$="/inventory/purposes"]`)
	if got := browsertest.Run(t, ctx, "read the menu", chromedp.Text(nav)); got != "Finalités" {
		t.Fatalf("purposes menu entry: got %q, want %q", got, "Finalités")
	}
	if status, _ := browsertest.Response(t, ctx, "open Finalités", chromedp.Click(nav)); status != http.StatusOK {
		t.Fatalf("purposes list: got status %d, want 200", status)
	}
	add := chromedp.CSS(`main a.button[href$="/inventory/purposes/_new"]`)
	if got := browsertest.Run(t, ctx, "read the add button", chromedp.Text(add)); got != "Ajouter" {
		t.Fatalf("add button: got %q, want %q", got, "Ajouter")
	}
	if status, _ := browsertest.Response(t, ctx, "click Ajouter", chromedp.Click(add)); status != http.StatusOK {
		t.Fatalf("new purpose form: got status %d, want 200", status)
	}
	browsertest.Do(t, ctx, "fill the form",
		chromedp.SendKeys(chromedp.ID("f-key"), key),
		chromedp.SendKeys(chromedp.ID("f-name-fr"), nameFR),
		chromedp.SendKeys(chromedp.ID("f-name-en"), nameEN),
		chromedp.SetValue(chromedp.ID("f-consent"), "express"),
	)
	for id, want := range map[string]string{"f-key": key, "f-name-fr": nameFR, "f-name-en": nameEN, "f-consent": "express"} {
		if got := browsertest.Run(t, ctx, "read "+id, chromedp.Value(chromedp.ID(id))); got != want {
			t.Fatalf("typed into #%s: got %q, want %q", id, got, want)
		}
	}
	status, url := browsertest.Response(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`)))
	if want := st.org("inventory/purposes?saved=" + key); status != http.StatusOK || url != want {
		t.Fatalf("after saving: got %d %s, want 200 %s", status, url, want)
	}
	row := browsertest.Run(t, ctx, "find the new row", chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const a = [...document.querySelectorAll('main table tbody a')].find(a => a.getAttribute('href').endsWith('/' + %s));
		if (!a) return null;
		return [a.textContent, a.closest('tr').querySelector('code').textContent];
	})()`, browserJS(key))))
	if len(row) != 2 {
		t.Fatalf("the purposes list has no row linking to %s", key)
	}
	if row[0] != nameFR || row[1] != key {
		t.Errorf("new row: got name %q key %q, want %q %q", row[0], row[1], nameFR, key)
	}
	browserShot(t, ctx, st, "purpose-created")
}

// browserFormErrorKept submits an invalid key: the form comes back with what
// was typed and a French error tied to the field (Law 25 asks nothing here,
// WCAG 3.3.1 and 3.3.3 do).
func browserFormErrorKept(t *testing.T, ctx context.Context, st *browserStack) {
	browsertest.ShotOnFailure(t, ctx)
	browserLogin(t, ctx, st, "fr")
	const (
		key  = "Bad Key!"
		name = "Camp de jour — inscriptions"
	)
	form := st.org("inventory/purposes/_new")
	browsertest.Do(t, ctx, "fill the form",
		chromedp.Navigate(form),
		chromedp.SendKeys(chromedp.ID("f-key"), key),
		chromedp.SendKeys(chromedp.ID("f-name-fr"), name),
		chromedp.SetValue(chromedp.ID("f-consent"), "implied"),
	)
	status, url := browsertest.Response(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`)))
	if status != http.StatusUnprocessableEntity || url != form {
		t.Fatalf("after saving: got %d %s, want %d %s", status, url, http.StatusUnprocessableEntity, form)
	}
	if got := browsertest.Run(t, ctx, "read the key", chromedp.Value(chromedp.ID("f-key"))); got != key {
		t.Errorf("key input: got %q, want %q", got, key)
	}
	if got := browsertest.Run(t, ctx, "read the name", chromedp.Value(chromedp.ID("f-name-fr"))); got != name {
		t.Errorf("name input: got %q, want %q", got, name)
	}
	msg := browsertest.Run(t, ctx, "read the key's error", chromedp.Text(chromedp.ID("e-key")))
	if strings.TrimSpace(msg) == "" || !strings.Contains(msg, "clé") {
		t.Errorf("#e-key: got %q, want a French message about the key", msg)
	}
	attrs := browsertest.Run(t, ctx, "read the key's attributes", chromedp.Attributes(chromedp.ID("f-key")))
	if attrs["aria-invalid"] != "true" {
		t.Errorf(`#f-key aria-invalid: got %q, want "true"`, attrs["aria-invalid"])
	}
	if !strings.Contains(" "+attrs["aria-describedby"]+" ", " e-key ") {
		t.Errorf("#f-key aria-describedby: got %q, want it to name e-key", attrs["aria-describedby"])
	}
	if got := browsertest.Run(t, ctx, "read the alert", chromedp.Evaluate[int](`document.querySelectorAll('main [role=alert]').length`)); got != 1 {
		t.Errorf("alerts on the page: got %d, want 1", got)
	}
	browserShot(t, ctx, st, "purpose-form-error")
}

// browserLanguageSwitch follows the language link both ways; the choice
// sticks to the pages that come after it.
func browserLanguageSwitch(t *testing.T, ctx context.Context, st *browserStack) {
	browsertest.ShotOnFailure(t, ctx)
	browserLogin(t, ctx, st, "fr")
	sw := chromedp.CSS(`nav.tools a[hreflang]`)
	if got := browsertest.Run(t, ctx, "read the switch", chromedp.Text(sw)); got != "English" {
		t.Fatalf("language link: got %q, want %q", got, "English")
	}
	if status, _ := browsertest.Response(t, ctx, "click English", chromedp.Click(sw)); status != http.StatusOK {
		t.Fatalf("dashboard in English: got status %d, want 200", status)
	}
	if got := browserLang(t, ctx); got != "en" {
		t.Fatalf(`<html lang>: got %q, want "en"`, got)
	}
	if menu := browsertest.Run(t, ctx, "read the menu", chromedp.Text(chromedp.CSS(`nav.side`))); !strings.Contains(menu, "Purposes") || !strings.Contains(menu, "Dashboard") {
		t.Errorf("English menu: got %q, want Purposes and Dashboard", menu)
	}
	browserShot(t, ctx, st, "dashboard-en")

	// The cookie keeps English on the next page, until switched back.
	browsertest.Do(t, ctx, "open the checks", chromedp.Navigate(st.org("checks")))
	if got := browserLang(t, ctx); got != "en" {
		t.Fatalf(`checks page <html lang> after choosing English: got %q, want "en"`, got)
	}
	if status, _ := browsertest.Response(t, ctx, "click Français", chromedp.Click(sw)); status != http.StatusOK {
		t.Fatalf("checks in French: got status %d, want 200", status)
	}
	if got := browserLang(t, ctx); got != "fr" {
		t.Fatalf(`<html lang>: got %q, want "fr"`, got)
	}
	if h1 := browsertest.Run(t, ctx, "read the title", chromedp.Text(chromedp.CSS(`main h1`))); h1 != "Vérification de conformité" {
		t.Errorf("checks title: got %q, want %q", h1, "Vérification de conformité")
	}
	browserShot(t, ctx, st, "checks-fr")
}

// browserFocused describes document.activeElement: its id, else its tag,
// type and text.
const browserFocused = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return 'body';
	if (e.id) return '#' + e.id;
	return e.tagName.toLowerCase() + (e.type ? '[' + e.type + ']' : '') + (e.className ? '.' + e.className : '');
})()`

// browserKeyboard checks that the sign-in form and the skip link work from
// the keyboard alone (WCAG 2.1.1 and 2.4.1).
func browserKeyboard(t *testing.T, ctx context.Context, st *browserStack) {
	browsertest.ShotOnFailure(t, ctx)
	browsertest.Do(t, ctx, "open the login page",
		chromedp.Navigate(st.url+"/admin/login?lang=fr"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	// Whether autofocus already put the caret in the email field or not,
	// the fields must come in this order, with nothing between them.
	seq := []string{browsertest.Run(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused))}
	for range 12 {
		if seq[len(seq)-1] == "button[submit]" {
			break
		}
		browsertest.Do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		seq = append(seq, browsertest.Run(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused)))
	}
	want := []string{"#email", "#password", "button[submit]"}
	found := false
	for i := 0; i+len(want) <= len(seq); i++ {
		if strings.Join(seq[i:i+len(want)], " ") == strings.Join(want, " ") {
			found = true
		}
	}
	if !found {
		t.Errorf("focus order on the login page: got %q, want %q in a row", seq, want)
	}

	browserLogin(t, ctx, st, "fr")
	for _, page := range []string{"", "inventory/purposes", "checks"} {
		browsertest.Do(t, ctx, "open "+page, chromedp.Navigate(st.org(page)))
		browsertest.Do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		got := browsertest.Run(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused))
		if got != "a.skip" {
			t.Errorf("/%s: first Tab focuses %s, want the skip link a.skip", page, got)
			continue
		}
		visible := browsertest.Run(t, ctx, "measure the skip link", chromedp.Evaluate[bool](
			`(() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 1 && r.height > 1 && r.top >= 0; })()`))
		if !visible {
			t.Errorf("/%s: the focused skip link is not visible", page)
		}
		browsertest.Do(t, ctx, "press Enter", chromedp.KeyEvent("\r"))
		if got := browsertest.Run(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused)); got != "#main" {
			t.Errorf("/%s: after following the skip link the focus is on %s, want #main", page, got)
		}
	}
}

// browserAxe audits the main pages in French and English and fails on any
// WCAG 2.2 A/AA violation that axe-core can detect.
func browserAxe(t *testing.T, ctx context.Context, st *browserStack) {
	script := browsertest.AxeScript(t)
	browserLogin(t, ctx, st, "fr")
	pages := []struct {
		name string
		open func(t *testing.T, lang string)
	}{
		{"login", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.url+"/admin/login?lang="+lang))
		}},
		{"dashboard", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("?lang="+lang)))
		}},
		{"purposes", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("inventory/purposes?lang="+lang)))
		}},
		{"purpose-form-error", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "fill",
				chromedp.Navigate(st.org("inventory/purposes/_new?lang="+lang)),
				chromedp.SendKeys(chromedp.ID("f-key"), "Bad Key!"),
				chromedp.SendKeys(chromedp.ID("f-name-fr"), "Nom"),
			)
			if status, _ := browsertest.Response(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`))); status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid form: got status %d, want 422", status)
			}
		}},
		{"checks", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("checks?lang="+lang)))
		}},
		{"profile", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("profile?lang="+lang)))
		}},
		{"policy-preview", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("policy?doc="+lang+"&lang="+lang)))
		}},
	}
	pages = append(pages, consentAxePages(ctx, st)...)
	pages = append(pages, webhookAxePages(ctx, st)...)
	pages = append(pages, bannerAxePages(ctx, st)...)
	// A zero count is only worth something if axe runs and can fail: an
	// image without a text alternative must be reported.
	t.Run("sanity", func(t *testing.T) {
		browsertest.Do(t, ctx, "open", chromedp.Navigate(st.url+"/admin/login?lang=fr"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('main').append(Object.assign(document.createElement('img'), {src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', id: 'no-alt'}))`))
		res := browsertest.Axe(t, ctx, script)
		if len(res.Violations) != 1 || res.Violations[0].ID != "image-alt" {
			t.Fatalf("axe on a page with an image without alt: got %+v, want one image-alt violation", res.Violations)
		}
	})
	for _, lang := range []string{"fr", "en"} {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				browsertest.ShotOnFailure(t, ctx)
				p.open(t, lang)
				if got := browserLang(t, ctx); got != lang {
					t.Fatalf("<html lang>: got %q, want %q", got, lang)
				}
				browsertest.Audit(t, ctx, script, lang+"/"+p.name)
			})
		}
	}
}
