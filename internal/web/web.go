// Package web serves the admin pages under /admin: server-rendered HTML,
// French first, no JavaScript, every form protected against cross-site
// requests twice (Fetch metadata via http.CrossOriginProtection, and a
// per-session token).
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/i18n"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/webhook"
)

//go:embed templates static
var assets embed.FS

// OrgStore is what the pages read about organizations directly.
type OrgStore interface {
	OrgBySlug(ctx context.Context, slug string) (org.Org, error)
	Memberships(ctx context.Context, user privaq.UserID) ([]org.Membership, error)
	ListOrgs(ctx context.Context) ([]org.Org, error)
}

// Config is what the pages need.
type Config struct {
	Orgs      *org.Service
	OrgStore  OrgStore
	Inventory *inventory.Service
	Policies  *policy.Service // versions; the preview page lists none when nil
	Audit     audit.Store
	Outbox    *mail.Outbox
	Consents  *consent.Service  // the ledger; the consent pages are 404 without it
	Webhooks  *webhook.Service  // endpoints and deliveries; the webhook pages are 404 without it
	Incidents *incident.Service // the register of incidents; its pages are 404 without it
	Rights    *rights.Service   // rights requests; their pages are 404 without it
	// MailConfigured says whether an SMTP server sends the outbox.
	MailConfigured bool
	Log            *slog.Logger
	SecureCookies  bool   // set when served over HTTPS
	BaseURL        string // public URL, for links in generated texts; empty for relative links
}

// Web is the admin UI.
type Web struct {
	Config
	cat     *i18n.Catalog
	pages   map[string]*template.Template
	css     []byte
	cssPath string
	protect *http.CrossOriginProtection
}

const sessionCookie = "privaq_session"

// New parses the templates and catalogs; any error fails the start.
func New(c Config) (*Web, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	w := &Web{Config: c, cat: cat, pages: map[string]*template.Template{}, protect: http.NewCrossOriginProtection()}
	w.css, err = assets.ReadFile("static/app.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(w.css)
	w.cssPath = "/admin/static/app." + hex.EncodeToString(sum[:6]) + ".css"
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasPrefix(base, "partial_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partial_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		w.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return w, nil
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"datep": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"join":        strings.Join,
	"collections": func() []inventory.Collection { return inventory.Collections },
	"key":         func(prefix, name string) string { return prefix + name },
	"list":        func(s ...string) []string { return s },
	"dict": func(v inputOwner, name, path, value string) inputArgs {
		return inputArgs{V: v, Name: name, Path: path, Value: value}
	},
}

// inputOwner is a view whose form shows errors by field path.
type inputOwner interface {
	Err(field string) string
	T(key string, args ...any) string
}

// inputArgs feeds the shared one-line input partial.
type inputArgs struct {
	V                 inputOwner
	Name, Path, Value string
}

// Page is what every view has: language, texts, who is signed in, where.
type Page struct {
	Lang  string
	Path  string // current path, for the language switch
	cat   *i18n.Catalog
	User  *org.User
	Org   *org.Org
	Role  privaq.Role
	Orgs  []org.Membership
	CSRF  string
	Nav   string
	Flash string
	// FlashError marks a flash that reports a refusal.
	FlashError bool
	CSS        string
	Title      string
	Status     int
	Actor      privaq.Actor
}

// T translates a catalog key into the page's language.
func (p *Page) T(key string, args ...any) string { return p.cat.T(p.Lang, key, args...) }

// N translates a key with a count, choosing the singular or plural form.
func (p *Page) N(key string, n int) string { return p.cat.N(p.Lang, key, n) }

// Can reports whether the signed-in role holds a permission, to hide what
// it may not do (the services check again).
func (p *Page) Can(perm string) bool { return p.Role.Can(privaq.Permission(perm)) }

// OtherLang is the language the switch offers.
func (p *Page) OtherLang() string {
	if p.Lang == "fr" {
		return "en"
	}
	return "fr"
}

// In picks the page's language in a bilingual text.
func (p *Page) In(t inventory.Text) string { return t.In(p.Lang) }

type viewer interface{ page() *Page }

func (p *Page) page() *Page { return p }

// render executes a page into a buffer first, so a template error yields a
// clean 500 instead of half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, name string, v viewer) {
	p := v.page()
	t, ok := w.pages[name]
	if !ok {
		w.Log.ErrorContext(r.Context(), "template_missing", "name", name)
		http.Error(rw, "template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		w.Log.ErrorContext(r.Context(), "template_failed", "name", name, "err", err)
		http.Error(rw, "Erreur interne / Internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Language", p.Lang)
	if p.Status == 0 {
		p.Status = http.StatusOK
	}
	rw.WriteHeader(p.Status)
	rw.Write(buf.Bytes())
}

// newPage starts a page for any request, signed in or not.
func (w *Web) newPage(rw http.ResponseWriter, r *http.Request) *Page {
	lang := i18n.Negotiate(r)
	if q := r.URL.Query().Get("lang"); q == lang {
		http.SetCookie(rw, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: w.SecureCookies, HttpOnly: true})
	}
	p := &Page{Lang: lang, Path: r.URL.Path, cat: w.cat, CSS: w.cssPath}
	// After a redirect, the query says what just happened (post/redirect/get
	// keeps no state on the server); the page announces it.
	for _, k := range []string{"saved", "deleted", "inuse"} {
		if v := r.URL.Query().Get(k); v != "" {
			p.Flash = p.T("flash."+k, v)
			p.FlashError = k == "inuse"
			break
		}
	}
	return p
}

// req is one signed-in page request.
type req struct {
	*Page
	sess  org.Session
	user  org.User
	actor privaq.Actor
	org   org.Org
}

type pageHandler func(rw http.ResponseWriter, r *http.Request, q *req) error

// signedIn wraps a handler that needs a session; withOrg also resolves the
// {org} of the path and the user's role in it.
func (w *Web) signedIn(withOrg bool, h pageHandler) http.Handler {
	return w.guard(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p := w.newPage(rw, r)
		q := &req{Page: p}
		err := w.authenticate(rw, r, q, withOrg)
		if err == nil {
			err = h(rw, r, q)
		}
		if err != nil {
			w.fail(rw, r, q, err)
		}
	}))
}

