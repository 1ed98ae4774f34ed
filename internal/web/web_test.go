package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"privaq"
	"privaq/internal/api"
	"privaq/internal/connector"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/server"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
	"privaq/internal/web"
	"privaq/internal/webhook"
)

const testPassword = "correct horse battery staple"

// testSite is the whole application over a real database, with the demo
// inventory in org "demo", an empty org "other", and one account per role.
type testSite struct {
	srv  *httptest.Server
	db   *store.DB
	orgs *org.Service
	demo org.Org
	// shop is the sample shop, a SQLite file where demo's connectors may
	// reach.
	shop string
}

func newTestSite(t *testing.T, dbURL string) *testSite {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, dbURL)
	log := slog.New(slog.NewTextHandler(testLogWriter(t), nil))
	orgs := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	inv := &inventory.Service{Store: db}
	pol := &policy.Service{Store: db, Subscribers: db, Inventory: inv, Clock: privaq.SystemClock{}}
	writer := consent.NewWriter(db, privaq.SystemClock{}, log)
	wctx, stop := context.WithCancel(ctx)
	go writer.Run(wctx)
	t.Cleanup(stop)
	cons := &consent.Service{Store: db, Writer: writer, Sources: db, Audit: db, Clock: privaq.SystemClock{}}
	shopDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(shopDir, "demo"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := connector.CreateSample(ctx, filepath.Join(shopDir, "demo", "shop.db")); err != nil {
		t.Fatal(err)
	}
	w, err := web.New(web.Config{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: pol, Consents: cons, Audit: db, Log: log,
		Outbox: &mail.Outbox{Store: db, Audit: db}, Webhooks: &webhook.Service{Store: db, Clock: privaq.SystemClock{}},
		Incidents: &incident.Service{Store: db, Inventory: db, Clock: privaq.SystemClock{}},
		Rights:    &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: privaq.SystemClock{}, SQLiteDir: shopDir}})
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{Log: log, DB: db, API: &api.API{Orgs: orgs, OrgStore: db, Inventory: inv, Audit: db, Log: log}, Web: w, Version: "test"})
	s := &testSite{srv: httptest.NewServer(h), db: db, orgs: orgs, shop: filepath.Join(shopDir, "demo", "shop.db")}
	t.Cleanup(s.srv.Close)
	sys := privaq.Actor{Kind: privaq.ActorSystem}
	if s.demo, err = orgs.CreateOrg(ctx, sys, "demo", "Démo", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Replace(ctx, privaq.System(s.demo.ID), s.demo.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	other, err := orgs.CreateOrg(ctx, sys, "other", "Autre", inventory.RegimePublic, "fr")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []privaq.Role{privaq.RoleOfficer, privaq.RoleStaff, privaq.RoleAuditor} {
		if _, _, err := orgs.AddUser(ctx, privaq.System(s.demo.ID), s.demo.ID, string(r)+"@demo.test", "", r, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := orgs.AddUser(ctx, privaq.System(other.ID), other.ID, "outsider@other.test", "", privaq.RoleOfficer, testPassword); err != nil {
		t.Fatal(err)
	}
	return s
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each 303.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (s *testSite) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	code, body, _ := b.do(req)
	return code, body
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf reads the form token from a page the user can see.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) login(email string) {
	b.t.Helper()
	code, _, h := b.post("/admin/login", url.Values{"email": {email}, "password": {testPassword}, "next": {"/admin/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin/" {
		b.t.Fatalf("login %s: got %d to %q, want 303 to /admin/", email, code, h.Get("Location"))
	}
}

var missingKeyRE = regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`)

func eachEngine(t *testing.T, fn func(t *testing.T, s *testSite)) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) { fn(t, newTestSite(t, e.URL(t))) })
	}
}

func TestLogin(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		if code, _ := b.get("/admin/o/demo/"); code != http.StatusSeeOther {
			t.Fatalf("signed out: got %d, want a redirect to the sign-in page", code)
		}
		code, body, _ := b.post("/admin/login", url.Values{"email": {"officer@demo.test"}, "password": {"wrong password!!"}})
		if code != http.StatusUnauthorized || !strings.Contains(body, "Courriel ou mot de passe incorrect") || !strings.Contains(body, `value="officer@demo.test"`) {
			t.Errorf("wrong password: got %d, want 401 with the French message and the email kept", code)
		}
		code, _, h := b.post("/admin/login", url.Values{"email": {"officer@demo.test"}, "password": {testPassword}, "next": {"//evil.example/x"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/admin/" {
			t.Errorf("open redirect: got %d to %q, want /admin/", code, h.Get("Location"))
		}
		ck := h.Get("Set-Cookie")
		for _, want := range []string{"privaq_session=", "HttpOnly", "SameSite=Lax", "Path=/admin"} {
			if !strings.Contains(ck, want) {
				t.Errorf("session cookie %q lacks %s", ck, want)
			}
		}
		if code, _ := b.get("/admin/"); code != http.StatusSeeOther {
			t.Errorf("home: got %d, want a redirect to the organization", code)
		}
		code, body = b.get("/admin/o/demo/")
		if code != http.StatusOK || !strings.Contains(body, "Tableau de bord") {
			t.Fatalf("dashboard: got %d", code)
		}
		tok := b.csrf("/admin/o/demo/")
		if code, _, _ := b.post("/admin/logout", url.Values{"_csrf": {tok}}); code != http.StatusSeeOther {
			t.Errorf("logout: got %d", code)
		}
		if code, _ := b.get("/admin/o/demo/"); code != http.StatusSeeOther {
			t.Errorf("after logout: got %d, want a redirect", code)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	for i := range 5 {
		if code, _, _ := b.post("/admin/login", url.Values{"email": {"staff@demo.test"}, "password": {"nope nope nope"}}); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: got %d, want 401", i+1, code)
		}
	}
	code, body, _ := b.post("/admin/login", url.Values{"email": {"staff@demo.test"}, "password": {testPassword}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Trop de tentatives") {
		t.Errorf("sixth attempt, right password: got %d, want 429: throttling must not depend on the password", code)
	}
}

func TestEveryPageRendersInBothLanguages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("officer@demo.test")
		pages := []string{"/admin/o/demo/", "/admin/o/demo/checks", "/admin/o/demo/policy", "/admin/o/demo/policy?doc=en", "/admin/o/demo/profile", "/admin/o/demo/officer",
			"/admin/o/demo/audit", "/admin/o/demo/transfer", "/admin/o/demo/access", "/admin/account", "/admin/orgs",
			"/admin/o/demo/mail", "/admin/o/demo/policy/paragraphs"}
		doc := inventory.Demo()
		for _, c := range inventory.Collections {
			pages = append(pages, "/admin/o/demo/inventory/"+c.Path(), "/admin/o/demo/inventory/"+c.Path()+"/_new",
				"/admin/o/demo/inventory/"+c.Path()+"/"+c.Keys(doc)[0])
		}
		for _, lang := range []string{"fr", "en"} {
			for _, p := range pages {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				code, body := b.get(p + sep + "lang=" + lang)
				if code != http.StatusOK {
					t.Errorf("%s (%s): got %d, want 200", p, lang, code)
					continue
				}
				if m := missingKeyRE.FindString(body); m != "" {
					t.Errorf("%s (%s): missing catalog key %s", p, lang, m)
				}
				if !strings.Contains(body, `<html lang="`+lang+`">`) {
					t.Errorf("%s: page not in %s", p, lang)
				}
			}
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestSite(t, "")
	res, err := http.Get(s.srv.URL + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := res.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want it to contain %q", h, got, want)
		}
	}
}

func TestCSRF(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("officer@demo.test")
	form := url.Values{"key": {"x"}, "name.fr": {"X"}, "consent": {"implied"}}
	if code, _, _ := b.post("/admin/o/demo/inventory/purposes/_new", form); code != http.StatusForbidden {
		t.Errorf("no token: got %d, want 403", code)
	}
	form.Set("_csrf", b.csrf("/admin/o/demo/"))
	req, _ := http.NewRequest("POST", b.base+"/admin/o/demo/inventory/purposes/_new", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code, _, _ := b.do(req); code != http.StatusForbidden {
		t.Errorf("cross-site with a valid token: got %d, want 403", code)
	}
	if code, _, _ := b.post("/admin/o/demo/inventory/purposes/_new", form); code != http.StatusSeeOther {
		t.Errorf("same-site with the token: got %d, want 303", code)
	}
}

func TestInventoryForms(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("staff@demo.test")
		tok := b.csrf("/admin/o/demo/")
		name := "Bénévolat d’été à l’école Saint-Éloi"
		code, _, h := b.post("/admin/o/demo/inventory/purposes/_new", url.Values{"_csrf": {tok}, "key": {"benevolat-ete"},
			"name.fr": {name}, "name.en": {"Summer volunteering"}, "consent": {"express"}})
		if code != http.StatusSeeOther {
			t.Fatalf("create: got %d, want 303", code)
		}
		_, list := b.get(h.Get("Location"))
		if !strings.Contains(list, "Bénévolat d’été à l’école Saint-Éloi") {
			t.Errorf("the list does not show the new purpose with its accents")
		}
		if !strings.Contains(list, `role="status">Modifications enregistrées.`) {
			t.Errorf("the list does not confirm the save")
		}
		// A rejected form keeps the input and explains, in French, beside the field.
		code, body, _ := b.post("/admin/o/demo/inventory/purposes/_new", url.Values{"_csrf": {tok}, "key": {"Bad Key!"},
			"name.fr": {"Garde « estivale »"}, "consent": {"express"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad key: got %d, want 422", code)
		}
		for _, want := range []string{`value="Bad Key!"`, `value="Garde « estivale »"`, `id="e-key"`, `aria-invalid="true"`} {
			if !strings.Contains(body, want) {
				t.Errorf("rejected form lacks %s", want)
			}
		}
		if !regexp.MustCompile(`(?s)id="e-key">[^<]*[éèàç][^<]*<`).MatchString(body) {
			t.Errorf("the key error is not in French")
		}
		// In English the same error is in English.
		_, body, _ = b.post("/admin/o/demo/inventory/purposes/_new?lang=en", url.Values{"_csrf": {tok}, "key": {"Bad Key!"}, "name.fr": {"X"}, "consent": {"express"}})
		if !strings.Contains(body, "The form has errors") {
			t.Errorf("English form error missing")
		}
		// Duplicate key.
		// The English page set the language cookie; come back to French.
		code, body, _ = b.post("/admin/o/demo/inventory/purposes/_new?lang=fr", url.Values{"_csrf": {tok}, "key": {"benevolat-ete"}, "name.fr": {"Y"}, "consent": {"implied"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "déjà utilisée") {
			t.Errorf("duplicate: got %d, want 422 saying the key is taken", code)
		}
		// Edit, rename, and the activity that used it follows.
		doc := inventory.Demo()
		act := doc.Activities[0]
		p := act.Purposes[0]
		_, form := b.get("/admin/o/demo/inventory/purposes/" + p)
		if !strings.Contains(form, `value="`+p+`"`) {
			t.Fatalf("edit form does not show the key")
		}
		purpose, _ := inventory.Collections[0].Get(doc, p)
		pp := purpose.(*inventory.Purpose)
		code, _, _ = b.post("/admin/o/demo/inventory/purposes/"+p, url.Values{"_csrf": {tok}, "key": {p + "-v2"},
			"name.fr": {pp.Name.FR}, "name.en": {pp.Name.EN}, "description.fr": {pp.Description.FR}, "consent": {string(pp.Consent)}, "exception.fr": {pp.Exception.FR}})
		if code != http.StatusSeeOther {
			t.Fatalf("rename: got %d, want 303", code)
		}
		_, actPage := b.get("/admin/o/demo/inventory/activities/" + act.Key)
		if !strings.Contains(actPage, `value="`+p+`-v2" checked`) {
			t.Errorf("activity %s does not reference the renamed purpose", act.Key)
		}
		// A used item cannot be deleted; an unused one can.
		if code, _, h := b.post("/admin/o/demo/inventory/purposes/"+p+"-v2/delete", url.Values{"_csrf": {tok}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "inuse=") {
			t.Errorf("delete used: got %d to %q, want a redirect explaining it is in use", code, h.Get("Location"))
		}
		if code, _, _ := b.post("/admin/o/demo/inventory/purposes/benevolat-ete/delete", url.Values{"_csrf": {tok}}); code != http.StatusSeeOther {
			t.Errorf("delete unused: got %d, want 303", code)
		}
		if code, _ := b.get("/admin/o/demo/inventory/purposes/benevolat-ete"); code != http.StatusNotFound {
			t.Errorf("deleted item: got %d, want 404", code)
		}
	})
}

func TestProfileAndOfficerForms(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("officer@demo.test")
	tok := b.csrf("/admin/o/demo/")
	code, body, _ := b.post("/admin/o/demo/officer", url.Values{"_csrf": {tok}, "name": {"Hélène Côté"}, "email": {"pas-un-courriel"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `value="pas-un-courriel"`) || !strings.Contains(body, `id="e-email"`) {
		t.Errorf("bad officer email: got %d, want 422 with the input kept and the error beside the field", code)
	}
	if code, _, _ := b.post("/admin/o/demo/officer", url.Values{"_csrf": {tok}, "name": {"Hélène Côté"}, "title": {"Directrice"}, "email": {"rprp@demo.test"}}); code != http.StatusSeeOther {
		t.Errorf("officer save: got %d", code)
	}
	_, page := b.get("/admin/o/demo/officer")
	if !strings.Contains(page, "Hélène Côté") {
		t.Errorf("officer not saved")
	}
	code, body, _ = b.post("/admin/o/demo/profile", url.Values{"_csrf": {tok}, "name": {"Démo"}, "regime": {"private"}, "languages": {"fr", "en"},
		"notice_days": {"30"}, "request_delay_days": {"45"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-request_delay_days"`) {
		t.Errorf("delay above the legal 30 days: got %d, want 422 beside the field", code)
	}
	code, _, _ = b.post("/admin/o/demo/profile", url.Values{"_csrf": {tok}, "name": {"Démo renommée"}, "regime": {"private"}, "languages": {"fr", "en"},
		"notice_days": {"30"}, "request_delay_days": {"30"}, "adopted_by": {"Conseil"}, "adopted_on": {"2025-01-15"}})
	if code != http.StatusSeeOther {
		t.Errorf("profile save: got %d", code)
	}
}

func TestRolesAndTenants(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		aud := s.browser(t)
		aud.login("auditor@demo.test")
		if code, _ := aud.get("/admin/o/demo/audit"); code != http.StatusOK {
			t.Errorf("auditor reads the audit log: got %d, want 200", code)
		}
		tok := aud.csrf("/admin/o/demo/")
		if code, _, _ := aud.post("/admin/o/demo/inventory/purposes/_new", url.Values{"_csrf": {tok}, "key": {"x"}, "name.fr": {"X"}, "consent": {"implied"}}); code != http.StatusForbidden {
			t.Errorf("auditor writes: got %d, want 403", code)
		}
		if code, _ := aud.get("/admin/o/demo/access"); code != http.StatusForbidden {
			t.Errorf("auditor manages access: got %d, want 403", code)
		}
		staff := s.browser(t)
		staff.login("staff@demo.test")
		if code, _ := staff.get("/admin/o/demo/audit"); code != http.StatusForbidden {
			t.Errorf("staff reads the audit log: got %d, want 403", code)
		}
		out := s.browser(t)
		out.login("outsider@other.test")
		for _, p := range []string{"/admin/o/demo/", "/admin/o/demo/inventory/purposes", "/admin/o/demo/audit", "/admin/o/demo/transfer/export",
			"/admin/o/demo/mail", "/admin/o/demo/mail/1"} {
			if code, body := out.get(p); code != http.StatusNotFound || strings.Contains(body, "Démo") {
				t.Errorf("%s from another organization: got %d, want 404 revealing nothing", p, code)
			}
		}
	})
}

func TestImportExport(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("officer@demo.test")
	_, yaml := b.get("/admin/o/demo/transfer/export?format=yaml")
	tok := b.csrf("/admin/o/demo/transfer")
	upload := func(name, content string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", tok)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", b.base+"/admin/o/demo/transfer/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		code, body, _ := b.do(req)
		return code, body
	}
	bad := strings.Replace(yaml, "consent: express", "consent: maybe", 1)
	if code, body := upload("inv.yaml", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "consent") {
		t.Errorf("bad import: got %d, want 422 naming the field", code)
	}
	if code, _ := upload("inv.txt", yaml); code != http.StatusUnprocessableEntity {
		t.Errorf("wrong extension: got %d, want 422", code)
	}
	if code, _ := upload("inv.yaml", yaml); code != http.StatusSeeOther {
		t.Errorf("good import: got %d, want 303", code)
	}
	if _, again := b.get("/admin/o/demo/transfer/export?format=yaml"); again != yaml {
		t.Errorf("export after re-import differs from the original export")
	}
}

func TestTOTPEnrolmentAndLogin(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("officer@demo.test")
	_, page := b.get("/admin/account")
	m := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "data:image/png;base64,") {
		t.Fatal("the account page offers no TOTP secret and QR code")
	}
	tok := csrfRE.FindStringSubmatch(page)[1]
	if code, _, _ := b.post("/admin/account/totp", url.Values{"_csrf": {tok}, "secret": {m[1]}, "code": {"000000"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("wrong code: got %d, want 422", code)
	}
	code, _ := totp.GenerateCode(m[1], time.Now())
	if c, _, _ := b.post("/admin/account/totp", url.Values{"_csrf": {tok}, "secret": {m[1]}, "code": {code}}); c != http.StatusSeeOther {
		t.Fatalf("enable: got %d, want 303", c)
	}
	// A new sign-in now needs the code.
	b2 := s.browser(t)
	c, _, h := b2.post("/admin/login", url.Values{"email": {"officer@demo.test"}, "password": {testPassword}, "next": {"/admin/"}})
	if c != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/login/totp") {
		t.Fatalf("password step: got %d to %q, want the TOTP step", c, h.Get("Location"))
	}
	if c, _ := b2.get("/admin/o/demo/"); c != http.StatusSeeOther {
		t.Errorf("pages before the code: got %d, want a redirect", c)
	}
	if c, _, _ := b2.post("/admin/login/totp", url.Values{"code": {"123456"}}); c != http.StatusUnprocessableEntity {
		t.Errorf("wrong TOTP: got %d, want 422", c)
	}
	// The code that enabled TOTP was spent; use the next step's code, which
	// the one-step drift window accepts.
	code, _ = totp.GenerateCode(m[1], time.Now().Add(30*time.Second))
	if c, _, _ := b2.post("/admin/login/totp", url.Values{"code": {code}, "next": {"/admin/"}}); c != http.StatusSeeOther {
		t.Fatalf("right TOTP: got %d, want 303", c)
	}
	// The same code a second time, from another browser: refused.
	b3 := s.browser(t)
	b3.post("/admin/login", url.Values{"email": {"officer@demo.test"}, "password": {testPassword}, "next": {"/admin/"}})
	if c, _, _ := b3.post("/admin/login/totp", url.Values{"code": {code}}); c != http.StatusUnprocessableEntity {
		t.Errorf("replayed TOTP code: got %d, want 422", c)
	}
	if c, _ := b2.get("/admin/o/demo/"); c != http.StatusOK {
		t.Errorf("after the code: got %d, want 200", c)
	}
}

func TestAccessPage(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("officer@demo.test")
	tok := b.csrf("/admin/o/demo/access")
	_, body, _ := b.post("/admin/o/demo/access/tokens", url.Values{"_csrf": {tok}, "name": {"site web"}, "role": {"integration"}})
	m := regexp.MustCompile(`pq_[a-z2-7]{52}`).FindString(body)
	if m == "" {
		t.Fatal("the new token is not shown once")
	}
	req, _ := http.NewRequest("GET", s.srv.URL+"/api/v1/orgs/demo/purposes", nil)
	req.Header.Set("Authorization", "Bearer "+m)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the new token does not work: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	_, body, _ = b.post("/admin/o/demo/access/members", url.Values{"_csrf": {tok}, "email": {"nouvelle@demo.test"}, "role": {"staff"}})
	if !strings.Contains(body, "nouvelle@demo.test") || !regexp.MustCompile(`<code class="secret">[a-z2-7]{24}</code>`).MatchString(body) {
		t.Errorf("adding a member does not show the initial password")
	}
	_, audit := b.get("/admin/o/demo/audit")
	for _, want := range []string{"token.create", "membership.set", "members.read", "login"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// testLogWriter shows the server's log lines in the test output, so that a
// 500 comes with its cause.
func testLogWriter(t *testing.T) io.Writer { return tLog{t} }

type tLog struct{ t *testing.T }

func (l tLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("level=ERROR")) || bytes.Contains(p, []byte("level=WARN")) {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func TestOnlyAdminsCreateOrganizations(t *testing.T) {
	s := newTestSite(t, "")
	ctx := context.Background()
	admin := &org.User{Email: "admin@instance.test", Name: "Admin", CreatedAt: time.Now()}
	var err error
	if admin.PasswordHash, err = org.HashPassword(testPassword); err != nil {
		t.Fatal(err)
	}
	if err := s.orgs.MakeAdmin(ctx, admin); err != nil {
		t.Fatal(err)
	}
	staff := s.browser(t)
	staff.login("staff@demo.test")
	tok := staff.csrf("/admin/orgs")
	if code, _, _ := staff.post("/admin/orgs", url.Values{"_csrf": {tok}, "slug": {"neuve"}, "name": {"Neuve"}, "regime": {"private"}}); code != http.StatusForbidden {
		t.Errorf("staff creates an organization: got %d, want 403", code)
	}
	a := s.browser(t)
	a.login("admin@instance.test")
	tok = a.csrf("/admin/orgs")
	code, body, _ := a.post("/admin/orgs", url.Values{"_csrf": {tok}, "slug": {"Pas Bon"}, "name": {"Neuve"}, "regime": {"private"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-slug"`) || !strings.Contains(body, `value="Pas Bon"`) {
		t.Errorf("bad slug: got %d, want 422 with the error beside the slug and the input kept", code)
	}
	code, _, h := a.post("/admin/orgs", url.Values{"_csrf": {tok}, "slug": {"neuve"}, "name": {"Coopérative Neuve"}, "regime": {"public"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin/o/neuve/" {
		t.Fatalf("create: got %d to %q", code, h.Get("Location"))
	}
	if code, body := a.get("/admin/o/neuve/"); code != http.StatusOK || !strings.Contains(body, "Coopérative Neuve") {
		t.Errorf("the creator is not officer of the new organization: %d", code)
	}
	if code, body, _ := a.post("/admin/orgs", url.Values{"_csrf": {tok}, "slug": {"neuve"}, "name": {"Encore"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "déjà utilisé") {
		t.Errorf("taken slug: got %d, want 422", code)
	}
}

func TestTextareaLineBreaksFromBrowsers(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("staff@demo.test")
	tok := b.csrf("/admin/o/demo/")
	code, _, _ := b.post("/admin/o/demo/inventory/measures/_new", url.Values{"_csrf": {tok}, "key": {"chiffrement"}, "kind": {"security"},
		"text.fr": {"Premier paragraphe.\r\n\r\nDeuxième paragraphe."}})
	if code != http.StatusSeeOther {
		t.Fatalf("CRLF text: got %d, want 303", code)
	}
	_, yaml := b.get("/admin/o/demo/transfer/export?format=yaml")
	if strings.Contains(yaml, "\r") || !strings.Contains(yaml, "Premier paragraphe.\n") {
		t.Errorf("stored text should have LF line breaks")
	}
}

func TestAddingAnAccountRevealsNothingOfItsPast(t *testing.T) {
	s := newTestSite(t, "")
	ctx := context.Background()
	victim := s.browser(t)
	victim.login("staff@demo.test") // a sign-in in "demo"
	other, err := s.orgs.Store.OrgBySlug(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	// The officer of "other" attaches the demo staff member's account...
	if _, _, err := s.orgs.AddUser(ctx, privaq.Actor{Kind: privaq.ActorUser, OrgID: other.ID, Role: privaq.RoleOfficer}, other.ID, "staff@demo.test", "", privaq.RoleAuditor, ""); err != nil {
		t.Fatal(err)
	}
	out := s.browser(t)
	out.login("outsider@other.test")
	_, page := out.get("/admin/o/other/audit")
	// ...and sees the membership change, but not the sign-in made in "demo".
	if strings.Count(page, ">staff@demo.test<") != 0 {
		t.Errorf("the audit log of \"other\" shows actions of staff@demo.test taken in \"demo\"")
	}
	if !strings.Contains(page, "membership.set") {
		t.Errorf("the audit log of \"other\" lacks its own membership change")
	}
}

func TestFormBodiesAreLimited(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("staff@demo.test")
	tok := b.csrf("/admin/o/demo/")
	code, _, _ := b.post("/admin/o/demo/inventory/purposes/_new", url.Values{"_csrf": {tok}, "key": {"x"}, "name.fr": {strings.Repeat("a", 2<<20)}})
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: got %d, want 413", code)
	}
	if code, _, _ := b.post("/admin/login", url.Values{"email": {strings.Repeat("a", 2<<20)}}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB sign-in form: got %d, want 413", code)
	}
}

func TestItemKeyedNewCanBeEdited(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("staff@demo.test")
	tok := b.csrf("/admin/o/demo/")
	if code, _, _ := b.post("/admin/o/demo/inventory/purposes/_new", url.Values{"_csrf": {tok}, "key": {"new"}, "name.fr": {"Nouveautés"}, "consent": {"implied"}}); code != http.StatusSeeOther {
		t.Fatalf("create key new: got %d", code)
	}
	if _, page := b.get("/admin/o/demo/inventory/purposes/new"); !strings.Contains(page, `value="Nouveautés"`) {
		t.Errorf("the item keyed \"new\" does not open its own form")
	}
}

func TestReadOnlyRolesGetDisabledForms(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("auditor@demo.test")
	_, page := b.get("/admin/o/demo/inventory/purposes/" + inventory.Demo().Purposes[0].Key)
	if !strings.Contains(page, "<fieldset class=\"readonly\" disabled>") {
		t.Errorf("an auditor gets an editable form")
	}
}

func TestPolicyPreview(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("auditor@demo.test")
	doc := inventory.Demo()
	for lang, want := range map[string]string{"fr": "Politique de confidentialité", "en": "Privacy policy"} {
		code, page := b.get("/admin/o/demo/policy?doc=" + lang)
		if code != http.StatusOK || !strings.Contains(page, want) || !strings.Contains(page, `<article class="privaq-policy" lang="`+lang+`">`) {
			t.Errorf("%s preview: got %d, want the generated policy", lang, code)
		}
		for _, c := range doc.Cookies {
			if !strings.Contains(page, c.Name) {
				t.Errorf("%s preview lacks cookie %s", lang, c.Name)
			}
		}
	}
	if code, _ := b.get("/admin/o/demo/policy?doc=de"); code != http.StatusNotFound {
		t.Errorf("unknown language: got %d, want 404", code)
	}
}
