package banner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/browsertest"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/store/storetest"
)

// The banner's browser tests load a website (a second test server, so a
// second origin) that embeds privaq's banner.js with one script tag, and
// check both what the page did (which tagged scripts ran, which cookies
// exist, what Google Consent Mode heard) and what the ledger recorded.

// hostPage is the website: tagged scripts of every category, a tagged
// iframe, a button that reopens the choices, and page styles that would
// wreck a banner not isolated in a shadow root. It sums layout shifts.
const hostPage = `<!doctype html>
<html lang="%s">
<head>
<meta charset="utf-8">
<title>Entraide — site de test</title>
<style>button{background:#c00000!important;color:#fff;font-size:22px}*{font-family:serif;letter-spacing:1px}</style>
<script>
window.cls = 0;
new PerformanceObserver((l) => l.getEntries().forEach((e) => { if (!e.hadRecentInput) window.cls += e.value; })).observe({type: 'layout-shift', buffered: true});
</script>
</head>
<body>
<header><p>Entraide Jeunesse Rive-Sud</p></header>
<main>
<h1>Bienvenue</h1>
<p>Une page ordinaire d’un site qui utilise la bannière de privaq.</p>
<p><button type="button" id="manage" data-privaq-open>Témoins</button></p>
<script type="text/plain" data-category="statistics">window.ranStatistics = (window.ranStatistics || 0) + 1; document.cookie = "_ga=GA1.1.42; path=/; max-age=3600"; document.cookie = "_ga_XYZ=GS1.1; path=/; max-age=3600";</script>
<script type="text/plain" data-category="marketing">window.ranMarketing = true; document.cookie = "_fbp=fb.1.42; path=/; max-age=3600";</script>
<script type="text/plain" data-category="preferences">window.ranPreferences = true;</script>
<script type="text/plain" data-category="necessary">window.ranNecessary = true;</script>
<iframe data-src="/frame" data-category="marketing" title="Vidéo" width="200" height="80"></iframe>
</main>
<script src="%s/o/alpha/banner.js" async></script>
</body>
</html>
`

