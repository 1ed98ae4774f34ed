package banner_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/store"
)

// TestBuild checks what the banner shows of the demo inventory, and that
// its revision follows every visible change and nothing else.
func TestBuild(t *testing.T) {
	doc := inventory.Demo()
	c := banner.Build(doc, "demo")
	var ids []inventory.CookieCategory
	for _, k := range c.Categories {
		ids = append(ids, k.ID)
	}
	if want := []inventory.CookieCategory{"necessary", "preferences", "statistics", "marketing"}; !slices.Equal(ids, want) {
		t.Errorf("categories: got %v, want %v", ids, want)
	}
	if got, want := c.Optional(), []inventory.CookieCategory{"preferences", "statistics", "marketing"}; !slices.Equal(got, want) {
		t.Errorf("optional: got %v, want %v", got, want)
	}
	stats := c.Categories[2].Services
	if len(stats) != 1 || stats[0].Name != "Google Analytics" || stats[0].Provider != "Google LLC" || len(stats[0].Cookies) != 2 {
		t.Fatalf("statistics services: got %+v, want Google Analytics (Google LLC) with its two cookies", stats)
	}
	if ck := stats[0].Cookies[0]; ck.Name != "_ga" || ck.Duration != (inventory.Text{FR: "2 ans", EN: "2 years"}) || !strings.HasPrefix(ck.Purpose.EN, "Tells visitors apart") {
		t.Errorf("_ga: got %+v, want its purpose and a duration of 2 years in words", ck)
	}
	if c.Endpoint != "/o/demo/consent" || c.Policy.FR != "/o/demo/privacy?lang=fr" || c.Months != 12 || c.Position != "bottom" ||
		c.Colours != [4]string{"#ffffff", "#1f2328", "#1d4ed8", "#ffffff"} || !slices.Equal(c.Langs, []string{"fr", "en"}) {
		t.Errorf("defaults: got %+v", c)
	}
	if !regexp.MustCompile(`^[0-9a-f]{10}$`).MatchString(c.Revision) || banner.Build(inventory.Demo(), "demo").Revision != c.Revision {
		t.Errorf("revision %q: want 10 hex digits, the same for the same inventory", c.Revision)
	}
	if !slices.Contains(c.Origins, "https://entraide-jeunesse.example.org") {
		t.Errorf("origins %v: want the organization's website", c.Origins)
	}

	seen := map[string]string{c.Revision: "demo"}
	for name, change := range map[string]func(d *inventory.Document){
		"cookie duration": func(d *inventory.Document) { d.Cookies[6].Duration = "P13M" },
		"cookie purpose":  func(d *inventory.Document) { d.Cookies[6].Purpose.EN = "Counts visits." },
		"new cookie": func(d *inventory.Document) {
			d.Cookies = append(d.Cookies, inventory.Cookie{Key: "hj", Name: "_hjid", Service: "Hotjar", Category: "statistics", Duration: "P1Y", Party: "first"})
		},
		"colour":   func(d *inventory.Document) { d.Policy.Banner.Accent = "#000000" },
		"position": func(d *inventory.Document) { d.Policy.Banner.Position = "center" },
		"months":   func(d *inventory.Document) { d.Policy.Banner.ReconsentMonths = 6 },
		"policy":   func(d *inventory.Document) { d.Policy.Banner.PolicyURL = "https://example.org/privacy" },
		"name":     func(d *inventory.Document) { d.Org.Name = "Autre nom" },
	} {
		d := inventory.Demo()
		change(d)
		r := banner.Build(d, "demo").Revision
		if other, dup := seen[r]; dup {
			t.Errorf("%s: revision %s is the same as %s's", name, r, other)
		}
		seen[r] = name
	}
	// What the banner does not show leaves the revision alone, so
	// visitors are not asked again for nothing.
	d := inventory.Demo()
	d.Purposes[0].Name.FR = "Autre"
	d.Policy.Banner.AllowedOrigins = []string{"https://shop.example.org"}
	if r := banner.Build(d, "demo"); r.Revision != c.Revision || !slices.Contains(r.Origins, "https://shop.example.org") {
		t.Errorf("purpose renamed and origin added: got revision %s origins %v, want %s and the origin", r.Revision, r.Origins, c.Revision)
	}

	fr := inventory.Demo()
	fr.Org.Languages = []string{"fr"}
	if c := banner.Build(fr, "demo"); !slices.Equal(c.Langs, []string{"fr"}) || c.Categories[2].Services[0].Cookies[0].Purpose.EN != "" || c.Policy.EN != "" {
		t.Errorf("French-only organization: got languages %v and English texts, want French only", c.Langs)
	}
	nec := inventory.Demo()
	nec.Cookies = slices.DeleteFunc(nec.Cookies, func(c inventory.Cookie) bool { return c.Category != inventory.CookieNecessary })
	if got := banner.Build(nec, "demo").Optional(); len(got) != 0 {
		t.Errorf("only necessary cookies: got optional categories %v, want none", got)
	}
}

