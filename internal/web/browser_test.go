package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"privaq/internal/store/storetest"
)

// The browser tests drive Debian's Chromium over the real stack: every
// scenario below is what an officer does by hand, checked in the page the
// browser built (CSP, cookies, focus and all), plus an axe-core audit of
// the main pages in both languages against the WCAG 2.x A and AA rules that
// axe can check automatically.

const (
	browserExec    = "/usr/bin/chromium"
	browserTimeout = 3 * time.Minute // the whole run, on every engine
	browserOrg     = "demo"
	browserEmail   = "officer@demo.test" // made by newTestSite
	browserAxeFile = "testdata/node_modules/axe-core/axe.min.js"
)

// browserStack is the application of the HTTP tests (newTestSite: the demo
// inventory in org "demo", one account per role), seen from Chromium.
type browserStack struct {
	url   string
	shots string // where the screenshots of this engine go
}

// org returns the URL of a page of the demo organization.
func (s *browserStack) org(path string) string { return s.url + "/admin/o/" + browserOrg + "/" + path }

func newBrowserStack(t *testing.T, dbURL, shots string) *browserStack {
	t.Helper()
	site := newTestSite(t, dbURL)
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	stale, _ := filepath.Glob(filepath.Join(shots, "failed-*.png"))
	for _, f := range stale {
		os.Remove(f) // from an earlier run: only this run's failures stay
	}
	return &browserStack{url: site.srv.URL, shots: shots}
}

// browserRequired reports whether a missing browser or axe-core must fail
// the test rather than skip it (CI sets it).
func browserRequired() bool { return os.Getenv("REQUIRE_BROWSER") == "1" }

// browserStart launches one headless Chromium for the whole test and returns
// the context of its first tab. The deadline sits on the allocator's parent,
// so that a hung browser is killed rather than waited for.
func browserStart(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(browserExec); err != nil {
		if browserRequired() {
			t.Fatalf("%s is required (REQUIRE_BROWSER=1): %v", browserExec, err)
		}
		t.Skipf("%s not found, skipping the browser tests (set REQUIRE_BROWSER=1 to fail instead)", browserExec)
	}
	parent, cancelParent := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancelParent)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(browserExec),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", browserExec, err)
	}
	return ctx
}

// browserTab opens a tab in a browser context of its own, so that cookies
// (session, language) never leak from one engine's run to the next.
func browserTab(t *testing.T, chrome context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(chrome, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// browserAxeScript reads axe-core from the npm install of testdata.
func browserAxeScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(browserAxeFile)
	if err != nil {
		if browserRequired() {
			t.Fatalf("axe-core is required (REQUIRE_BROWSER=1); run npm ci in internal/web/testdata: %v", err)
		}
		t.Skipf("axe-core not installed, skipping (run npm ci in internal/web/testdata; set REQUIRE_BROWSER=1 to fail instead): %v", err)
	}
	return string(b)
}

func TestBrowser(t *testing.T) {
	chrome := browserStart(t)
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			shots := filepath.Join("..", "..", "artifacts", "browser")
			if e.Name != storetest.Engines[0].Name {
				shots = filepath.Join(shots, e.Name)
			}
			st := newBrowserStack(t, e.URL(t), shots)
			tab := browserTab(t, chrome)
			t.Run("PurposeCreated", func(t *testing.T) { browserPurposeCreated(t, tab, st) })
			t.Run("FormErrorKept", func(t *testing.T) { browserFormErrorKept(t, tab, st) })
			t.Run("LanguageSwitch", func(t *testing.T) { browserLanguageSwitch(t, tab, st) })
			t.Run("Keyboard", func(t *testing.T) { browserKeyboard(t, tab, st) })
			// The pages are the same HTML on every engine: audit them once.
			if e.Name == storetest.Engines[0].Name {
				t.Run("Axe", func(t *testing.T) { browserAxe(t, tab, st) })
			}
		})
	}
}

// browserDo runs steps, failing the test with what was being done.
func browserDo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserRun runs one action that returns a value.
func browserRun[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// browserNavigate runs steps that load a page (a click on a link or a
// submit button) and returns the final HTTP status and URL.
func browserNavigate(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) (int, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return int(resp.Status), resp.URL
}

// browserJS quotes a Go string as a JavaScript string literal.
func browserJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// browserShot saves a full-page PNG of the current page.
func browserShot(t *testing.T, ctx context.Context, st *browserStack, name string) {
	t.Helper()
	png := browserRun(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(st.shots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
}

// browserShotOnFailure keeps the page a failed scenario ended on.
func browserShotOnFailure(t *testing.T, ctx context.Context, st *browserStack) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		name := "failed-" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()) + ".png"
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(st.shots, name), png, 0o644)
			t.Logf("screenshot of the failure: %s", filepath.Join(st.shots, name))
		}
	})
}