// newHost serves the website, in French at / and in English at /en.
func newHost(t *testing.T, privaqURL string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(lang string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, hostPage, lang, privaqURL)
		}
	}
	mux.HandleFunc("GET /{$}", page("fr"))
	mux.HandleFunc("GET /en", page("en"))
	mux.HandleFunc("GET /frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="fr"><title>Vidéo</title><p>Vidéo</p></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// pageState is what the website shows of the visitor's choice.
type pageState struct {
	Dialog, Notice                  bool
	Statistics                      int
	Marketing, Preferences, Necess  bool
	Iframe, Consent, Visitor        string
	GA, FBP                         bool
	Update                          map[string]string // the last Consent Mode update
	Default                         map[string]string
	CLS                             float64
	PrivaqConsent                   []string
	ButtonBG, PageButtonBG, BtnFont string
	Spacing                         string // letter-spacing of the banner's text
}

const stateJS = `(() => {
	const root = document.getElementById('privaq-banner')?.shadowRoot;
	const ck = document.cookie;
	const cm = (kind) => { const c = (window.dataLayer || []).filter((a) => a[0] === 'consent' && a[1] === kind); return c.length ? c[c.length - 1][2] : null; };
	const b = root?.querySelector('.a button');
	return {
		Dialog: !!root?.querySelector('[role=dialog]'), Notice: !!root?.querySelector('[role=region]'),
		Statistics: window.ranStatistics || 0, Marketing: !!window.ranMarketing, Preferences: !!window.ranPreferences, Necess: !!window.ranNecessary,
		Iframe: document.querySelector('iframe')?.getAttribute('src') || '',
		Consent: (ck.match(/(?:^|; )privaq_consent=([^;]*)/) || [])[1] || '',
		Visitor: window.privaq?.visitor || '',
		GA: /(^|; )_ga=/.test(ck), FBP: /(^|; )_fbp=/.test(ck),
		Update: cm('update'), Default: cm('default'), CLS: window.cls,
		PrivaqConsent: window.privaq?.consent?.() || null,
		ButtonBG: b ? getComputedStyle(b).backgroundColor : '', PageButtonBG: document.getElementById('manage') ? getComputedStyle(document.getElementById('manage')).backgroundColor : '',
		BtnFont: b ? getComputedStyle(b).fontFamily : '', Spacing: root ? getComputedStyle(root.querySelector('h2,p')).letterSpacing : '',
	};
})()`

func state(t *testing.T, tab context.Context) pageState {
	t.Helper()
	return browsertest.Run(t, tab, "read the page", chromedp.Evaluate[pageState](stateJS))
}

// open loads a page of the website and waits for banner.js to have run.
func open(t *testing.T, tab context.Context, url string) {
	t.Helper()
	if status, _ := browsertest.Response(t, tab, "open "+url, chromedp.Navigate(url)); status != http.StatusOK {
		t.Fatalf("%s: got %d", url, status)
	}
	browsertest.Run(t, tab, "wait for banner.js", chromedp.Poll[bool](`!!window.privaq`, chromedp.WithPollingTimeout(10*time.Second)))
}

// waitDialog waits for the dialog (or the GPC notice) to be on screen.
func waitDialog(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	browsertest.Run(t, tab, "wait for "+sel, chromedp.Poll[bool](fmt.Sprintf(`(() => {
		const e = document.getElementById('privaq-banner')?.shadowRoot?.querySelector(%q);
		if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.top < innerHeight;
	})()`, sel), chromedp.WithPollingTimeout(10*time.Second)))
}

// click clicks the banner's control whose text (or label id) is label, as
// a mouse does, at its place on the screen.
func click(t *testing.T, tab context.Context, label string) {
	t.Helper()
	type point struct{ X, Y float64 }
	p := browsertest.Run(t, tab, "find "+label, chromedp.Evaluate[point](fmt.Sprintf(`(() => {
		const root = document.getElementById('privaq-banner').shadowRoot;
		const e = [...root.querySelectorAll('button,summary,a')].find((x) => x.textContent.trim() === %[1]q || x.getAttribute('aria-labelledby') === %[1]q);
		if (!e) throw new Error('no control ' + %[1]q);
		e.scrollIntoView({block: 'nearest'});
		const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, label)))
	browsertest.Do(t, tab, "click "+label, chromedp.MouseClickXY(p.X, p.Y))
}

// focused describes the focused element, inside the banner's shadow root
// when the focus is there.
const focusedJS = `(() => {
	const a = document.activeElement, h = document.getElementById('privaq-banner');
	if (h && a === h) {
		const e = h.shadowRoot.activeElement;
		if (!e) return 'host';
		const role = e.getAttribute('role') || e.tagName.toLowerCase();
		return role + ':' + (role === 'switch' ? e.getAttribute('aria-labelledby') : e.textContent.trim().slice(0, 40));
	}
	return a && a !== document.body ? a.tagName.toLowerCase() + '#' + a.id : 'body';
})()`

func focused(t *testing.T, tab context.Context) string {
	t.Helper()
	return browsertest.Run(t, tab, "read the focus", chromedp.Evaluate[string](focusedJS))
}

func key(t *testing.T, tab context.Context, k string, shift bool) {
	t.Helper()
	var opts []chromedp.KeyOption
	if shift {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	browsertest.Do(t, tab, "press "+k, chromedp.KeyEvent(k, opts...))
}

// records checks the ledger's latest records of a visitor: purpose →
// decision, all with the given action and revision.
func records(t *testing.T, s *stack, visitor string, n int, action, rev string, want map[string]consent.Decision) {
	t.Helper()
	h := s.history(t, visitor)
	if len(h.Records) != n {
		t.Fatalf("ledger: got %d records for the visitor, want %d", len(h.Records), n)
	}
	got := map[string]consent.Decision{}
	for _, r := range h.Records[n-len(want):] {
		var ev struct {
			Action, Revision, Origin string
			GPC                      bool
		}
		json.Unmarshal(r.Evidence, &ev)
		if r.Channel != "banner" || ev.Action != action || ev.Revision != rev || !strings.HasPrefix(ev.Origin, "http://127.0.0.1:") {
			t.Errorf("record %s: channel %s evidence %s, want banner, action %s, revision %s and the website's origin", r.Purpose, r.Channel, r.Evidence, action, rev)
		}
		got[r.Purpose] = r.Decision
	}
	for p, d := range want {
		if got[p] != d {
			t.Errorf("ledger %s: got %q, want %q", p, got[p], d)
		}
	}
}

func TestBannerBrowser(t *testing.T) {
	chrome := browsertest.Start(t, 5*time.Minute)
	axe := browsertest.AxeScript(t)
	s := newStack(t, storetest.Open(t, ""), privaq.SystemClock{}, 0)
	host := newHost(t, s.srv.URL)
	s.edit(t, func(d *inventory.Document) { d.Policy.Banner.AllowedOrigins = []string{host.URL} })
	doc, _, err := s.inv.Document(ctx, privaq.System(s.org.ID), s.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	rev := banner.Build(doc, "alpha").Revision
	allGranted := map[string]consent.Decision{"cookies.preferences": consent.Granted, "cookies.statistics": consent.Granted, "cookies.marketing": consent.Granted}

	t.Run("AcceptAll", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		st := state(t, tab)
		if st.Statistics != 0 || st.Marketing || st.Preferences || !st.Necess || st.Iframe != "" || st.Consent != "" {
			t.Fatalf("before a choice: %+v; want only the necessary script run, no iframe, no choice cookie", st)
		}
		if st.Default["analytics_storage"] != "denied" || st.Default["ad_storage"] != "denied" || st.Default["ad_user_data"] != "denied" ||
			st.Default["ad_personalization"] != "denied" || st.Default["security_storage"] != "granted" {
			t.Errorf("Consent Mode default: got %v, want everything denied but security", st.Default)
		}
		if st.ButtonBG != "rgb(29, 78, 216)" || st.PageButtonBG != "rgb(192, 0, 0)" || !strings.HasPrefix(st.BtnFont, "system-ui") || st.Spacing != "normal" {
			t.Errorf("styles leaked: banner button %s (font %s, letter-spacing %s), page button %s; want the banner's accent, font and spacing, and the page's red", st.ButtonBG, st.BtnFont, st.Spacing, st.PageButtonBG)
		}
		type box struct{ W, H []float64 }
		b := browsertest.Run(t, tab, "measure the buttons", chromedp.Evaluate[box](`(() => {
			const bs = [...document.getElementById('privaq-banner').shadowRoot.querySelectorAll('.a button')];
			return {W: bs.map((b) => b.getBoundingClientRect().width), H: bs.map((b) => b.getBoundingClientRect().height)};
		})()`))
		if len(b.W) != 3 || slices.Max(b.W)-slices.Min(b.W) > 1 || slices.Max(b.H)-slices.Min(b.H) > 1 || slices.Min(b.H) < 44 {
			t.Errorf("buttons: widths %v heights %v; want three of the same size, at least 44 px high", b.W, b.H)
		}
		if got := browsertest.Run(t, tab, "read labels", chromedp.Evaluate[[]string](`[...document.getElementById('privaq-banner').shadowRoot.querySelectorAll('.a button')].map((b) => b.textContent)`)); !slices.Equal(got, []string{"Tout accepter", "Tout refuser", "Personnaliser"}) {
			t.Errorf("buttons: got %q", got)
		}
		browsertest.Audit(t, tab, axe, "banner fr")
		browsertest.Screenshot(t, tab, "banner-fr")
		click(t, tab, "Tout accepter")
		s.beacon(t)
		st = state(t, tab)
		if st.Dialog || st.Statistics != 1 || !st.Marketing || !st.Preferences || st.Iframe != "/frame" || !st.GA || !st.FBP {
			t.Errorf("after accepting all: %+v; want every script run once, the iframe loaded, _ga and _fbp set", st)
		}
		if parts := strings.Split(st.Consent, "."); len(parts) != 4 || parts[0] != rev || parts[2] != st.Visitor || parts[3] != "preferences-statistics-marketing" {
			t.Errorf("privaq_consent = %q, want revision %s, date, visitor %s, categories", st.Consent, rev, st.Visitor)
		}
		if st.Update["analytics_storage"] != "granted" || st.Update["ad_user_data"] != "granted" || st.Update["functionality_storage"] != "granted" {
			t.Errorf("Consent Mode update: got %v, want all granted", st.Update)
		}
		if st.CLS != 0 {
			t.Errorf("layout shift %.4f: the banner moved the page", st.CLS)
		}
		records(t, s, st.Visitor, 3, "accept_all", rev, allGranted)
		// One request for the banner, one for the choice, nothing else:
		// no font, no style sheet, no image, from privaq or anyone (the
		// website's own requests, its frame and favicon, aside).
		requests := browsertest.Run(t, tab, "list requests", chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map((e) => e.initiatorType + ' ' + e.name)`))
		for _, r := range requests {
			kind, url, _ := strings.Cut(r, " ")
			if url != s.srv.URL+"/o/alpha/banner.js" && url != s.srv.URL+"/o/alpha/consent" && !strings.HasPrefix(url, host.URL+"/") {
				t.Errorf("unexpected request %s (%s)", url, kind)
			}
		}
		if n := slices.Index(requests, "script "+s.srv.URL+"/o/alpha/banner.js"); n < 0 {
			t.Errorf("requests %v: banner.js not among them", requests)
		}
		if a := s.decision(t, st.Visitor, "cookies.statistics"); !a.Allowed {
			t.Errorf("decision cookies.statistics: got %+v, want allowed", a)
		}

		// The next page asks nothing and runs the scripts at once.
		open(t, tab, host.URL+"/")
		st = state(t, tab)
		if st.Dialog || st.Statistics != 1 || !st.Marketing || st.Update["ad_storage"] != "granted" {
			t.Errorf("next page: %+v; want no dialog and the scripts run", st)
		}
		s.noBeacon(t)
	})

	t.Run("RefuseAll", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		open(t, tab, host.URL+"/en")
		waitDialog(t, tab, "[role=dialog]")
		title := browsertest.Run(t, tab, "read the title", chromedp.Evaluate[string](`document.getElementById('privaq-banner').shadowRoot.getElementById('t').textContent`))
		if title != "Your cookie choices" {
			t.Errorf("title on an English page: got %q", title)
		}
		browsertest.Audit(t, tab, axe, "banner en")
		browsertest.Screenshot(t, tab, "banner-en")
		click(t, tab, "Refuse all")
		s.beacon(t)
		st := state(t, tab)
		if st.Dialog || st.Statistics != 0 || st.Marketing || st.Preferences || st.Iframe != "" || st.GA || !strings.HasSuffix(st.Consent, "."+st.Visitor+".") {
			t.Errorf("after refusing all: %+v; want nothing run and an empty choice stored", st)
		}
		if st.Update["analytics_storage"] != "denied" || st.Update["ad_storage"] != "denied" {
			t.Errorf("Consent Mode update: got %v, want denied", st.Update)
		}
		records(t, s, st.Visitor, 3, "refuse_all", rev, map[string]consent.Decision{"cookies.preferences": consent.Refused, "cookies.statistics": consent.Refused, "cookies.marketing": consent.Refused})
	})

	t.Run("Customize", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		click(t, tab, "Personnaliser")
		type sw struct {
			Label   string
			Checked string
			Off     bool
			W, H    float64
		}
		switches := func() []sw {
			return browsertest.Run(t, tab, "read the switches", chromedp.Evaluate[[]sw](`[...document.getElementById('privaq-banner').shadowRoot.querySelectorAll('[role=switch]')].map((s) => ({
				Label: s.getRootNode().getElementById(s.getAttribute('aria-labelledby')).textContent, Checked: s.getAttribute('aria-checked'), Off: s.disabled,
				W: s.getBoundingClientRect().width, H: s.getBoundingClientRect().height}))`))
		}
		got := switches()
		want := []sw{{"Nécessaires", "true", true, 0, 0}, {"Préférences", "false", false, 0, 0}, {"Statistiques", "false", false, 0, 0}, {"Marketing", "false", false, 0, 0}}
		for i := range got {
			if got[i].W < 24 || got[i].H < 24 {
				t.Errorf("switch %s is %.0f×%.0f px: WCAG 2.2 wants at least 24×24", got[i].Label, got[i].W, got[i].H)
			}
			got[i].W, got[i].H = 0, 0
		}
		if !slices.Equal(got, want) {
			t.Errorf("switches: got %+v, want %+v (off by default, necessary locked on)", got, want)
		}
		browsertest.Do(t, tab, "open every list", chromedp.Evaluate[chromedp.Void](`document.getElementById('privaq-banner').shadowRoot.querySelectorAll('details').forEach((d) => d.open = true)`))
		services := browsertest.Run(t, tab, "read the services", chromedp.Evaluate[string](`document.getElementById('privaq-banner').shadowRoot.querySelector('section:nth-of-type(3)').textContent`))
		for _, w := range []string{"Google Analytics", "Google LLC", "_ga", "Distingue les visiteurs", "2 ans"} {
			if !strings.Contains(services, w) {
				t.Errorf("statistics section %q lacks %q", services, w)
			}
		}
		browsertest.Audit(t, tab, axe, "banner fr customize")
		browsertest.Screenshot(t, tab, "banner-fr-customize")
		click(t, tab, "h-statistics")
		click(t, tab, "Enregistrer mes choix")
		s.beacon(t)
		st := state(t, tab)
		if st.Dialog || st.Statistics != 1 || st.Marketing || st.Preferences || !st.GA || !slices.Equal(st.PrivaqConsent, []string{"statistics"}) {
			t.Errorf("after choosing statistics: %+v; want only the statistics script run", st)
		}
		if st.Update["analytics_storage"] != "granted" || st.Update["ad_storage"] != "denied" || st.Update["personalization_storage"] != "denied" {
			t.Errorf("Consent Mode update: got %v", st.Update)
		}
		records(t, s, st.Visitor, 3, "custom", rev, map[string]consent.Decision{"cookies.preferences": consent.Refused, "cookies.statistics": consent.Granted, "cookies.marketing": consent.Refused})

		// Reopened from the page's button, the choice shows; taking
		// statistics back withdraws it and removes its cookies.
		browsertest.Do(t, tab, "click the page's button", chromedp.Click(chromedp.ID("manage")))
		waitDialog(t, tab, "[role=dialog]")
		click(t, tab, "Personnaliser")
		if got := switches(); got[2].Checked != "true" {
			t.Fatalf("reopened: statistics switch %+v, want on", got[2])
		}
		click(t, tab, "h-statistics")
		click(t, tab, "Enregistrer mes choix")
		s.beacon(t)
		st = state(t, tab)
		if st.GA || st.Dialog || len(st.PrivaqConsent) != 0 {
			t.Errorf("after withdrawing statistics: %+v; want _ga and _ga_XYZ deleted", st)
		}
		if strings.Contains(browsertest.Run(t, tab, "read cookies", chromedp.Evaluate[string](`document.cookie`)), "_ga_XYZ") {
			t.Error("_ga_XYZ (the _ga_* family) survived the withdrawal")
		}
		records(t, s, st.Visitor, 6, "custom", rev, map[string]consent.Decision{"cookies.preferences": consent.Refused, "cookies.statistics": consent.Withdrawn, "cookies.marketing": consent.Refused})
	})

	t.Run("GPC", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		if _, err := chromedp.Call(tab, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true})`}); err != nil {
			t.Fatal(err)
		}
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=region]")
		s.beacon(t)
		st := state(t, tab)
		notice := browsertest.Run(t, tab, "read the notice", chromedp.Evaluate[string](`document.getElementById('privaq-banner').shadowRoot.textContent`))
		if st.Dialog || !st.Notice || !strings.Contains(notice, "Global Privacy Control") || st.Statistics != 0 || st.Marketing || st.Consent == "" {
			t.Errorf("with GPC: %+v notice %q; want no question, a notice and statistics and marketing refused", st, notice)
		}
		if focused(t, tab) != "body" {
			t.Errorf("the GPC notice took the focus: %s", focused(t, tab))
		}
		browsertest.Audit(t, tab, axe, "banner gpc notice")
		browsertest.Screenshot(t, tab, "banner-fr-gpc")
		h := s.history(t, st.Visitor)
		if len(h.Records) != 2 {
			t.Fatalf("ledger: got %d records, want statistics and marketing refused", len(h.Records))
		}
		for _, r := range h.Records {
			if r.Decision != consent.Refused || !strings.Contains(string(r.Evidence), `"gpc":true`) || !strings.Contains(string(r.Evidence), `"action":"gpc"`) {
				t.Errorf("record %s %s %s, want refused by gpc", r.Purpose, r.Decision, r.Evidence)
			}
		}
		// The visitor may still choose preferences; GPC's categories stay
		// locked off even on "accept all".
		click(t, tab, "Personnaliser")
		waitDialog(t, tab, "[role=dialog]")
		locked := browsertest.Run(t, tab, "read the locked switches", chromedp.Evaluate[[]bool](`['statistics','marketing','preferences'].map((c) => document.getElementById('privaq-banner').shadowRoot.querySelector('[role=switch][aria-labelledby=h-' + c + ']').disabled)`))
		if !slices.Equal(locked, []bool{true, true, false}) {
			t.Errorf("locked switches (statistics, marketing, preferences): got %v", locked)
		}
		click(t, tab, "Tout accepter")
		s.beacon(t)
		st = state(t, tab)
		if st.Statistics != 0 || st.Marketing || !st.Preferences {
			t.Errorf("accept all under GPC: %+v; want only preferences", st)
		}
		records(t, s, st.Visitor, 5, "accept_all", rev, map[string]consent.Decision{"cookies.preferences": consent.Granted, "cookies.statistics": consent.Refused, "cookies.marketing": consent.Refused})
	})

	t.Run("ScriptAddedLater", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		add := `(() => { const s = document.createElement('script'); s.type = 'text/plain'; s.dataset.category = '%s'; s.text = 'window.%s = true'; document.body.append(s); })()`
		browsertest.Do(t, tab, "add a statistics script", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(add, "statistics", "late1")))
		if browsertest.Run(t, tab, "read late1", chromedp.Evaluate[bool](`!!window.late1`)) {
			t.Fatal("a statistics script added before any choice ran")
		}
		click(t, tab, "Tout accepter")
		s.beacon(t)
		browsertest.Run(t, tab, "wait for late1", chromedp.Poll[bool](`!!window.late1`, chromedp.WithPollingTimeout(5*time.Second)))
		browsertest.Do(t, tab, "add a marketing script", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(add, "marketing", "late2")))
		browsertest.Run(t, tab, "wait for late2", chromedp.Poll[bool](`!!window.late2`, chromedp.WithPollingTimeout(5*time.Second)))
		st := state(t, tab)
		records(t, s, st.Visitor, 3, "accept_all", rev, allGranted)
	})

	t.Run("RevisionChange", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		// The test changes the banner within its five minutes of cache.
		if _, err := chromedp.Call(tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			t.Fatal(err)
		}
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		click(t, tab, "Tout accepter")
		s.beacon(t)
		visitor := state(t, tab).Visitor
		s.edit(t, func(d *inventory.Document) { d.Cookies[6].Duration = "P13M" })
		doc, _, _ := s.inv.Document(ctx, privaq.System(s.org.ID), s.org.ID)
		rev2 := banner.Build(doc, "alpha").Revision
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		st := state(t, tab)
		if st.Visitor != visitor || st.Statistics != 0 {
			t.Errorf("after a revision change: visitor %s (was %s), statistics ran %d times; want the same visitor asked again before anything runs", st.Visitor, visitor, st.Statistics)
		}
		click(t, tab, "Tout refuser")
		s.beacon(t)
		records(t, s, visitor, 6, "refuse_all", rev2, map[string]consent.Decision{"cookies.preferences": consent.Withdrawn, "cookies.statistics": consent.Withdrawn, "cookies.marketing": consent.Withdrawn})
		rev = rev2 // for the tests that follow

		// A choice older than the re-consent period (12 months) is asked
		// again too.
		browsertest.Do(t, tab, "age the choice", chromedp.Evaluate[chromedp.Void](`(() => {
			const p = document.cookie.match(/(?:^|; )privaq_consent=([^;]*)/)[1].split('.');
			const d = new Date(); d.setMonth(d.getMonth() - 12); d.setDate(d.getDate() - 1);
			p[1] = d.getTime().toString(36);
			document.cookie = 'privaq_consent=' + p.join('.') + '; path=/; max-age=99999999';
		})()`))
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
	})

	t.Run("Keyboard", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		open(t, tab, host.URL+"/")
		waitDialog(t, tab, "[role=dialog]")
		if got := focused(t, tab); got != "dialog:"+browsertest.Run(t, tab, "read dialog", chromedp.Evaluate[string](`document.getElementById('privaq-banner').shadowRoot.querySelector('[role=dialog]').textContent.trim().slice(0, 40)`)) {
			t.Errorf("focus after the banner opened: got %s, want the dialog", got)
		}
		order := []string{"a:Politique de confidentialité", "button:Tout accepter", "button:Tout refuser", "button:Personnaliser", "a:Politique de confidentialité"}
		for _, want := range order {
			key(t, tab, kb.Tab, false)
			if got := focused(t, tab); got != want {
				t.Fatalf("Tab: focus on %s, want %s", got, want)
			}
		}
		key(t, tab, kb.Tab, true)
		if got := focused(t, tab); got != "button:Personnaliser" {
			t.Fatalf("Shift+Tab from the first control: focus on %s, want the last (Personnaliser)", got)
		}
		outline := browsertest.Run(t, tab, "read the focus ring", chromedp.Evaluate[string](`(() => { const e = document.getElementById('privaq-banner').shadowRoot.activeElement; const s = getComputedStyle(e); return s.outlineStyle + ' ' + s.outlineWidth; })()`))
		if outline != "solid 3px" {
			t.Errorf("focus ring: got %q, want a visible 3px outline", outline)
		}
		key(t, tab, kb.Enter, false)
		if got := focused(t, tab); got != "switch:h-preferences" {
			t.Fatalf("Enter on Personnaliser: focus on %s, want the first switch", got)
		}
		key(t, tab, " ", false)
		if got := browsertest.Run(t, tab, "read the switch", chromedp.Evaluate[string](`document.getElementById('privaq-banner').shadowRoot.activeElement.getAttribute('aria-checked')`)); got != "true" {
			t.Errorf("Space on the switch: aria-checked %s, want true", got)
		}
		key(t, tab, kb.Escape, false)
		if got := focused(t, tab); got != "button:Personnaliser" {
			t.Errorf("Escape in the details: focus on %s, want back on Personnaliser", got)
		}
		key(t, tab, kb.Escape, false)
		if st := state(t, tab); !st.Dialog || st.Consent != "" {
			t.Fatalf("Escape without a choice: %+v; want the dialog still open and nothing decided", st)
		}
		key(t, tab, kb.Tab, true)
		key(t, tab, kb.Enter, false)
		s.beacon(t)
		st := state(t, tab)
		if st.Dialog || st.Preferences {
			t.Errorf("Enter on Tout refuser: %+v", st)
		}
		records(t, s, st.Visitor, 3, "refuse_all", rev, map[string]consent.Decision{"cookies.preferences": consent.Refused, "cookies.statistics": consent.Refused, "cookies.marketing": consent.Refused})
		// From the page's own button: the dialog takes the focus and
		// gives it back on Escape, keeping the choice.
		key(t, tab, kb.Tab, false)
		if got := focused(t, tab); got != "button#manage" {
			t.Fatalf("Tab after the choice: focus on %s, want the page's button", got)
		}
		key(t, tab, kb.Enter, false)
		waitDialog(t, tab, "[role=dialog]")
		if got := focused(t, tab); !strings.HasPrefix(got, "dialog:") {
			t.Errorf("reopened: focus on %s, want the dialog", got)
		}
		key(t, tab, kb.Escape, false)
		if got, st := focused(t, tab), state(t, tab); got != "button#manage" || st.Dialog || st.Consent == "" {
			t.Errorf("Escape on the reopened dialog: focus on %s, dialog %v, choice %q; want it closed, the choice kept, the focus back on the button", got, st.Dialog, st.Consent)
		}
		s.noBeacon(t)
	})

	t.Run("Preview", func(t *testing.T) {
		tab := browsertest.Tab(t, chrome)
		browsertest.ShotOnFailure(t, tab)
		s.edit(t, func(d *inventory.Document) { d.Policy.Banner.Position = "center" })
		for _, lang := range []string{"fr", "en"} {
			if status, _ := browsertest.Response(t, tab, "open the preview", chromedp.Navigate(s.srv.URL+"/o/alpha/banner/preview?lang="+lang)); status != http.StatusOK {
				t.Fatalf("preview: got %d", status)
			}
			waitDialog(t, tab, "[role=dialog].center")
			// Under the preview's strict CSP (no inline style), the
			// constructed style sheet still applies.
			if bg := browsertest.Run(t, tab, "read the dialog", chromedp.Evaluate[string](`getComputedStyle(document.getElementById('privaq-banner').shadowRoot.querySelector('[role=dialog]')).position`)); bg != "fixed" {
				t.Errorf("preview %s: dialog position %q, want fixed (styles applied)", lang, bg)
			}
			browsertest.Audit(t, tab, axe, "preview "+lang)
			browsertest.Screenshot(t, tab, "banner-preview-center-"+lang)
			click(t, tab, map[string]string{"fr": "Tout accepter", "en": "Accept all"}[lang])
			if st := state(t, tab); !st.Dialog || st.Consent != "" {
				t.Errorf("preview %s: a choice closed the dialog or was stored: %+v", lang, st)
			}
		}
		s.noBeacon(t)
	})
}