// TestScript serves banner.js: one cacheable response, under the gzip
// budget, rebuilt when the inventory changes.
func TestScript(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db, privaq.SystemClock{}, 0)
		status, h, gz := s.request(t, "GET", "/o/alpha/banner.js", "", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
		if status != http.StatusOK || h.Get("Content-Encoding") != "gzip" || h.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Fatalf("banner.js: got %d %q %q, want 200 gzip text/javascript", status, h.Get("Content-Encoding"), h.Get("Content-Type"))
		}
		t.Logf("banner.js for the demo inventory: %d bytes gzip (budget %d)", len(gz), banner.MaxGzip)
		if len(gz) > banner.MaxGzip {
			t.Errorf("banner.js is %d bytes gzip: the budget is %d", len(gz), banner.MaxGzip)
		}
		if cc := h.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=300") || !strings.Contains(cc, "stale-while-revalidate=") {
			t.Errorf("Cache-Control: got %q", cc)
		}
		etag := h.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}-gz"$`).MatchString(etag) || !strings.Contains(h.Get("Vary"), "Accept-Encoding") {
			t.Errorf("gzip ETag %q, Vary %q: want a strong tag of the gzip body, varying by encoding", etag, h.Get("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		status, h2, body := s.request(t, "GET", "/o/alpha/banner.js", "", nil)
		if status != http.StatusOK || h2.Get("Content-Encoding") != "" || body != string(plain) || h2.Get("ETag") == etag {
			t.Errorf("identity: got %d %q, same body %v, ETag %s; want the same script uncompressed under its own tag", status, h2.Get("Content-Encoding"), body == string(plain), h2.Get("ETag"))
		}
		rev := banner.Build(inventory.Demo(), "alpha").Revision
		if !strings.Contains(body, `"r":"`+rev+`"`) || !strings.Contains(body, `"e":"/o/alpha/consent"`) || strings.Contains(body, "__PRIVAQ_CONFIG__") {
			t.Errorf("the script does not inline the configuration of revision %s", rev)
		}
		if strings.Contains(body, "\n  ") || strings.Contains(body, "// ") {
			t.Error("the script is not minified")
		}
		for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag} {
			status, h, body := s.request(t, "GET", "/o/alpha/banner.js", "", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": inm})
			if status != http.StatusNotModified || body != "" || h.Get("ETag") != etag {
				t.Errorf("If-None-Match %s: got %d with %d bytes, want 304 and no body", inm, status, len(body))
			}
		}
		if status, _, _ := s.request(t, "GET", "/o/alpha/banner.js", "", map[string]string{"Accept-Encoding": "gzip;q=0"}); status != http.StatusOK {
			t.Errorf("gzip;q=0: got %d", status)
		}

		s.edit(t, func(d *inventory.Document) { d.Cookies[6].Duration = "P13M" })
		_, h3, body := s.request(t, "GET", "/o/alpha/banner.js", "", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
		if h3.Get("ETag") == etag || len(body) == 0 {
			t.Error("a cookie's new duration does not change banner.js")
		}
		if status, _, _ := s.request(t, "GET", "/o/nobody/banner.js", "", nil); status != http.StatusNotFound {
			t.Errorf("unknown organization: got %d, want 404", status)
		}
		status, h, body = s.request(t, "GET", "/o/alpha/banner/preview?lang=en", "", nil)
		if status != http.StatusOK || !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `src="/o/alpha/banner.js" data-privaq-preview`) ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
			t.Errorf("preview: got %d %q\n%s", status, h.Get("Content-Security-Policy"), body)
		}
	})
}