// Form bodies are limited like API bodies (SPEC §4): 1 MiB, and 10 MiB for
// the inventory import.
const (
	maxForm   = 1 << 20
	maxUpload = 10<<20 + 64<<10
)

// guard limits the body and refuses cross-origin form posts before anything
// reads the request.
func (w *Web) guard(h http.Handler) http.Handler {
	return w.protect.Handler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		limit := int64(maxForm)
		// A whole inventory, a list of 10,000 people concerned by an
		// incident (uploaded, then confirmed) and the copy of an identity
		// document are larger than a form.
		if p := r.URL.Path; strings.HasSuffix(p, "/transfer/import") || strings.HasSuffix(p, "/people/upload") || strings.HasSuffix(p, "/people/confirm") ||
			strings.HasSuffix(p, "/document") {
			limit = maxUpload
		}
		r.Body = http.MaxBytesReader(rw, r.Body, limit)
		if r.Method == http.MethodPost {
			var err error
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				err = r.ParseMultipartForm(limit) // in memory: nothing spills to disk
			} else {
				err = r.ParseForm()
			}
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(rw, "Requête trop volumineuse / Request too large", http.StatusRequestEntityTooLarge)
				return
			}
			if err != nil {
				http.Error(rw, "Formulaire illisible / Unreadable form", http.StatusBadRequest)
				return
			}
		}
		h.ServeHTTP(rw, r)
	}))
}

var errRedirected = errors.New("redirected")

func (w *Web) authenticate(rw http.ResponseWriter, r *http.Request, q *req, withOrg bool) error {
	ck, _ := r.Cookie(sessionCookie)
	raw := ""
	if ck != nil {
		raw = ck.Value
	}
	sess, user, err := w.Orgs.Resolve(r.Context(), raw)
	if privaq.IsCode(err, privaq.EUnauthorized) {
		http.Redirect(rw, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return errRedirected
	}
	if err != nil {
		return err
	}
	if sess.MFAPending {
		http.Redirect(rw, r, "/admin/login/totp", http.StatusSeeOther)
		return errRedirected
	}
	if r.Method == http.MethodPost {
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("_csrf")), []byte(sess.CSRF)) != 1 {
			return privaq.Errorf(privaq.EForbidden, "csrf")
		}
	}
	q.sess, q.user, q.User, q.CSRF = sess, user, &user, sess.CSRF
	q.Orgs, err = w.OrgStore.Memberships(r.Context(), user.ID)
	if err != nil {
		return err
	}
	ip := audit.TruncateIP(r.RemoteAddr)
	if !withOrg {
		q.actor = privaq.Actor{Kind: privaq.ActorUser, UserID: user.ID, Admin: user.Admin, IP: ip}
		return nil
	}
	o, err := w.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	q.actor, err = w.Orgs.ActorFor(r.Context(), user, o.ID, ip)
	if err != nil {
		return err
	}
	q.org, q.Org, q.Role = o, &o, q.actor.Role
	q.Actor = q.actor
	if sess.OrgID != o.ID {
		if q.sess, err = w.Orgs.SwitchOrg(r.Context(), sess, o.ID); err != nil {
			return err
		}
	}
	return nil
}

// fail shows an error page in the user's language.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, q *req, err error) {
	if errors.Is(err, errRedirected) {
		return
	}
	code := privaq.ErrorCode(err)
	v := &errorView{Page: q.Page}
	switch code {
	case privaq.ENotFound:
		v.Status, v.Message = http.StatusNotFound, q.T("error.not_found")
	case privaq.EForbidden:
		v.Status, v.Message = http.StatusForbidden, q.T("error.forbidden")
	case privaq.ERateLimited:
		v.Status, v.Message = http.StatusTooManyRequests, q.T("error.rate_limited")
	default:
		w.Log.ErrorContext(r.Context(), "page_failed", "route", r.Pattern, "err", err)
		v.Status, v.Message = http.StatusInternalServerError, q.T("error.internal")
	}
	v.Title = q.T("error.title")
	w.render(rw, r, "error", v)
}

type errorView struct {
	*Page
	Message string
}

func (w *Web) handleCSS(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != w.cssPath {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "text/css; charset=utf-8")
	rw.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	rw.Write(w.css)
}

// orgURL builds a path inside the current organization's admin.
func (q *req) orgURL(parts ...string) string {
	return "/admin/o/" + q.org.Slug + "/" + strings.Join(parts, "/")
}
