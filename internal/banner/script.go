package banner

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"

	"privaq"
	"privaq/internal/org"
)

//go:embed banner.js
var source string

// placeholder is where banner.js takes the configuration.
const placeholder = "__PRIVAQ_CONFIG__"

// MaxGzip is the budget of SPEC §8: the whole banner, styles, texts and
// configuration included, in one response of at most 8 KB gzip.
const MaxGzip = 8192

// Cache-Control of banner.js: browsers and proxies keep it five minutes,
// then may use it for a day while they revalidate it in the background,
// so a page never waits on privaq for its banner. A settings change
// reaches visitors within minutes.
const scriptCacheControl = "public, max-age=300, stale-while-revalidate=86400"

// compile minifies banner.js and splits it around the placeholder.
func compile() (head, tail string, err error) {
	m := minify.New()
	m.AddFunc("text/javascript", js.Minify)
	out, err := m.String("text/javascript", source)
	if err != nil {
		return "", "", fmt.Errorf("minify banner.js: %w", err)
	}
	head, tail, ok := strings.Cut(out, placeholder)
	if !ok || strings.Contains(tail, placeholder) {
		return "", "", fmt.Errorf("minified banner.js must hold %s exactly once", placeholder)
	}
	return head, tail, nil
}

// maxCached bounds the organizations whose banner is kept built.
const maxCached = 1000

// built is one organization's banner.js, ready to send.
type built struct {
	slug   string
	invRev int64
	cfg    *Content
	plain  []byte
	gz     []byte
	etag   string // of the plain body; the gzip body's has -gz appended
}

// Render returns banner.js with c inlined, minified.
func (b *Banner) Render(c *Content) []byte {
	j, _ := json.Marshal(c) // strings and ints always encode; <, >, &, U+2028 and U+2029 are escaped
	return []byte(b.head + string(j) + b.tail)
}

// render puts cfg into the script and compresses it.
func (b *Banner) render(cfg *Content) (*built, error) {
	plain := b.Render(cfg)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(plain)
	return &built{cfg: cfg, plain: plain, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// script returns the organization's banner, rebuilt when its inventory
// has changed on any node: the revision is read from the database on
// every call, the build is cached.
func (b *Banner) script(ctx context.Context, o org.Org) (*built, error) {
	rev, _, err := b.Inventory.Revisions(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	c := b.cache[o.ID]
	b.mu.Unlock()
	if c != nil && c.invRev == rev && c.slug == o.Slug {
		return c, nil
	}
	doc, rev, err := b.Inventory.Inventory(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	c, err = b.render(Build(doc, o.Slug))
	if err != nil {
		return nil, err
	}
	c.slug, c.invRev = o.Slug, rev
	b.mu.Lock()
	if len(b.cache) >= maxCached {
		// About 20 KB each: past the bound the cache starts over, and each
		// banner is rebuilt (a millisecond) on its next request.
		clear(b.cache)
	}
	b.cache[o.ID] = c
	b.mu.Unlock()
	return c, nil
}

func (b *Banner) handleScript(w http.ResponseWriter, r *http.Request) {
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
	body, etag := s.plain, s.etag
	h := w.Header()
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = s.gz, strings.TrimSuffix(s.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", scriptCacheControl)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", etag)
	// Pages that isolate themselves (COEP) may still load it, and may
	// measure how long it took (Resource Timing).
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Timing-Allow-Origin", "*")
	if matchETag(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip, or *) with a
// non-zero weight.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}

// matchETag applies If-None-Match (RFC 9110, 13.1.2): a weak comparison
// against one tag, or *.
func matchETag(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// fail answers a failed lookup: 404 for an unknown organization, 500
// (logged) otherwise, with a short text body.
func (b *Banner) fail(w http.ResponseWriter, r *http.Request, err error) {
	if privaq.IsCode(err, privaq.ENotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	b.Log.ErrorContext(r.Context(), "banner_failed", "route", r.Pattern, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