// browserLogin signs the officer in from the login page in lang, as a user
// would, and lands on the organization's dashboard.
func browserLogin(t *testing.T, ctx context.Context, st *browserStack, lang string) {
	t.Helper()
	browserDo(t, ctx, "open the login page",
		chromedp.Navigate(st.url+"/admin/login?lang="+lang),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), browserEmail),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	status, url := browserNavigate(t, ctx, "sign in", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if want := st.org(""); status != http.StatusOK || url != want {
		t.Fatalf("after signing in: got %d %s, want 200 %s", status, url, want)
	}
}

// browserLang returns the page's <html lang>.
func browserLang(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browserRun(t, ctx, "read <html lang>", chromedp.Evaluate[string](`document.documentElement.lang`))
}

// browserPurposeCreated is the smoke test of the issue: an officer adds a
// purpose whose French name carries accents and an apostrophe, and finds it,
// unchanged, in the list.
func browserPurposeCreated(t *testing.T, ctx context.Context, st *browserStack) {
	browserShotOnFailure(t, ctx, st)
	browserLogin(t, ctx, st, "fr")
	const (
		key    = "benevolat-ete"
		nameFR = "Bénévolat d'été à l'école Saint-Éloi"
		nameEN = "Summer volunteering"
	)
	nav := chromedp.CSS(`nav.side a[href$="/inventory/purposes"]`)
	if got := browserRun(t, ctx, "read the menu", chromedp.Text(nav)); got != "Finalités" {
		t.Fatalf("purposes menu entry: got %q, want %q", got, "Finalités")
	}
	if status, _ := browserNavigate(t, ctx, "open Finalités", chromedp.Click(nav)); status != http.StatusOK {
		t.Fatalf("purposes list: got status %d, want 200", status)
	}
	add := chromedp.CSS(`main a.button[href$="/inventory/purposes/_new"]`)
	if got := browserRun(t, ctx, "read the add button", chromedp.Text(add)); got != "Ajouter" {
		t.Fatalf("add button: got %q, want %q", got, "Ajouter")
	}
	if status, _ := browserNavigate(t, ctx, "click Ajouter", chromedp.Click(add)); status != http.StatusOK {
		t.Fatalf("new purpose form: got status %d, want 200", status)
	}
	browserDo(t, ctx, "fill the form",
		chromedp.SendKeys(chromedp.ID("f-key"), key),
		chromedp.SendKeys(chromedp.ID("f-name-fr"), nameFR),
		chromedp.SendKeys(chromedp.ID("f-name-en"), nameEN),
		chromedp.SetValue(chromedp.ID("f-consent"), "express"),
	)
	for id, want := range map[string]string{"f-key": key, "f-name-fr": nameFR, "f-name-en": nameEN, "f-consent": "express"} {
		if got := browserRun(t, ctx, "read "+id, chromedp.Value(chromedp.ID(id))); got != want {
			t.Fatalf("typed into #%s: got %q, want %q", id, got, want)
		}
	}
	status, url := browserNavigate(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`)))
	if want := st.org("inventory/purposes?saved=" + key); status != http.StatusOK || url != want {
		t.Fatalf("after saving: got %d %s, want 200 %s", status, url, want)
	}
	row := browserRun(t, ctx, "find the new row", chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
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
	browserShot(t, ctx, st, "purpose-created.png")
}

// browserFormErrorKept submits an invalid key: the form comes back with what
// was typed and a French error tied to the field (Law 25 asks nothing here,
// WCAG 3.3.1 and 3.3.3 do).
func browserFormErrorKept(t *testing.T, ctx context.Context, st *browserStack) {
	browserShotOnFailure(t, ctx, st)
	browserLogin(t, ctx, st, "fr")
	const (
		key  = "Bad Key!"
		name = "Camp de jour — inscriptions"
	)
	form := st.org("inventory/purposes/_new")
	browserDo(t, ctx, "fill the form",
		chromedp.Navigate(form),
		chromedp.SendKeys(chromedp.ID("f-key"), key),
		chromedp.SendKeys(chromedp.ID("f-name-fr"), name),
		chromedp.SetValue(chromedp.ID("f-consent"), "implied"),
	)
	status, url := browserNavigate(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`)))
	if status != http.StatusUnprocessableEntity || url != form {
		t.Fatalf("after saving: got %d %s, want %d %s", status, url, http.StatusUnprocessableEntity, form)
	}
	if got := browserRun(t, ctx, "read the key", chromedp.Value(chromedp.ID("f-key"))); got != key {
		t.Errorf("key input: got %q, want %q", got, key)
	}
	if got := browserRun(t, ctx, "read the name", chromedp.Value(chromedp.ID("f-name-fr"))); got != name {
		t.Errorf("name input: got %q, want %q", got, name)
	}
	msg := browserRun(t, ctx, "read the key's error", chromedp.Text(chromedp.ID("e-key")))
	if strings.TrimSpace(msg) == "" || !strings.Contains(msg, "clé") {
		t.Errorf("#e-key: got %q, want a French message about the key", msg)
	}
	attrs := browserRun(t, ctx, "read the key's attributes", chromedp.Attributes(chromedp.ID("f-key")))
	if attrs["aria-invalid"] != "true" {
		t.Errorf(`#f-key aria-invalid: got %q, want "true"`, attrs["aria-invalid"])
	}
	if !strings.Contains(" "+attrs["aria-describedby"]+" ", " e-key ") {
		t.Errorf("#f-key aria-describedby: got %q, want it to name e-key", attrs["aria-describedby"])
	}
	if got := browserRun(t, ctx, "read the alert", chromedp.Evaluate[int](`document.querySelectorAll('main [role=alert]').length`)); got != 1 {
		t.Errorf("alerts on the page: got %d, want 1", got)
	}
	browserShot(t, ctx, st, "purpose-form-error.png")
}

