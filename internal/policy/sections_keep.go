package policy

import (
	"slices"
	"time"

	"privaq/internal/inventory"
)

func parseDate(d inventory.Date) (time.Time, error) { return time.Parse(time.DateOnly, string(d)) }

// sharing lists the processors and the other recipients, the systems that
// hold the information, and plainly what leaves Quebec (P 8, 17, 18.3;
// A 65, 67.2, 70.1).
func (b *builder) sharing() *sec {
	s, d, c := b.section(SecSharing), b.d, b.c
	var processors, others [][]string
	for i, r := range d.Recipients {
		name, where := b.recipientName(i), c.place(r.Location)
		if r.Role == inventory.RoleProcessor {
			processors = append(processors, []string{name, b.orDash(r.Purpose.In(c.lang)), where})
		} else {
			others = append(others, []string{name, c.say("role."+string(r.Role), nil), b.orDash(r.Purpose.In(c.lang)), where})
		}
	}
	switch {
	case len(processors) == 0 && len(others) == 0:
		s.p("sharing.none", M{"Public": b.public()})
	default:
		s.p("sharing.intro", nil)
	}
	if len(processors) > 0 {
		s.h("sharing.processors.h", nil)
		s.p("sharing.processors", M{"N": len(processors)})
		s.table("sharing.processors.table", nil, "sharing.processors.head", processors, true)
	}
	if len(others) > 0 {
		s.h("sharing.others.h", nil)
		s.p("sharing.others", M{"N": len(others)})
		s.table("sharing.others.table", nil, "sharing.others.head", others, true)
	}

	if len(d.Systems) > 0 {
		s.h("sharing.systems.h", nil)
		s.p("sharing.systems", M{"N": len(d.Systems)})
		rows := make([][]string, len(d.Systems))
		for i, sys := range d.Systems {
			rows[i] = []string{b.systemName(i), b.orDash(sys.Provider), c.place(sys.Location), b.orDash(sys.Safeguards.In(c.lang))}
		}
		s.table("sharing.systems.table", nil, "sharing.systems.head", rows, true)
	}

	// What leaves Quebec, grouped by place in order of first mention.
	var places []string
	byPlace := map[string][]string{}
	note := func(loc, name string) {
		if !inventory.OutsideQuebec(loc) {
			return
		}
		if _, seen := byPlace[loc]; !seen {
			places = append(places, loc)
		}
		if !slices.Contains(byPlace[loc], name) {
			byPlace[loc] = append(byPlace[loc], name)
		}
	}
	for i, sys := range d.Systems {
		note(sys.Location, b.systemName(i))
	}
	for i, r := range d.Recipients {
		note(r.Location, b.recipientName(i))
	}
	s.h("sharing.outside.h", nil)
	if len(places) == 0 {
		s.p("sharing.outside.none", M{"Any": len(d.Systems)+len(d.Recipients) > 0})
		return s
	}
	items := make([]Item, len(places))
	names := make([]string, len(places))
	for i, loc := range places {
		names[i] = c.place(loc)
		items[i] = Item{Term: names[i], Text: c.join(byPlace[loc], c.and)}
	}
	s.p("sharing.outside", M{"Places": names})
	s.list(items)
	s.p("sharing.outside.law", nil)
	return s
}

// retention gives every retention rule: how long, from when, then what,
// and for which activities (P 23, A 73).
func (b *builder) retention() *sec {
	s, d, c := b.section(SecRetention), b.d, b.c
	s.p("retention.intro", M{"N": len(d.RetentionRules)})
	if len(d.RetentionRules) > 0 {
		rows := make([][]string, len(d.RetentionRules))
		for i, r := range d.RetentionRules {
			acts := b.activitiesWhere(func(a *inventory.Activity) bool { return a.Retention == r.Key })
			period := c.say("retention.period", M{"Period": c.duration(r.Period), "Trigger": c.say("trigger."+string(r.Trigger), nil),
				"Reference": c.tidy(r.Reference)})
			rows[i] = []string{c.text(r.Name), period, c.say("action."+string(r.Action), nil), b.cell(acts)}
		}
		s.table("retention.table", nil, "retention.head", rows, true)
	}
	s.p("retention.destroy", nil)
	if slices.ContainsFunc(d.RetentionRules, func(r inventory.RetentionRule) bool { return r.Action == inventory.ActionAnonymize }) {
		s.p("retention.anonymize", M{"Regime": regime(d.Org.Regime)})
	}
	s.p("retention.hold", nil)
	return s
}

// measureKinds is the order in which measures are grouped.
var measureKinds = []inventory.MeasureKind{inventory.MeasureGovernance, inventory.MeasureSecurity,
	inventory.MeasureTraining, inventory.MeasureConfidentiality}

// security lists the protection measures by kind (P 10, A 63.1).
func (b *builder) security() *sec {
	s, d, c := b.section(SecSecurity), b.d, b.c
	s.p("security.intro", nil)
	if len(d.Measures) == 0 {
		s.p("security.none", nil)
	}
	for _, kind := range measureKinds {
		var items []Item
		for _, m := range d.Measures {
			if m.Kind == kind {
				items = append(items, Item{Text: c.text(m.Text)})
			}
		}
		if len(items) > 0 {
			s.h("measure."+string(kind), nil)
			s.list(items)
		}
	}
	s.p("security.staff", nil)
	return s
}
