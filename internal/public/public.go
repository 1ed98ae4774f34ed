// Package public serves the pages anyone may read without signing in
// (SPEC §6): an organization's current privacy policy, its published
// versions, one version, and the current version as JSON. Pages are
// server-rendered, French or English, printable, and work without
// JavaScript under a strict Content-Security-Policy.
package public

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/i18n"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
)

//go:embed templates static
var assets embed.FS

// OrgStore finds organizations by slug.
type OrgStore interface {
	OrgBySlug(ctx context.Context, slug string) (org.Org, error)
}

// LedgerKeys gives an organization's ledger public keys.
type LedgerKeys interface {
	PublicKeys(ctx context.Context, org privaq.OrgID) ([]consent.PublicKey, error)
}

// Config is what the public pages need.
type Config struct {
	OrgStore OrgStore
	Policies *policy.Service
	Ledger   LedgerKeys // the consent ledger's public keys; nil to serve none
	Log      *slog.Logger
	BaseURL  string // public URL of the instance, for links inside policies
	// Banner serves the cookie banner and its consent endpoint under
	// /o/{org}; nil to serve none.
	// Rights takes the requests of the public form; nil to serve none.
	Rights *rights.Service
	Banner interface {
		Routes(mux *http.ServeMux, prefix string)
	}
}

// Public serves the public pages.
type Public struct {
	Config
	cat     *i18n.Catalog
	pages   map[string]*template.Template
	css     []byte
	cssPath string
	pdfs    pdfCache
}

// New parses the templates; any error fails the start.
func New(c Config) (*Public, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	p := &Public{Config: c, cat: cat, pages: map[string]*template.Template{}}
	if p.css, err = assets.ReadFile("static/public.css"); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(p.css)
	p.cssPath = "/static/public." + hex.EncodeToString(sum[:6]) + ".css"
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		p.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return p, nil
}

// Routes registers the public pages.
func (p *Public) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{file}", p.handleCSS)
	const o = "/o/{org}"
	mux.HandleFunc("GET "+o+"/privacy", p.serve(p.handlePolicy))
	mux.HandleFunc("GET "+o+"/privacy/versions", p.serve(p.handleVersions))
	mux.HandleFunc("GET "+o+"/privacy/v/{n}", p.handleVersionOrPDF)
	mux.HandleFunc("GET "+o+"/privacy/diff", p.serve(p.handleDiff))
	mux.HandleFunc("GET "+o+"/privacy.json", p.handleJSON)
	mux.HandleFunc("GET "+o+"/ledger/key", p.handleLedgerKey)
	p.subscribeRoutes(mux, o)
	if p.Rights != nil {
		p.requestRoutes(mux, o)
	}
	if p.Banner != nil {
		p.Banner.Routes(mux, o)
	}
}

// Page is what every public view has.
type Page struct {
	Lang, Title, CSS, Path string
	Org                    org.Org
	// Langs are the languages the organization publishes in; the switch
	// shows only when there are two.
	Langs  []string
	Status int
	cat    *i18n.Catalog
	query  url.Values
}

// T translates a catalog key into the page's language.
func (p *Page) T(key string, args ...any) string { return p.cat.T(p.Lang, key, args...) }

// Date writes a date in the page's language.
func (p *Page) Date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return policy.Date(*t, p.Lang)
}

// Day writes a date in the page's language.
func (p *Page) Day(t time.Time) string { return p.Date(&t) }

// SwitchURL is the address of this page in lang, keeping the parameters
// that say what the page shows (versions compared, a link's token).
func (p *Page) SwitchURL(lang string) string {
	q := url.Values{"lang": {lang}}
	for _, k := range []string{"from", "to", "t"} {
		if v := p.query.Get(k); v != "" && len(v) <= 100 {
			q.Set(k, v)
		}
	}
	return p.Path + "?" + q.Encode()
}

// OtherLang is the language the switch offers, or "" when there is none.
func (p *Page) OtherLang() string {
	for _, l := range p.Langs {
		if l != p.Lang {
			return l
		}
	}
	return ""
}

// lang picks the language: ?lang=, then Accept-Language, among the
// languages the organization publishes in, French otherwise.
func lang(r *http.Request, langs []string) string {
	l := r.URL.Query().Get("lang")
	if l != "fr" && l != "en" {
		l = i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
	}
	if !slices.Contains(langs, l) {
		return "fr"
	}
	return l
}

type handler func(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error)

// serve resolves {org}, runs h and renders the page it names, or the
// not-found page in the visitor's language.
func (p *Public) serve(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg := &Page{Lang: lang(r, []string{"fr", "en"}), Path: r.URL.Path, CSS: p.cssPath, cat: p.cat, Langs: []string{"fr", "en"}, query: r.URL.Query()}
		o, err := p.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
		if err == nil {
			pg.Org = o
			var name string
			var view any
			if name, view, err = h(w, r, pg); err == nil {
				p.render(w, r, name, pg, view)
				return
			}
		}
		if errors.Is(err, errAnswered) {
			return
		}
		if !privaq.IsCode(err, privaq.ENotFound) {
			p.Log.ErrorContext(r.Context(), "public_page_failed", "err", err, "route", r.Pattern)
			http.Error(w, "Erreur interne / Internal error", http.StatusInternalServerError)
			return
		}
		pg.Status, pg.Title = http.StatusNotFound, pg.T("public.not_found")
		p.render(w, r, "error", pg, &errorView{Page: pg})
	}
}

func (p *Public) render(w http.ResponseWriter, r *http.Request, name string, pg *Page, view any) {
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout.html", view); err != nil {
		p.Log.ErrorContext(r.Context(), "template_failed", "name", name, "err", err)
		http.Error(w, "Erreur interne / Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Accept-Language")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Language", pg.Lang)
	if pg.Status == 0 {
		pg.Status = http.StatusOK
	}
	w.WriteHeader(pg.Status)
	w.Write(buf.Bytes())
}

func (p *Public) handleCSS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != p.cssPath {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(p.css)
}