// browserLanguageSwitch follows the language link both ways; the choice
// sticks to the pages that come after it.
func browserLanguageSwitch(t *testing.T, ctx context.Context, st *browserStack) {
	browserShotOnFailure(t, ctx, st)
	browserLogin(t, ctx, st, "fr")
	sw := chromedp.CSS(`nav.tools a[hreflang]`)
	if got := browserRun(t, ctx, "read the switch", chromedp.Text(sw)); got != "English" {
		t.Fatalf("language link: got %q, want %q", got, "English")
	}
	if status, _ := browserNavigate(t, ctx, "click English", chromedp.Click(sw)); status != http.StatusOK {
		t.Fatalf("dashboard in English: got status %d, want 200", status)
	}
	if got := browserLang(t, ctx); got != "en" {
		t.Fatalf(`<html lang>: got %q, want "en"`, got)
	}
	if menu := browserRun(t, ctx, "read the menu", chromedp.Text(chromedp.CSS(`nav.side`))); !strings.Contains(menu, "Purposes") || !strings.Contains(menu, "Dashboard") {
		t.Errorf("English menu: got %q, want Purposes and Dashboard", menu)
	}
	browserShot(t, ctx, st, "dashboard-en.png")

	// The cookie keeps English on the next page, until switched back.
	browserDo(t, ctx, "open the checks", chromedp.Navigate(st.org("checks")))
	if got := browserLang(t, ctx); got != "en" {
		t.Fatalf(`checks page <html lang> after choosing English: got %q, want "en"`, got)
	}
	if status, _ := browserNavigate(t, ctx, "click Français", chromedp.Click(sw)); status != http.StatusOK {
		t.Fatalf("checks in French: got status %d, want 200", status)
	}
	if got := browserLang(t, ctx); got != "fr" {
		t.Fatalf(`<html lang>: got %q, want "fr"`, got)
	}
	if h1 := browserRun(t, ctx, "read the title", chromedp.Text(chromedp.CSS(`main h1`))); h1 != "Vérification de conformité" {
		t.Errorf("checks title: got %q, want %q", h1, "Vérification de conformité")
	}
	browserShot(t, ctx, st, "checks-fr.png")
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
	browserShotOnFailure(t, ctx, st)
	browserDo(t, ctx, "open the login page",
		chromedp.Navigate(st.url+"/admin/login?lang=fr"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	// Whether autofocus already put the caret in the email field or not,
	// the fields must come in this order, with nothing between them.
	seq := []string{browserRun(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused))}
	for range 12 {
		if seq[len(seq)-1] == "button[submit]" {
			break
		}
		browserDo(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		seq = append(seq, browserRun(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused)))
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
		browserDo(t, ctx, "open "+page, chromedp.Navigate(st.org(page)))
		browserDo(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		got := browserRun(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused))
		if got != "a.skip" {
			t.Errorf("/%s: first Tab focuses %s, want the skip link a.skip", page, got)
			continue
		}
		visible := browserRun(t, ctx, "measure the skip link", chromedp.Evaluate[bool](
			`(() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 1 && r.height > 1 && r.top >= 0; })()`))
		if !visible {
			t.Errorf("/%s: the focused skip link is not visible", page)
		}
		browserDo(t, ctx, "press Enter", chromedp.KeyEvent("\r"))
		if got := browserRun(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused)); got != "#main" {
			t.Errorf("/%s: after following the skip link the focus is on %s, want #main", page, got)
		}
	}
}