// TestScriptBudget measures the script for a large inventory: twenty
// cookies in each category, with long purposes, must still fit in 8 KB.
func TestScriptBudget(t *testing.T) {
	doc := inventory.Demo()
	for i := range 20 {
		for _, c := range []inventory.CookieCategory{"preferences", "statistics", "marketing"} {
			doc.Cookies = append(doc.Cookies, inventory.Cookie{Key: string(c) + string(rune('a'+i)), Name: "_" + string(c)[:3] + string(rune('a'+i)),
				Service: "Service " + string(rune('A'+i%5)), Provider: "Fournisseur inc.", Category: c, Duration: "P1Y", Party: "third",
				Purpose: inventory.Text{FR: "Sert à mesurer et à personnaliser des choses pour la catégorie " + string(c) + ".", EN: "Used to measure and personalize things for " + string(c) + "."}})
		}
	}
	b, err := banner.New(banner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plain := b.Render(banner.Build(doc, "demo"))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(plain)
	zw.Close()
	t.Logf("banner.js with %d cookies: %d bytes, %d gzip", len(doc.Cookies), len(plain), gz.Len())
	if gz.Len() > banner.MaxGzip {
		t.Errorf("%d cookies: %d bytes gzip, over the %d budget", len(doc.Cookies), gz.Len(), banner.MaxGzip)
	}
}

// TestConsentEndpoint sends choices as banner.js does, and the requests
// it must refuse, and reads what the ledger recorded.
func TestConsentEndpoint(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		clock := privaq.NewManualClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
		s := newStack(t, db, clock, 7)
		s.edit(t, func(d *inventory.Document) { d.Policy.Banner.AllowedOrigins = []string{"https://shop.example.org"} })
		rev := banner.Build(func() *inventory.Document {
			d := inventory.Demo()
			d.Policy.Banner.AllowedOrigins = []string{"https://shop.example.org"}
			return d
		}(), "alpha").Revision
		const visitor = "0123456789abcdef0123456789abcdef"
		site := "https://entraide-jeunesse.example.org"
		post := func(origin, ctype, body string) (int, http.Header, string) {
			return s.request(t, "POST", "/o/alpha/consent", body, map[string]string{"Origin": origin, "Content-Type": ctype})
		}
		choice := func(cats string) string {
			return `{"visitor":"` + visitor + `","revision":"` + rev + `","categories":` + cats + `,"gpc":false,"action":"custom"}`
		}

		for _, c := range []struct {
			name, origin, ctype, body string
			status                    int
			code                      privaq.Code
		}{
			{"foreign origin", "https://evil.example", "text/plain", choice(`{"statistics":true}`), 403, privaq.EForbidden},
			{"no origin", "", "text/plain", choice(`{"statistics":true}`), 403, privaq.EForbidden},
			{"too large", site, "text/plain", choice(`{"statistics":true}`) + strings.Repeat(" ", 2048), 413, privaq.ETooLarge},
			{"unknown category", site, "text/plain", choice(`{"statistics":true,"tracking":true}`), 422, privaq.EValidation},
			{"necessary", "https://shop.example.org", "application/json", choice(`{"necessary":false}`), 422, privaq.EValidation},
			{"bad visitor", site, "text/plain", strings.Replace(choice(`{"statistics":true}`), visitor, "Robert'); DROP TABLE", 1), 422, privaq.EValidation},
		} {
			status, h, body := post(c.origin, c.ctype, c.body)
			var e struct{ Error struct{ Code privaq.Code } }
			if status != c.status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != c.code || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("%s: got %d %s, want %d with code %s", c.name, status, body, c.status, c.code)
			}
		}
		if h := s.history(t, visitor); len(h.Records) != 0 {
			t.Fatalf("refused requests recorded %d records", len(h.Records))
		}

		status, h, body := post(site, "text/plain;charset=UTF-8", choice(`{"preferences":false,"statistics":true,"marketing":false}`))
		if status != http.StatusNoContent || body != "" || h.Get("Access-Control-Allow-Origin") != site {
			t.Fatalf("choice: got %d %q (ACAO %q), want 204 with no body", status, body, h.Get("Access-Control-Allow-Origin"))
		}
		hist := s.history(t, visitor)
		if len(hist.Records) != 3 {
			t.Fatalf("ledger: got %d records, want 3 (one per category)", len(hist.Records))
		}
		for i, want := range []struct {
			purpose string
			d       consent.Decision
		}{{"cookies.preferences", consent.Refused}, {"cookies.statistics", consent.Granted}, {"cookies.marketing", consent.Refused}} {
			r := hist.Records[i]
			var ev map[string]any
			json.Unmarshal(r.Evidence, &ev)
			if r.Purpose != want.purpose || r.Decision != want.d || r.Channel != "banner" || r.Mode != consent.Express || r.GivenBy != consent.BySubject ||
				ev["revision"] != rev || ev["action"] != "custom" || ev["gpc"] != false || ev["origin"] != site {
				t.Errorf("record %d: got %s %s %s %s %s evidence %s, want %s %s by the subject through the banner", i, r.Purpose, r.Decision, r.Channel, r.Mode, r.GivenBy, r.Evidence, want.purpose, want.d)
			}
		}
		if a := s.decision(t, visitor, "cookies.statistics"); !a.Allowed || a.State != consent.StateGranted {
			t.Errorf("decision cookies.statistics: got %+v, want granted", a)
		}

		// Taking statistics back is a withdrawal, from the allowed shop.
		if status, _, body := post("https://shop.example.org", "application/json", strings.Replace(choice(`{"preferences":false,"statistics":false,"marketing":false}`), "custom", "refuse_all", 1)); status != http.StatusNoContent {
			t.Fatalf("second choice: got %d %s", status, body)
		}
		hist = s.history(t, visitor)
		if n := len(hist.Records); n != 6 || hist.Records[4].Purpose != "cookies.statistics" || hist.Records[4].Decision != consent.Withdrawn || hist.Records[3].Decision != consent.Refused {
			t.Errorf("after refusing all: got %d records, statistics %s, preferences %s; want 6, withdrawn, refused", n, hist.Records[4].Decision, hist.Records[3].Decision)
		}
		if a := s.decision(t, visitor, "cookies.statistics"); a.Allowed || a.State != consent.StateWithdrawn {
			t.Errorf("decision after withdrawal: got %+v", a)
		}

		// Preflight for the allowed origins only.
		status, h, _ = s.request(t, "OPTIONS", "/o/alpha/consent", "", map[string]string{"Origin": "https://shop.example.org", "Access-Control-Request-Method": "POST"})
		if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://shop.example.org" || h.Get("Access-Control-Allow-Methods") != "POST" {
			t.Errorf("preflight: got %d %v", status, h)
		}
		if status, h, _ := s.request(t, "OPTIONS", "/o/alpha/consent", "", map[string]string{"Origin": "https://evil.example"}); status != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("foreign preflight: got %d %v", status, h)
		}
		if status, _, _ := post(site, "application/xml", choice(`{"statistics":true}`)); status != http.StatusUnsupportedMediaType {
			t.Errorf("XML: got %d, want 415", status)
		}

		// The network sent 7 requests that passed the origin check
		// (413, 422 ×3, two choices and the XML one): the limit of 7 is
		// spent, and the window's end frees it.
		if status, h, body := post(site, "text/plain", choice(`{"statistics":true}`)); status != http.StatusTooManyRequests || h.Get("Retry-After") != "3600" || !strings.Contains(body, `"rate_limited"`) {
			t.Errorf("over the limit: got %d %s (Retry-After %q), want 429 rate_limited", status, body, h.Get("Retry-After"))
		}
		clock.Add(time.Hour + time.Second)
		if status, _, body := post(site, "text/plain", choice(`{"statistics":true}`)); status != http.StatusNoContent {
			t.Errorf("after the window: got %d %s, want 204", status, body)
		}
		if status, _, _ := post(site, "text/plain", "{}"); status != http.StatusUnprocessableEntity {
			t.Errorf("empty choice: got %d, want 422", status)
		}
	})
}

