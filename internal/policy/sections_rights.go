package policy

import (
	"slices"

	"privaq/internal/inventory"
)

// Legal constants the policy states (law25.md §3).
const (
	extensionDaysPublic = 10 // A 98: one extension, with written notice
	recourseDays        = 30 // P 43, A 135
	minorConsentAge     = 14 // P 4.1, 14; A 53.1
	registerYears       = 5  // incidents regulation
)

// rights lists the rights, how to exercise them, the delay, identity
// checks and the recourse to the Commission d'accès à l'information
// (P 27–34, 28.1, 43; A 83–102, 135).
func (b *builder) rights() *sec {
	s, d, c := b.section(SecRights), b.d, b.c
	pub := b.public()
	s.p("rights.intro", nil)
	names := []string{"access", "rectification", "deletion"}
	if !pub || d.Org.Regime == inventory.RegimeBoth {
		names = append(names, "deindexation")
	}
	names = append(names, "portability", "withdrawal", "automated", "complaint")
	items := make([]Item, len(names))
	for i, n := range names {
		items[i] = Item{Term: c.say("right."+n+".term", nil), Text: c.say("right."+n, M{"Both": d.Org.Regime == inventory.RegimeBoth})}
	}
	s.list(items)

	s.h("rights.how.h", nil)
	s.p("rights.how", M{"Email": d.Officer.Email, "Form": b.url("/requests/new")})
	s.p("rights.identity", M{"Age": minorConsentAge})
	s.p("rights.help", nil)
	s.p("rights.fees", nil)

	delay, limit := b.replyDays()
	s.h("rights.delay.h", nil)
	s.p("rights.delay."+regime(d.Org.Regime), M{"Days": delay, "Limit": limit, "Extension": extensionDaysPublic})
	s.p("rights.deemed", M{"Limit": limit})

	s.h("rights.recourse.h", nil)
	s.p("rights.refusal", nil)
	s.p("rights.recourse."+regime(d.Org.Regime), M{"Days": recourseDays})
	return s
}

// replyDays is the delay the policy promises to answer a request, and the
// legal limit: the promise can be shorter than the law, never longer
// (P 32, A 98).
func (b *builder) replyDays() (delay, limit int) {
	limit = inventory.ReplyLimit(b.d.Org.Regime)
	if limit == 0 {
		limit = inventory.ReplyDaysPrivate
	}
	delay = b.d.Policy.RequestDelayDays
	if delay <= 0 || delay > limit {
		delay = limit
	}
	return delay, limit
}

// incidents says how confidentiality incidents are handled (P 3.5–3.8,
// A 63.8–63.11).
func (b *builder) incidents() *sec {
	s := b.section(SecIncidents)
	s.p("incidents.what", nil)
	s.p("incidents.act", nil)
	s.p("incidents.notify", nil)
	s.p("incidents.register", M{"Years": registerYears})
	return s
}

// minors names the groups of minors and who consents for a child under 14
// (P 4.1, 14; A 53.1).
func (b *builder) minors() *sec {
	s, d := b.section(SecMinors), b.d
	groups := newSet(len(d.SubjectCategories))
	for i, sc := range d.SubjectCategories {
		groups[i] = sc.Minors
	}
	if groups.count() == 0 {
		s.p("minors.none", M{"Age": minorConsentAge})
		return s
	}
	acts := b.activitiesWhere(func(a *inventory.Activity) bool {
		return slices.ContainsFunc(a.Subjects, func(k string) bool {
			i, ok := b.subjects[k]
			return ok && groups[i]
		})
	})
	s.p("minors.who", M{"Groups": groups.names(b.subjectName), "Activities": acts})
	s.p("minors.under", M{"Age": minorConsentAge})
	s.p("minors.over", M{"Age": minorConsentAge})
	s.p("minors.rights", M{"Age": minorConsentAge})
	return s
}

// changes says how the organization announces a new version and where
// earlier versions are kept (P 8.2, A 63.4).
func (b *builder) changes() *sec {
	s, d := b.section(SecChanges), b.d
	s.p("changes.review", nil)
	s.p("changes.notice", M{"Days": d.Policy.NoticeDays})
	if d.Policy.ReconsentOnNewPurpose {
		s.p("changes.reconsent", nil)
	}
	s.p("changes.archive", M{"URL": b.url("/privacy/versions")})
	return s
}

// contact gives the officer's contact details, or the organization's when
// none are recorded.
func (b *builder) contact() *sec {
	s, d, c := b.section(SecContact), b.d, b.c
	o := d.Officer
	s.p("contact.intro", M{"Officer": !o.IsZero()})
	var items []Item
	add := func(term, value string) {
		if value = c.tidy(value); value != "" {
			items = append(items, Item{Term: c.say("contact."+term, nil), Text: value})
		}
	}
	if o.IsZero() {
		add("org", d.Org.Name)
		add("address", d.Org.Address)
		add("website", d.Org.Website)
	} else {
		add("name", o.Name)
		add("title", o.Title)
		add("email", o.Email)
		add("phone", o.Phone)
		add("address", o.Address)
	}
	s.list(items)
	s.p("contact.cai", nil)
	return s
}
