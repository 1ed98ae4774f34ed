package public

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"privaq"
)

// A published version never changes, so its PDF (about 50 ms of work) is
// made once per language and kept in a small cache; a draft never reaches
// here.
type pdfCache struct {
	mu   sync.Mutex
	docs map[string][]byte
}

const pdfCacheSize = 64

func (c *pdfCache) get(key string, make func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.docs[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := make()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil || len(c.docs) >= pdfCacheSize {
		c.docs = map[string][]byte{}
	}
	c.docs[key] = b
	return b, nil
}

// handleVersionOrPDF serves /privacy/v/{n}, or its PDF at /privacy/v/{n}.pdf.
func (p *Public) handleVersionOrPDF(w http.ResponseWriter, r *http.Request) {
	n, isPDF := strings.CutSuffix(r.PathValue("n"), ".pdf")
	if !isPDF {
		p.serve(p.handleVersion)(w, r)
		return
	}
	p.serve(func(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
		num, err := strconv.Atoi(n)
		if err != nil || num < 1 {
			return "", nil, privaq.Errorf(privaq.ENotFound, "no such version")
		}
		v, err := p.Policies.PublishedVersion(r.Context(), pg.Org.ID, num)
		if err != nil {
			return "", nil, err
		}
		l := lang(r, v.Inventory.Org.Languages)
		doc, err := p.pdfs.get(fmt.Sprintf("%d/%d/%s", pg.Org.ID, num, l), func() ([]byte, error) {
			pol, err := v.Render(l, pg.Org.Slug, p.BaseURL)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = pol.PDF(&buf)
			return buf.Bytes(), err
		})
		if err != nil {
			return "", nil, err
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s-v%d-%s.pdf"`, policyFileWord(l), pg.Org.Slug, num, l))
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Vary", "Accept-Language")
		h.Set("Content-Language", l)
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(doc)
		return "", nil, errAnswered
	})(w, r)
}

func policyFileWord(lang string) string {
	if lang == "en" {
		return "privacy-policy"
	}
	return "politique-confidentialite"
}