// TestInputs checks the mapping of a choice to ledger inputs without a
// database, including the refusal of anything but the banner's fields.
func TestInputs(t *testing.T) {
	c := banner.Build(inventory.Demo(), "demo")
	ch, err := banner.DecodeChoice([]byte(`{"visitor":"0123456789abcdef0123456789abcdef","revision":"ab12","categories":{"marketing":true,"statistics":false},"gpc":true,"action":"gpc"}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := banner.Inputs(ch, c, "https://a.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].Purpose != "cookies.statistics" || in[0].Decision != consent.Refused || in[1].Purpose != "cookies.marketing" || in[1].Decision != consent.Granted ||
		string(in[0].Evidence) != `{"revision":"ab12","gpc":true,"action":"gpc","origin":"https://a.example"}` {
		t.Errorf("inputs: got %+v", in)
	}
	for _, bad := range []string{`{"visitor":"x","extra":1}`, `[]`, `{"visitor":"a"} {}`, ``} {
		if _, err := banner.DecodeChoice([]byte(bad)); !privaq.IsCode(err, privaq.EInvalidJSON) {
			t.Errorf("decode %q: got %v, want invalid_json", bad, err)
		}
	}
	if _, err := banner.Inputs(banner.Choice{Visitor: strings.Repeat("a", 32), Revision: "zz", Categories: map[string]bool{"statistics": true}, Action: "maybe"}, c, ""); err == nil ||
		len(err.(privaq.ValidationErrors)) != 2 {
		t.Errorf("bad revision and action: got %v, want two errors", err)
	}
}
