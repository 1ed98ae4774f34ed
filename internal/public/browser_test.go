package public_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"privaq"
	"privaq/internal/browsertest"
	"privaq/internal/inventory"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/store/storetest"
)

// TestPublicBrowser opens the public pages in Chromium, as a visitor does,
// on SQLite with the demo inventory: version 1 in effect and version 2
// announced, so the notice of changes shows (Law 25, s. 8.2: the policy is
// published in clear and simple terms, and its changes announced). Every page
// passes axe-core's WCAG 2.2 A/AA rules and has no script; the policy works
// from the keyboard, keeps its section anchors, and prints without the
// site's navigation.
func TestPublicBrowser(t *testing.T) {
	chrome := browsertest.Start(t, 5*time.Minute)
	script := browsertest.AxeScript(t)
	s := newSite(t, storetest.Open(t, ""))
	s.publish(t, policy.Publication{Summary: inventory.Text{FR: "Première version", EN: "First version"}})
	doc := inventory.Demo()
	doc.Purposes[0].Description = inventory.Text{
		FR: "Tenir la liste des membres et les convoquer aux assemblées.",
		EN: "Keep the list of members and call them to meetings.",
	}
	if _, err := s.inv.Replace(ctx, privaq.System(s.org.ID), s.org.ID, doc); err != nil {
		t.Fatal(err)
	}
	s.publish(t, policy.Publication{EffectiveAt: s.clock.Now().AddDate(0, 0, 30),
		Summary: inventory.Text{FR: "Nous décrivons mieux la gestion des adhésions.", EN: "We describe membership management better."}})

	tab := browsertest.Tab(t, chrome)
	base := s.srv.URL + "/o/" + s.org.Slug
	t.Run("Policy", func(t *testing.T) {
		for _, c := range []struct{ lang, notice string }{
			{"fr", "Nous décrivons mieux la gestion des adhésions."},
			{"en", "We describe membership management better."},
		} {
			t.Run(c.lang, func(t *testing.T) {
				browsertest.ShotOnFailure(t, tab)
				publicOpen(t, tab, base+"/privacy?lang="+c.lang, c.lang)
				publicLandmarks(t, tab)
				publicSections(t, tab)
				notice := browsertest.Run(t, tab, "read the notice", chromedp.Evaluate[string](
					`document.querySelector('main aside.notice[aria-labelledby="notice-title"]')?.textContent ?? ''`))
				if !strings.Contains(notice, c.notice) {
					t.Errorf("notice of version 2: got %q, want it to hold %q", notice, c.notice)
				}
				browsertest.Audit(t, tab, script, "policy "+c.lang)
				browsertest.Screenshot(t, tab, "public-policy-"+c.lang)
				publicSkipLink(t, tab)
			})
		}
	})
	t.Run("Pages", func(t *testing.T) {
		for _, lang := range []string{"fr", "en"} {
			for _, path := range []string{"/privacy/versions", "/privacy/v/1", "/privacy/v/2"} {
				t.Run(lang+path, func(t *testing.T) {
					browsertest.ShotOnFailure(t, tab)
					publicOpen(t, tab, base+path+"?lang="+lang, lang)
					publicLandmarks(t, tab)
					if path != "/privacy/versions" {
						publicSections(t, tab)
					}
					browsertest.Audit(t, tab, script, lang+path)
					if path == "/privacy/versions" {
						browsertest.Screenshot(t, tab, "public-versions-"+lang)
					}
				})
			}
		}
	})
	t.Run("Requests", func(t *testing.T) {
		svc := &rights.Service{Store: s.db, Inventory: s.db, Orgs: s.db, Clock: s.clock, BaseURL: "https://privacy.example.org"}
		if _, err := svc.Create(ctx, privaq.System(s.org.ID), s.org.ID, rights.Input{Type: rights.TypeAccess,
			Requester: rights.Person{Name: "Élise Tremblay", Email: "elise@exemple.qc.ca"}, Channel: rights.ChannelMail}); err != nil {
			t.Fatal(err)
		}
		acks := s.mailsOf(t, "request.acknowledgement")
		m := requestLinkRE.FindStringSubmatch(acks[0])
		for _, lang := range []string{"fr", "en"} {
			t.Run(lang, func(t *testing.T) {
				browsertest.ShotOnFailure(t, tab)
				publicOpen(t, tab, base+"/requests/new?lang="+lang, lang)
				publicLandmarks(t, tab)
				browsertest.Audit(t, tab, script, "request form "+lang)
				browsertest.Screenshot(t, tab, "public-request-form-"+lang)
				// Sent empty, without JavaScript: the errors beside their
				// fields pass the audit too.
				browsertest.Do(t, tab, "submit empty", chromedp.Click(`form.request button[type=submit]`), chromedp.WaitVisible(`#err-type`))
				browsertest.Audit(t, tab, script, "request form errors "+lang)
				browsertest.Screenshot(t, tab, "public-request-errors-"+lang)
				publicOpen(t, tab, base+"/requests/status?t="+m[2]+"&lang="+lang, lang)
				browsertest.Audit(t, tab, script, "request status "+lang)
				browsertest.Screenshot(t, tab, "public-request-status-"+lang)
			})
		}
	})
	t.Run("Diff", func(t *testing.T) {
		for _, lang := range []string{"fr", "en"} {
			t.Run(lang, func(t *testing.T) {
				browsertest.ShotOnFailure(t, tab)
				publicOpen(t, tab, base+"/privacy/diff?from=1&to=2&lang="+lang, lang)
				publicLandmarks(t, tab)
				if n := browsertest.Run(t, tab, "count changes", chromedp.Evaluate[int](`document.querySelectorAll('main ins, main del').length`)); n == 0 {
					t.Fatal("the comparison of versions 1 and 2 shows no change")
				}
				browsertest.Audit(t, tab, script, "diff "+lang)
				browsertest.Screenshot(t, tab, "public-diff-"+lang)
				// The folded passages too, once unfolded.
				browsertest.Do(t, tab, "unfold", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = true)`))
				browsertest.Audit(t, tab, script, "diff "+lang+" unfolded")
			})
		}
	})
	t.Run("Print", func(t *testing.T) {
		browsertest.ShotOnFailure(t, tab)
		publicOpen(t, tab, base+"/privacy?lang=fr", "fr")
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatalf("emulate print media: %v", err)
		}
		t.Cleanup(func() { chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}) })
		if !browsertest.Run(t, tab, "match print", chromedp.Evaluate[bool](`matchMedia('print').matches`)) {
			t.Fatal("print media not emulated")
		}
		// What a reader of the paper can't use goes; the policy, its notice
		// and whose policy it is stay.
		for sel, want := range map[string]bool{
			"a.skip": false, "header nav": false, "a[hreflang]": false, "footer a": false,
			"header .org": true, "main": true, "aside.notice": true, "article.privaq-policy h1": true,
			"#" + policy.SecContact: true,
		} {
			if got := publicVisible(t, tab, sel); got != want {
				t.Errorf("printed, %s visible: got %v, want %v", sel, got, want)
			}
		}
		browsertest.Screenshot(t, tab, "public-policy-fr-print")
		pdf, err := chromedp.Call(tab, cdppage.PrintToPDF, cdppage.PrintToPDFParams{GenerateTaggedPDF: new(true), GenerateDocumentOutline: new(true)})
		if err != nil {
			t.Fatalf("print to PDF: %v", err)
		}
		if !bytes.HasPrefix(pdf.Data, []byte("%PDF-")) || len(pdf.Data) <= 10<<10 {
			t.Errorf("PDF: got %d bytes starting %q, want more than 10 KB of PDF", len(pdf.Data), pdf.Data[:min(8, len(pdf.Data))])
		}
		browsertest.Save(t, "public-policy-fr-print.pdf", pdf.Data)
	})
}

// publicOpen loads url and checks it answers 200 in lang, without script.
func publicOpen(t *testing.T, tab context.Context, url, lang string) {
	t.Helper()
	if status, _ := browsertest.Response(t, tab, "open "+url, chromedp.Navigate(url)); status != http.StatusOK {
		t.Fatalf("%s: got status %d, want 200", url, status)
	}
	if got := browsertest.Run(t, tab, "read <html lang>", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
		t.Fatalf(`%s: <html lang> got %q, want %q`, url, got, lang)
	}
	if n := browsertest.Run(t, tab, "count scripts", chromedp.Evaluate[int](`document.querySelectorAll('script').length`)); n != 0 {
		t.Errorf("%s: got %d <script> elements, want none", url, n)
	}
}

// publicLandmarks checks the page's skeleton: one banner header holding the
// labelled site navigation, one main (the skip link's target), one footer,
// and a name on every nav.
func publicLandmarks(t *testing.T, tab context.Context) {
	t.Helper()
	type landmarks struct {
		Headers, Mains, Footers, HeaderNavs int
		MainID                              string
		UnnamedNavs                         int
	}
	got := browsertest.Run(t, tab, "read the landmarks", chromedp.Evaluate[landmarks](`({
		Headers: document.querySelectorAll('body > header').length,
		Mains: document.querySelectorAll('main').length,
		Footers: document.querySelectorAll('body > footer').length,
		HeaderNavs: document.querySelectorAll('body > header nav').length,
		MainID: document.querySelector('main')?.id ?? '',
		UnnamedNavs: [...document.querySelectorAll('nav')].filter(n =>
			!(n.getAttribute('aria-label') || document.getElementById(n.getAttribute('aria-labelledby'))?.textContent.trim())).length,
	})`))
	if want := (landmarks{Headers: 1, Mains: 1, Footers: 1, HeaderNavs: 1, MainID: "main"}); got != want {
		t.Errorf("landmarks: got %+v, want %+v", got, want)
	}
}

// publicSections checks that every section of the policy sits in main under
// its stable anchor (policy.SectionIDs), with a heading, and that the table
// of contents links to it.
func publicSections(t *testing.T, tab context.Context) {
	t.Helper()
	ids, _ := json.Marshal(policy.SectionIDs)
	type section struct {
		ID, Tag, Heading string
		InMain, Linked   bool
	}
	got := browsertest.Run(t, tab, "read the sections", chromedp.Evaluate[[]section](fmt.Sprintf(`%s.map(id => {
		const e = document.getElementById(id);
		return {ID: id, Tag: e?.tagName.toLowerCase() ?? '', Heading: e?.querySelector('h2')?.textContent.trim() ?? '',
			InMain: !!e?.closest('main'), Linked: !!document.querySelector('main nav a[href="#' + id + '"]')};
	})`, ids)))
	for _, s := range got {
		if s.Tag != "section" || s.Heading == "" || !s.InMain || !s.Linked {
			t.Errorf("section #%s: got <%s> heading %q in main %v linked %v, want a <section> with a heading in main, linked from the contents",
				s.ID, s.Tag, s.Heading, s.InMain, s.Linked)
		}
	}
}

// publicFocused describes document.activeElement.
const publicFocused = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return 'body';
	return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
})()`

// publicSkipLink checks that the first Tab shows the skip link and that
// following it moves the focus to main (WCAG 2.4.1 and 2.4.7).
func publicSkipLink(t *testing.T, tab context.Context) {
	t.Helper()
	browsertest.Do(t, tab, "press Tab", chromedp.KeyEvent("\t"))
	if got := browsertest.Run(t, tab, "read the focus", chromedp.Evaluate[string](publicFocused)); got != "a.skip" {
		t.Fatalf("first Tab focuses %s, want the skip link a.skip", got)
	}
	if !publicVisible(t, tab, "a.skip") {
		t.Error("the focused skip link is not visible")
	}
	browsertest.Do(t, tab, "press Enter", chromedp.KeyEvent("\r"))
	if got := browsertest.Run(t, tab, "read the focus", chromedp.Evaluate[string](publicFocused)); got != "main#main" {
		t.Errorf("after following the skip link the focus is on %s, want main#main", got)
	}
}

// publicVisible reports whether the first element matching sel takes up
// room on the page, inside the viewport horizontally.
func publicVisible(t *testing.T, tab context.Context, sel string) bool {
	t.Helper()
	b, _ := json.Marshal(sel)
	return browsertest.Run(t, tab, "measure "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) throw new Error('no element matches ' + %[1]s);
		const r = e.getBoundingClientRect();
		return e.getClientRects().length > 0 && r.width > 1 && r.height > 1 && r.right > 0 && r.left < innerWidth;
	})()`, b)))
}
