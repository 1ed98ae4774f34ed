package policy

import (
	"slices"

	"privaq/internal/inventory"
)

// who says who the organization is, which law it answers to and who its
// person in charge of the protection of personal information is (P 3.1,
// A 8).
func (b *builder) who() *sec {
	s, d, c := b.section(SecWho), b.d, b.c
	s.p("who.intro", M{"Org": c.tidy(d.Org.Name), "Legal": legalName(c, d.Org), "Address": c.tidy(d.Org.Address)})
	s.p("who.regime."+regime(d.Org.Regime), nil)
	s.p("who.scope", M{"Website": d.Org.Website})
	s.p("who.officer", M{"Name": c.tidy(d.Officer.Name), "Title": c.tidy(d.Officer.Title), "Email": d.Officer.Email})
	if d.Policy.AdoptedBy != "" || d.Policy.AdoptedOn != "" {
		s.p("who.adopted", M{"By": c.tidy(d.Policy.AdoptedBy), "On": b.date(d.Policy.AdoptedOn)})
	}
	return s
}

// legalName is the legal name when it differs from the usual one.
func legalName(c *catalog, p inventory.Profile) string {
	if p.LegalName == p.Name {
		return ""
	}
	return c.tidy(p.LegalName)
}

// regime names the phrase variant for r; an unknown regime reads as private,
// the broader Act.
func regime(r inventory.Regime) string {
	switch r {
	case inventory.RegimePublic, inventory.RegimeBoth:
		return string(r)
	}
	return string(inventory.RegimePrivate)
}

func (b *builder) public() bool { return regime(b.d.Org.Regime) != string(inventory.RegimePrivate) }

// collect lists the categories of information, the people they are about
// and where they come from (P 8, A 65).
func (b *builder) collect() *sec {
	s, d, c := b.section(SecCollect), b.d, b.c
	if len(d.DataCategories) == 0 {
		s.p("collect.none", nil)
		return s
	}
	s.p("collect.intro", M{"N": len(d.DataCategories)})
	rows := make([][]string, len(d.DataCategories))
	var sensitive []string
	for i, dc := range d.DataCategories {
		yes := c.say("word.no", nil)
		if dc.Sensitive {
			yes = c.say("word.yes", nil)
			sensitive = append(sensitive, b.dataName(i))
		}
		rows[i] = []string{b.dataName(i), b.orDash(dc.Examples.In(c.lang)), yes}
	}
	s.table("collect.table", nil, "collect.head", rows, true)
	s.p("collect.sensitive", M{"Names": sensitive})

	if len(d.SubjectCategories) > 0 {
		s.h("collect.people.h", nil)
		s.p("collect.people", M{"N": len(d.SubjectCategories)})
		rows = make([][]string, len(d.SubjectCategories))
		for i, sc := range d.SubjectCategories {
			about := newSet(len(d.DataCategories))
			for _, a := range d.Activities {
				if slices.Contains(a.Subjects, sc.Key) {
					about.add(b.data, a.DataCategories...)
				}
			}
			rows[i] = []string{b.subjectName(i), b.cell(about.names(b.dataName))}
		}
		s.table("collect.people.table", nil, "collect.people.head", rows, true)
	}

	var items []Item
	for _, src := range inventory.Sources {
		acts := b.activitiesWhere(func(a *inventory.Activity) bool { return slices.Contains(a.Sources, src) })
		if len(acts) > 0 {
			items = append(items, Item{Term: c.say("source."+src, nil), Text: c.say("source.activities", M{"Names": acts})})
		}
	}
	if len(items) > 0 {
		s.h("collect.sources.h", nil)
		s.p("collect.sources", nil)
		s.list(items)
	}
	return s
}

