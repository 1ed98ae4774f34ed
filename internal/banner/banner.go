package banner

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
)

// OrgStore finds organizations by slug.
type OrgStore interface {
	OrgBySlug(ctx context.Context, slug string) (org.Org, error)
}

// Inventories gives an organization's inventory, and its revision cheaply
// so that a built banner is reused until the inventory changes.
type Inventories interface {
	Inventory(ctx context.Context, org privaq.OrgID) (*inventory.Document, int64, error)
	Revisions(ctx context.Context, org privaq.OrgID) (inventory, published int64, err error)
}

// Ledger records choices and tells whether a refusal withdraws an earlier
// consent; *consent.Service is one.
type Ledger interface {
	Record(ctx context.Context, actor privaq.Actor, org privaq.OrgID, inputs []consent.Input) ([]consent.Result, error)
	DecideBulk(ctx context.Context, actor privaq.Actor, org privaq.OrgID, pairs []consent.Pair) ([]consent.Answer, error)
}

// Attempts counts requests per key for rate limiting, in the database so
// that every node sees the same counts (the store's sign-in and
// subscription limits use it too).
type Attempts interface {
	RecordAttempt(ctx context.Context, key string, at time.Time) error
	CountAttempts(ctx context.Context, key string, since time.Time) (int, error)
}

// Config is what the banner needs.
type Config struct {
	Orgs      OrgStore
	Inventory Inventories
	Ledger    Ledger
	Attempts  Attempts
	Clock     privaq.Clock
	Log       *slog.Logger
	// BaseURL is privaq's public URL: its origin may always post choices
	// (the admin's preview runs there).
	BaseURL string
	// Limit is how many choices one client network may send to one
	// organization per Window; 0 for DefaultLimit and DefaultWindow.
	Limit  int
	Window time.Duration
}

// Rate limit of the consent endpoint. A choice is a click: a hundred
// from one /24 (or /48) in ten minutes is an office or a school behind
// one address at its busiest, not a person.
const (
	DefaultLimit  = 100
	DefaultWindow = 10 * time.Minute
)

// Banner serves banner.js, its preview page and the consent endpoint.
type Banner struct {
	Config
	head, tail string
	preview    *template.Template

	mu    sync.Mutex
	cache map[privaq.OrgID]*built
}

// New minifies the script; a failure stops the start.
func New(c Config) (*Banner, error) {
	if c.Limit == 0 {
		c.Limit, c.Window = DefaultLimit, DefaultWindow
	}
	b := &Banner{Config: c, cache: map[privaq.OrgID]*built{}, preview: previewPage}
	var err error
	b.head, b.tail, err = compile()
	return b, err
}

// Routes registers the banner's addresses under prefix (/o/{org}).
func (b *Banner) Routes(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/banner.js", b.handleScript)
	mux.HandleFunc("GET "+prefix+"/banner/preview", b.handlePreview)
	mux.HandleFunc("POST "+prefix+"/consent", b.handleConsent)
	mux.HandleFunc("OPTIONS "+prefix+"/consent", b.handlePreflight)
}

// previewPage is a plain page that shows the banner without recording
// anything: the admin's settings page frames it in each language.
var previewPage = template.Must(template.New("preview").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if eq .Lang "en"}}Banner preview{{else}}Aperçu de la bannière{{end}}</title>
</head>
<body>
<main>
<h1>{{if eq .Lang "en"}}Banner preview{{else}}Aperçu de la bannière{{end}}</h1>
<p>{{if eq .Lang "en"}}This page shows the cookie banner as visitors see it. Nothing is recorded.{{else}}Cette page montre la bannière de témoins telle que les visiteurs la voient. Rien n’est enregistré.{{end}}</p>
{{if not .Shown}}<p>{{if eq .Lang "en"}}The inventory declares only necessary cookies: the banner shows nothing.{{else}}L’inventaire ne déclare que des témoins nécessaires : la bannière n’affiche rien.{{end}}</p>{{end}}
</main>
<script src="{{.Script}}" data-privaq-preview async></script>
</body>
</html>
`))

func (b *Banner) handlePreview(w http.ResponseWriter, r *http.Request) {
	o, err := b.Orgs.OrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil {
		b.fail(w, r, err)
		return
	}
	s, err := b.script(r.Context(), o)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	lang := "fr"
	if r.URL.Query().Get("lang") == "en" {
		lang = "en"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Only privaq's own script, and only privaq's admin may frame it.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
	b.preview.Execute(w, map[string]any{"Lang": lang, "Script": "/o/" + o.Slug + "/banner.js", "Shown": len(s.cfg.Optional()) > 0})
}