// browserViolation is what the test reports of an axe-core violation.
type browserViolation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []struct{ Target, HTML, Summary string }
}

// browserAxeResult is the part of axe.run's results the test reads.
type browserAxeResult struct {
	Passes     []string
	Incomplete []string
	Violations []browserViolation
}

// browserAxeCheck injects axe-core into the current page and runs it.
func browserAxeCheck(t *testing.T, ctx context.Context, script string) browserAxeResult {
	t.Helper()
	browserDo(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](script))
	return browserRun(t, ctx, "run axe-core", chromedp.Evaluate[browserAxeResult](browserAxeRun, chromedp.EvalAwaitPromise))
}

const browserAxeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}})
	.then(r => ({Passes: r.passes.map(v => v.id), Incomplete: r.incomplete.map(v => v.id), Violations: r.violations.map(v => ({
		ID: v.id, Impact: v.impact || '', Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({Target: n.target.flat().join(' '), HTML: n.html, Summary: n.failureSummary || ''}))}))}))`

// browserAxe audits the main pages in French and English and fails on any
// WCAG 2.2 A/AA violation that axe-core can detect.
func browserAxe(t *testing.T, ctx context.Context, st *browserStack) {
	script := browserAxeScript(t)
	browserLogin(t, ctx, st, "fr")
	pages := []struct {
		name string
		open func(t *testing.T, lang string)
	}{
		{"login", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.url+"/admin/login?lang="+lang))
		}},
		{"dashboard", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.org("?lang="+lang)))
		}},
		{"purposes", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.org("inventory/purposes?lang="+lang)))
		}},
		{"purpose-form-error", func(t *testing.T, lang string) {
			browserDo(t, ctx, "fill",
				chromedp.Navigate(st.org("inventory/purposes/_new?lang="+lang)),
				chromedp.SendKeys(chromedp.ID("f-key"), "Bad Key!"),
				chromedp.SendKeys(chromedp.ID("f-name-fr"), "Nom"),
			)
			if status, _ := browserNavigate(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`))); status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid form: got status %d, want 422", status)
			}
		}},
		{"checks", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.org("checks?lang="+lang)))
		}},
		{"profile", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.org("profile?lang="+lang)))
		}},
		{"policy-preview", func(t *testing.T, lang string) {
			browserDo(t, ctx, "open", chromedp.Navigate(st.org("policy?doc="+lang+"&lang="+lang)))
		}},
	}
	// A zero count is only worth something if axe runs and can fail: an
	// image without a text alternative must be reported.
	t.Run("sanity", func(t *testing.T) {
		browserDo(t, ctx, "open", chromedp.Navigate(st.url+"/admin/login?lang=fr"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('main').append(Object.assign(document.createElement('img'), {src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', id: 'no-alt'}))`))
		res := browserAxeCheck(t, ctx, script)
		if len(res.Violations) != 1 || res.Violations[0].ID != "image-alt" {
			t.Fatalf("axe on a page with an image without alt: got %+v, want one image-alt violation", res.Violations)
		}
	})
	for _, lang := range []string{"fr", "en"} {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				browserShotOnFailure(t, ctx, st)
				p.open(t, lang)
				if got := browserLang(t, ctx); got != lang {
					t.Fatalf("<html lang>: got %q, want %q", got, lang)
				}
				res := browserAxeCheck(t, ctx, script)
				t.Logf("axe %s/%s: %d violations; %d rules passed %v; needs review %v", lang, p.name, len(res.Violations), len(res.Passes), res.Passes, res.Incomplete)
				for _, v := range res.Violations {
					var b strings.Builder
					fmt.Fprintf(&b, "axe violation %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, v.HelpURL)
					for _, n := range v.Nodes {
						fmt.Fprintf(&b, "\n  - %s\n    %s\n    %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n    "))
					}
					t.Error(b.String())
				}
			})
		}
	}
}