// purposesSection gives each purpose, what it uses and the consent it
// relies on, explained plainly (P 4, 8, 12, 14; A 53.1, 65, 65.1).
func (b *builder) purposesSection() *sec {
	s, d, c := b.section(SecPurposes), b.d, b.c
	if len(d.Purposes) == 0 {
		s.p("purposes.none", nil)
		return s
	}
	s.p("purposes.intro", M{"N": len(d.Purposes)})
	for i, p := range d.Purposes {
		s.h("purposes.item", M{"Name": b.purposeName(i)})
		s.para(c.text(p.Description))
		data := newSet(len(d.DataCategories))
		var acts []string
		for j, a := range d.Activities {
			if slices.Contains(a.Purposes, p.Key) {
				data.add(b.data, a.DataCategories...)
				acts = append(acts, b.activityName(j))
			}
		}
		s.p("purposes.uses", M{"Data": data.names(b.dataName), "Activities": acts})
		consent := string(p.Consent)
		if p.Consent != inventory.ConsentExpress && p.Consent != inventory.ConsentImplied {
			consent = string(inventory.ConsentNotRequired)
		}
		s.p("consent."+consent, M{"Exception": c.text(p.Exception)})
	}
	s.p("purposes.withdraw", nil)
	if d.Policy.ReconsentOnNewPurpose {
		s.p("purposes.new", nil)
	}
	return s
}

// cookieCategories is the order in which cookie tables appear.
var cookieCategories = []inventory.CookieCategory{inventory.CookieNecessary,
	inventory.CookiePreferences, inventory.CookieStatistics, inventory.CookieMarketing}

// how lists the means of collection per activity, the cookies by category,
// and the technologies that identify, locate or profile, and automated
// decisions (P 8.1, 12.1; A 65.0.1, 65.2).
func (b *builder) how() *sec {
	s, d, c := b.section(SecHow), b.d, b.c
	if len(d.Activities) > 0 {
		s.p("how.intro", nil)
		rows := make([][]string, len(d.Activities))
		for i, a := range d.Activities {
			var means []string
			for _, m := range inventory.CollectionMeans {
				if slices.Contains(a.CollectionMeans, m) {
					means = append(means, c.say("means."+m, nil))
				}
			}
			ps := newSet(len(d.Purposes))
			ps.add(b.purposes, a.Purposes...)
			rows[i] = []string{b.activityName(i), b.cell(ps.names(b.purposeName)), upperFirst(b.cell(means))}
		}
		s.table("how.table", nil, "how.head", rows, true)
	}

	s.h("cookies.h", nil)
	if len(d.Cookies) == 0 {
		s.p("cookies.none", nil)
	} else {
		s.p("cookies.intro", nil)
		optional := false
		for _, cat := range cookieCategories {
			var rows [][]string
			for _, k := range d.Cookies {
				if k.Category != cat {
					continue
				}
				rows = append(rows, []string{c.tidy(k.Name), b.orDash(k.Service), b.orDash(k.Provider),
					b.orDash(k.Purpose.In(c.lang)), upperFirst(c.duration(k.Duration)), c.say("party."+partyOf(k), nil)})
			}
			if len(rows) == 0 {
				continue
			}
			optional = optional || cat != inventory.CookieNecessary
			s.p("cookies.cat."+string(cat), nil)
			s.table("cookies.table", M{"Category": c.say("cookies.name."+string(cat), nil)}, "cookies.head", rows, true)
		}
		if optional {
			s.p("cookies.choices", nil)
		} else {
			s.p("cookies.only-necessary", nil)
		}
	}

	s.h("tech.h", nil)
	profiling := b.activitiesWhere(func(a *inventory.Activity) bool { return a.Profiling })
	automated := b.activitiesWhere(func(a *inventory.Activity) bool { return a.AutomatedDecision })
	if len(profiling) == 0 && len(automated) == 0 {
		s.p("tech.none", nil)
	}
	if len(profiling) > 0 {
		viaCookies := slices.ContainsFunc(d.Activities, func(a inventory.Activity) bool {
			return a.Profiling && slices.Contains(a.CollectionMeans, "cookies")
		})
		s.p("tech.profiling", M{"Names": profiling})
		s.p("tech.profiling.on", M{"Cookies": viaCookies})
	}
	if len(automated) > 0 {
		s.p("tech.automated", M{"Names": automated})
		s.p("tech.automated.rights", nil)
	}
	return s
}

func partyOf(k inventory.Cookie) string {
	if k.Party == "third" {
		return "third"
	}
	return "first"
}

// date writes an inventory date, or nothing when it is empty or invalid.
func (b *builder) date(d inventory.Date) string {
	t, err := parseDate(d)
	if err != nil {
		return ""
	}
	return b.c.date(t)
}
