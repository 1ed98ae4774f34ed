package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"privaq/internal/inventory"
)

// templates/fr and templates/en hold every word of the policy, one set per
// language: each file defines named phrases that the builder fills with the
// inventory's data. Go code only decides which phrase goes where.
//
//go:embed templates
var templateFS embed.FS

// catalogs holds the parsed phrases of each language. A parse error is a
// programming error caught by the tests, so it panics at start.
var catalogs = map[string]*catalog{
	"fr": mustCatalog("fr", language.French),
	"en": mustCatalog("en", language.English),
}

// catalog is the phrase book of one language.
type catalog struct {
	lang      string
	t         *template.Template
	regions   display.Namer
	months    []string
	provinces map[string]string
	and, or   string
	singular  func(n int) bool
	typo      *strings.Replacer // French spacing and apostrophes; nil in English
	fixed     sync.Map          // phrases without data, computed once
}

func mustCatalog(lang string, tag language.Tag) *catalog {
	c, err := newCatalog(lang, tag)
	if err != nil {
		panic("policy: " + err.Error())
	}
	return c
}

func newCatalog(lang string, tag language.Tag) (*catalog, error) {
	c := &catalog{lang: lang, regions: display.Regions(tag), provinces: map[string]string{}}
	c.singular = func(n int) bool { return n == 1 }
	if lang == "fr" {
		// In French, 0 and 1 take the singular (« 0 jour », « 1 an »).
		c.singular = func(n int) bool { return n < 2 }
		c.typo = strings.NewReplacer("'", "’", "« ", "«\u00a0", " »", "\u00a0»",
			" :", "\u00a0:", " ;", "\u00a0;", " ?", "\u00a0?", " !", "\u00a0!")
	}
	t := template.New(lang).Option("missingkey=error").Funcs(template.FuncMap{
		"list":     func(s []string) string { return c.join(s, c.and) },
		"qlist":    c.quoteList,
		"dot":      dot,
		"orList":   func(s []string) string { return c.join(s, c.or) },
		"plural":   c.plural,
		"days":     func(n int) string { return c.say("unit.D", n) },
		"duration": c.duration,
		"date":     c.date,
		"q":        func(s string) string { return c.say("quote", s) },
		"place":    c.place,
	})
	sub, err := fs.Sub(templateFS, "templates/"+lang)
	if err != nil {
		return nil, err
	}
	if c.t, err = t.ParseFS(sub, "*.tmpl"); err != nil {
		return nil, err
	}
	c.and, c.or = c.say("word.and", nil), c.say("word.or", nil)
	c.months = strings.Fields(c.say("months", nil))
	if len(c.months) != 12 {
		return nil, fmt.Errorf("templates/%s: %d month names, want 12", lang, len(c.months))
	}
	for line := range strings.Lines(c.raw("provinces", nil)) {
		code, name, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok {
			c.provinces[code] = name
		}
	}
	return c, nil
}

// raw executes phrase name with data, as written.
func (c *catalog) raw(name string, data any) string {
	var b strings.Builder
	if err := c.t.ExecuteTemplate(&b, name, data); err != nil {
		// Every phrase is exercised by the golden tests; an error here
		// is a bug in a template, not bad input.
		panic(fmt.Sprintf("policy: template %s/%s: %v", c.lang, name, err))
	}
	return b.String()
}

// say executes phrase name with data and tidies it: runs of spaces and
// newlines (the templates are wrapped for reading) become one space, and
// French text gets its typography.
func (c *catalog) say(name string, data any) string {
	if data == nil {
		if s, ok := c.fixed.Load(name); ok {
			return s.(string)
		}
	}
	s := c.tidy(c.raw(name, data))
	if data == nil {
		c.fixed.Store(name, s)
	}
	return s
}

// tidy collapses ASCII white space and applies the language's typography.
// The no-break space is not ASCII white space, so it survives.
func (c *catalog) tidy(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case ' ', '\n', '\t', '\r':
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(ch)
		}
	}
	if c.typo == nil {
		return b.String()
	}
	return frenchSpacing(c.typo.Replace(b.String()))
}

// frenchSpacing puts a no-break space before « ; : ! ? » when the text
// has none (« PCI DSS; l’organisme » becomes « PCI DSS ; l’organisme »).
// Only marks followed by a space or the end are touched, so addresses
// such as https://… and times such as 9:30 stay as they are.
func frenchSpacing(s string) string {
	if !strings.ContainsAny(s, ";:!?") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch == ';' || ch == ':' || ch == '!' || ch == '?') && i > 0 && s[i-1] != ' ' &&
			!strings.HasSuffix(s[:i], "\u00a0") && (i+1 == len(s) || s[i+1] == ' ') {
			b.WriteString("\u00a0")
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// text gives the inventory text t in the catalog's language, tidied.
func (c *catalog) text(t inventory.Text) string { return c.tidy(t.In(c.lang)) }

// join writes "A", "A et B", "A, B et C" (no serial comma in either
// language, so both read alike).
func (c *catalog) join(s []string, conj string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " " + conj + " " + s[len(s)-1]
}

// quoteList quotes each name and joins them: names entered by the
// organization may themselves contain "et" or "and", and the quotes keep
// « Identité et coordonnées » et « Date de naissance » readable.
func (c *catalog) quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = c.say("quote", n)
	}
	return c.join(q, c.and)
}

// dot ends a sentence with a period unless it already ends with one (an
// organization named « Exemple inc. » takes no second period).
func dot(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// upperFirst capitalizes the first letter, for a table cell that starts
// with a lower-case phrase.
func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}

func (c *catalog) plural(n int, one, many string) string {
	if c.singular(n) {
		return one
	}
	return many
}

// duration writes an ISO 8601 duration in words: P13M is « 13 mois »,
// P1Y6M « 1 an et 6 mois », session « la durée de la session ».
func (c *catalog) duration(d inventory.Duration) string {
	if d == inventory.Session {
		return c.say("unit.session", nil)
	}
	p, ok := d.Parts()
	if !ok {
		return string(d)
	}
	var parts []string
	for i, unit := range []string{"Y", "M", "W", "D", "h", "m", "s"} {
		if p[i] > 0 {
			parts = append(parts, c.say("unit."+unit, p[i]))
		}
	}
	return c.join(parts, c.and)
}

// dateParts is what the "date" phrase is given.
type dateParts struct {
	Day   int
	Month string
	Year  int
}

// date writes a calendar date the way the language does.
func (c *catalog) date(t time.Time) string {
	return c.say("date", dateParts{t.Day(), c.months[t.Month()-1], t.Year()})
}

// place names a location code: Quebec, a Canadian province or a country.
func (c *catalog) place(code string) string {
	if sub, ok := strings.CutPrefix(code, "CA-"); ok {
		if name, ok := c.provinces[sub]; ok {
			return name
		}
		return code
	}
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if name := c.regions.Name(r); name != "" {
		return c.tidy(name)
	}
	return code
}

// mailText executes the email body name with data (and items as
// .Items) and tidies each paragraph, leaving web addresses untouched.
func (c *catalog) mailText(name string, data M, items []string) string {
	data["Items"] = items
	paras := strings.Split(strings.ReplaceAll(c.raw(name, data), "\r\n", "\n"), "\n\n")
	out := paras[:0]
	for _, p := range paras {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://"):
			out = append(out, p)
		default:
			out = append(out, c.tidy(p))
		}
	}
	return strings.Join(out, "\n\n") + "\n"
}
