// Package i18n holds the interface texts in French (the reference catalog)
// and English, and picks the language of a request.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

//go:embed fr.json en.json
var files embed.FS

// Langs are the supported languages, French first.
var Langs = []string{"fr", "en"}

// Catalog maps message keys to texts per language.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalogs and checks that English has every key
// of French and no other: a missing text fails the start, not a page.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, l := range Langs {
		b, err := files.ReadFile(l + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", l, err)
		}
		c.msgs[l] = m
	}
	if missing := c.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("i18n: catalogs differ: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Missing lists keys present in one catalog and not the other.
func (c *Catalog) Missing() []string {
	var out []string
	for _, a := range Langs {
		for _, b := range Langs {
			for k := range c.msgs[a] {
				if _, ok := c.msgs[b][k]; !ok {
					out = append(out, b+":"+k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs["fr"][key]
	return ok
}

// T returns the text of key in lang, formatted with args. An unknown key
// comes back bracketed so it stands out on the page, and a test that walks
// every template catches it.
func (c *Catalog) T(lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		if s, ok = c.msgs["fr"][key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// N returns the text of key for a count n, formatted with n. Entries with a
// count hold "singular|plural"; French uses the singular for 0 and 1,
// English for 1 only.
func (c *Catalog) N(lang, key string, n int) string {
	one, other, ok := strings.Cut(c.T(lang, key), "|")
	if !ok {
		other = one
	}
	s := other
	if n == 1 || (lang == "fr" && n == 0) {
		s = one
	}
	return fmt.Sprintf(s, n)
}

// Negotiate picks the language of a request: ?lang=, then the lang cookie,
// then Accept-Language, then French.
func Negotiate(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); supported(l) {
		return l
	}
	if ck, err := r.Cookie("lang"); err == nil && supported(ck.Value) {
		return ck.Value
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// FromAcceptLanguage picks the supported language with the highest weight.
func FromAcceptLanguage(h string) string {
	best, bestQ := "fr", -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if supported(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

func supported(l string) bool { return l == "fr" || l == "en" }
