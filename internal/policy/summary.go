package policy

import (
	"slices"

	"privaq/internal/inventory"
)

// summary is the short table at the top ("En bref"): each row a question a
// reader asks and the short answer, with the section that says more.
func (b *builder) summary() Table {
	d, c := b.d, b.c
	t := Table{Caption: c.say("h.summary", nil), RowHeads: true}
	t.Head = []string{c.say("summary.question", nil), c.say("summary.answer", nil)}
	row := func(name string, data M) {
		t.Rows = append(t.Rows, []string{c.say("summary."+name+".q", nil), c.say("summary."+name, data)})
	}

	row("who", M{"Org": c.tidy(d.Org.Name), "Email": d.Officer.Email})

	sensitive := 0
	for _, dc := range d.DataCategories {
		if dc.Sensitive {
			sensitive++
		}
	}
	row("what", M{"N": len(d.DataCategories), "Sensitive": sensitive, "People": len(d.SubjectCategories)})

	names := make([]string, len(d.Purposes))
	count := map[inventory.Consent]int{}
	for i, p := range d.Purposes {
		names[i] = b.purposeName(i)
		count[p.Consent]++
	}
	row("why", M{"Names": names})
	row("consent", M{"Express": count[inventory.ConsentExpress], "Implied": count[inventory.ConsentImplied],
		"None": count[inventory.ConsentNotRequired], "Any": len(d.Purposes) > 0})

	var optional []string
	for _, cat := range cookieCategories[1:] {
		if slices.ContainsFunc(d.Cookies, func(k inventory.Cookie) bool { return k.Category == cat }) {
			optional = append(optional, c.say("cookies.word."+string(cat), nil))
		}
	}
	row("cookies", M{"Any": len(d.Cookies) > 0, "Optional": optional})

	profiling := slices.ContainsFunc(d.Activities, func(a inventory.Activity) bool { return a.Profiling })
	automated := slices.ContainsFunc(d.Activities, func(a inventory.Activity) bool { return a.AutomatedDecision })
	row("tech", M{"Profiling": profiling, "Automated": automated})

	processors := 0
	for _, r := range d.Recipients {
		if r.Role == inventory.RoleProcessor {
			processors++
		}
	}
	row("sharing", M{"Processors": processors, "Others": len(d.Recipients) - processors})

	var places []string
	seen := map[string]bool{}
	for _, loc := range b.locations() {
		if inventory.OutsideQuebec(loc) && !seen[loc] {
			seen[loc] = true
			places = append(places, c.place(loc))
		}
	}
	row("outside", M{"Places": places})

	shortest, longest := -1, -1
	for i, r := range d.RetentionRules {
		days := approxDays(r.Period)
		if shortest < 0 || days < approxDays(d.RetentionRules[shortest].Period) {
			shortest = i
		}
		if longest < 0 || days > approxDays(d.RetentionRules[longest].Period) {
			longest = i
		}
	}
	keep := M{"N": len(d.RetentionRules), "Min": "", "Max": ""}
	if shortest >= 0 {
		keep["Min"] = c.duration(d.RetentionRules[shortest].Period)
		keep["Max"] = c.duration(d.RetentionRules[longest].Period)
	}
	row("keep", keep)

	delay, _ := b.replyDays()
	row("rights", M{"Days": delay})
	row("contact", M{"Email": d.Officer.Email, "Phone": d.Officer.Phone})
	return t
}

// locations lists where the systems and recipients are, in order.
func (b *builder) locations() []string {
	var out []string
	for _, s := range b.d.Systems {
		out = append(out, s.Location)
	}
	for _, r := range b.d.Recipients {
		out = append(out, r.Location)
	}
	return out
}

// approxDays orders retention periods; a month counts 30 days.
func approxDays(d inventory.Duration) int {
	p, _ := d.Parts()
	return p[0]*365 + p[1]*30 + p[2]*7 + p[3]
}
