package public

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"privaq"
	"privaq/internal/policy"
)

// diffView compares two published versions, or says why it cannot: when
// Problem is set, the page is an error page with that heading and message.
type diffView struct {
	*Page
	Heading, Problem string
	From, To         policy.Version
	Sections         []diffSection
	Changed          int // how many sections changed
}

// diffSection is one section as the page shows it: the changes, the
// sentences around them, and the other unchanged passages folded.
type diffSection struct {
	policy.SectionDiff
	Items []diffItem
}

// diffItem is one unit, or a run of unchanged units folded into one line.
type diffItem struct {
	policy.Unit
	Fold []policy.Unit
}

// contextUnits is how many unchanged units the page shows on each side of a
// change; it also shows the nearest sub-heading or caption above it.
const contextUnits = 1

func (p *Public) handleDiff(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	q := r.URL.Query()
	v := &diffView{Page: pg}
	fail := func(status int, title, msg string) (string, any, error) {
		v.Heading, v.Problem = pg.T(title), msg
		pg.Status, pg.Title = status, v.Heading+" · "+pg.Org.Name
		return "diff", v, nil
	}
	var n [2]int
	for i, k := range []string{"from", "to"} {
		s := q.Get(k)
		if s == "" {
			return fail(http.StatusBadRequest, "diff.bad_title", pg.T("diff.bad_missing"))
		}
		x, err := strconv.Atoi(s)
		if err != nil || x < 1 {
			return fail(http.StatusBadRequest, "diff.bad_title", pg.T("diff.bad_number", truncate(s, 20)))
		}
		n[i] = x
	}
	if n[0] == n[1] {
		return fail(http.StatusBadRequest, "diff.bad_title", pg.T("diff.bad_same"))
	}
	var vs [2]policy.Version
	for i := range n {
		ver, err := p.Policies.PublishedVersion(r.Context(), pg.Org.ID, n[i])
		if privaq.IsCode(err, privaq.ENotFound) {
			return fail(http.StatusNotFound, "diff.not_found_title", pg.T("diff.not_found", n[i]))
		}
		if err != nil {
			return "", nil, err
		}
		vs[i] = ver
	}
	v.From, v.To = vs[0], vs[1]
	// Both versions are shown in one language, so it must be one that
	// both are published in.
	var langs []string
	for _, l := range v.From.Inventory.Org.Languages {
		if slices.Contains(v.To.Inventory.Org.Languages, l) {
			langs = append(langs, l)
		}
	}
	pg.Langs = langs
	pg.Lang = lang(r, langs)
	from, err := v.From.Render(pg.Lang, pg.Org.Slug, p.BaseURL)
	if err != nil {
		return "", nil, err
	}
	to, err := v.To.Render(pg.Lang, pg.Org.Slug, p.BaseURL)
	if err != nil {
		return "", nil, err
	}
	for _, s := range policy.Diff(from, to) {
		d := diffSection{SectionDiff: s}
		if s.Changed {
			v.Changed++
			d.Items = fold(s.Units)
		}
		v.Sections = append(v.Sections, d)
	}
	pg.Title = pg.T("diff.title", n[0], n[1]) + " · " + pg.Org.Name
	return "diff", v, nil
}

// fold keeps the changes, the unchanged units next to them and the
// nearest sub-heading or caption above each, and folds the other runs of
// unchanged units, so that a long section shows what changed at a glance.
func fold(units []policy.Unit) []diffItem {
	show := make([]bool, len(units))
	for i, u := range units {
		if u.Op == policy.OpEqual {
			continue
		}
		for k := max(0, i-contextUnits); k <= min(len(units)-1, i+contextUnits); k++ {
			show[k] = true
		}
		for k := i - 1; k >= 0; k-- {
			if kind := units[k].Kind; kind == policy.UnitHeading || kind == policy.UnitCaption {
				show[k] = true
				break
			}
		}
	}
	var out []diffItem
	for i := 0; i < len(units); {
		if show[i] {
			out = append(out, diffItem{Unit: units[i]})
			i++
			continue
		}
		j := i
		for j < len(units) && !show[j] {
			j++
		}
		if j-i == 1 {
			out = append(out, diffItem{Unit: units[i]})
		} else {
			out = append(out, diffItem{Fold: units[i:j]})
		}
		i = j
	}
	return out
}

// truncate cuts s to n characters, to quote a query value back safely.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
