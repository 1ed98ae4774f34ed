package policy

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"

	"privaq"
	"privaq/internal/inventory"
)

// CollectionNotice is what an organization shows where it collects
// information for one activity, next to the form: the purposes and the
// consent each relies on, the information collected, who has access and
// whether it leaves Quebec, how long it is kept, the rights and how to
// exercise them, the person in charge, and a link to the full policy
// (P 8, 8.1, 12.1; A 65, 65.0.1, 65.2). It is a short notice, not a
// policy: the policy says the rest.
type CollectionNotice struct {
	Lang      string  `json:"lang"`
	Activity  string  `json:"activity"` // the activity's key
	Title     string  `json:"title"`
	PolicyURL string  `json:"policy_url"`
	Blocks    []Block `json:"blocks"` // paragraphs and lists only
}

// Notice writes the collection notice of the activity with key activity,
// in lang ("fr" or "en"). Like the policy, it depends only on its inputs.
func Notice(doc *inventory.Document, activity string, lang string, opts Options) (*CollectionNotice, error) {
	c, ok := catalogs[lang]
	if !ok {
		return nil, &privaq.Error{Code: privaq.EValidation, Field: "lang",
			Message: fmt.Sprintf("the notice language must be fr or en, not %q", lang)}
	}
	i := slices.IndexFunc(doc.Activities, func(a inventory.Activity) bool { return a.Key == activity })
	if i < 0 {
		return nil, privaq.Errorf(privaq.ENotFound, "no activity with key %q", activity)
	}
	return newBuilder(doc, c, opts).notice(i), nil
}

// noticeSection is the section of the policy the notice links to: the
// purposes, with the consent each relies on, then the rest in order.
const noticeSection = SecPurposes

func (b *builder) notice(i int) *CollectionNotice {
	d, c, a := b.d, b.c, &b.d.Activities[i]
	n := &CollectionNotice{Lang: c.lang, Activity: a.Key, Title: c.say("notice.title", M{"Activity": b.activityName(i)}),
		PolicyURL: b.url("/privacy?lang=" + c.lang + "#" + noticeSection)}
	s := &sec{c: c}

	var means []string
	for _, m := range inventory.CollectionMeans {
		if slices.Contains(a.CollectionMeans, m) {
			means = append(means, c.say("notice.means."+m, nil))
		}
	}
	s.p("notice.intro", M{"Org": c.tidy(d.Org.Name), "Activity": b.activityName(i), "Means": means})

	// The purposes, each with its consent in plain words (P 8, 14).
	ps := newSet(len(d.Purposes))
	ps.add(b.purposes, a.Purposes...)
	var purposes []Item
	withdraw, allExpress := false, true
	for j, in := range ps {
		if !in {
			continue
		}
		consent := d.Purposes[j].Consent
		if consent != inventory.ConsentExpress && consent != inventory.ConsentImplied {
			consent = inventory.ConsentNotRequired
		}
		withdraw = withdraw || consent != inventory.ConsentNotRequired
		allExpress = allExpress && consent == inventory.ConsentExpress
		purposes = append(purposes, Item{Term: b.purposeName(j), Text: c.say("notice.consent."+string(consent), nil)})
	}
	if len(purposes) > 0 {
		s.p("notice.purposes", len(purposes))
		s.list(purposes)
	}

	var items []Item
	add := func(term string, termData any, text string) {
		if text != "" {
			items = append(items, Item{Term: c.say(term, termData), Text: text})
		}
	}

	// The information, sensitive categories said so: they need express
	// consent unless the law does without it (P 12, A 65.1).
	ds := newSet(len(d.DataCategories))
	ds.add(b.data, a.DataCategories...)
	var data []string
	sensitive := false
	for j, in := range ds {
		if !in {
			continue
		}
		name := c.say("quote", b.dataName(j))
		if d.DataCategories[j].Sensitive {
			sensitive = true
			name += " " + c.say("notice.sensitive", nil)
		}
		data = append(data, name)
	}
	if len(data) > 0 {
		add("notice.data.term", nil, c.say("notice.data", M{"Names": data, "Sensitive": sensitive, "Exception": !allExpress}))
	}

	add("notice.access.term", nil, b.noticeAccess(a))

	if r, ok := b.rules[a.Retention]; ok {
		rule := d.RetentionRules[r]
		add("notice.keep.term", nil, c.say("notice.keep", M{"Period": c.duration(rule.Period),
			"Trigger": c.say("trigger."+string(rule.Trigger), nil), "Action": string(rule.Action)}))
	} else {
		add("notice.keep.term", nil, c.say("notice.keep.none", nil))
	}

	officer := !d.Officer.IsZero()
	add("notice.rights.term", nil, c.say("notice.rights", M{"Withdraw": withdraw, "Officer": officer, "Form": b.url("/requests/new")}))

	// Technologies that identify, locate or profile stay off until the
	// person turns them on, and automated decisions are announced (P 8.1,
	// 12.1; A 65.0.1, 65.2).
	if a.Profiling {
		add("notice.profiling.term", nil, c.say("notice.profiling", M{"Cookies": slices.Contains(a.CollectionMeans, "cookies")}))
	}
	if a.AutomatedDecision {
		add("notice.automated.term", nil, c.say("notice.automated", nil))
	}

	o := d.Officer
	contact := M{"Name": c.tidy(o.Name), "Title": c.tidy(o.Title), "Email": o.Email, "Phone": c.tidy(o.Phone),
		"Org": c.tidy(d.Org.Name), "Website": ""}
	if !officer {
		contact["Website"] = d.Org.Website
	}
	add("notice.contact.term", M{"Officer": officer}, dot(c.say("notice.contact", contact)))
	s.list(items)

	s.p("notice.more", M{"URL": n.PolicyURL})
	n.Blocks = s.Blocks
	return n
}

// noticeAccess says who has access to the activity's information: staff
// who need it, processors, other recipients, and plainly whether it is
// kept or shared outside Quebec (P 8, 17, 18.3; A 65, 70.1).
func (b *builder) noticeAccess(a *inventory.Activity) string {
	d, c := b.d, b.c
	var processors, others, places []string
	inQuebec := false
	note := func(loc string) string {
		if !inventory.OutsideQuebec(loc) {
			inQuebec = true
			return ""
		}
		place := c.place(loc)
		if !slices.Contains(places, place) {
			places = append(places, place)
		}
		return place
	}
	systems := newSet(len(d.Systems))
	systems.add(b.systems, a.Systems...)
	for j, in := range systems {
		if in {
			note(d.Systems[j].Location)
		}
	}
	recipients := newSet(len(d.Recipients))
	recipients.add(b.recipients, a.Recipients...)
	for j, in := range recipients {
		if !in {
			continue
		}
		r := d.Recipients[j]
		data := M{"Name": b.recipientName(j), "Role": "", "Place": note(r.Location)}
		if r.Role == inventory.RoleProcessor {
			processors = append(processors, c.say("notice.recipient", data))
			continue
		}
		data["Role"] = c.say("notice.role."+noticeRole(r.Role), nil)
		others = append(others, c.say("notice.recipient", data))
	}
	return c.say("notice.access", M{"Processors": processors, "Others": others, "Places": places, "Quebec": inQuebec})
}

// noticeRole names the phrase of a recipient's role other than processor; an
// unknown role reads as a third party, the footing that says the most.
func noticeRole(r inventory.RecipientRole) string {
	switch r {
	case inventory.RolePublicBody, inventory.RolePartner:
		return string(r)
	}
	return string(inventory.RoleThirdParty)
}

// HTML writes the notice as a self-contained fragment to paste beside a
// form: one <section> with class names to style it, no script, no style
// and no external resource, every inventory text escaped.
func (n *CollectionNotice) HTML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	h := htmlWriter{bw}
	id := html.EscapeString("privaq-notice-" + n.Activity + "-" + n.Lang)
	h.raw(`<section class="privaq-notice" lang="` + html.EscapeString(n.Lang) + `" aria-labelledby="` + id + `">` + "\n")
	h.raw(`<h2 class="privaq-notice-title" id="` + id + `">`)
	h.text(n.Title)
	h.raw("</h2>\n")
	sep := catalogs[n.Lang].raw("word.sep", nil)
	for _, b := range n.Blocks {
		switch b.Kind {
		case KindParagraph:
			h.raw("<p>")
			h.text(b.Text)
			h.raw("</p>\n")
		case KindList:
			h.raw(`<ul class="privaq-notice-list">` + "\n")
			for _, it := range b.Items {
				h.raw(`<li><strong class="privaq-notice-term">`)
				h.text(it.Term)
				h.raw("</strong>")
				h.esc(sep)
				h.text(it.Text)
				h.raw("</li>\n")
			}
			h.raw("</ul>\n")
		}
	}
	h.raw("</section>\n")
	return bw.Flush()
}

// Text writes the notice as plain text, for a paper form or an email: the
// title, then one paragraph or list item per line.
func (n *CollectionNotice) Text(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(n.Title + "\n")
	sep := catalogs[n.Lang].raw("word.sep", nil)
	for _, b := range n.Blocks {
		switch b.Kind {
		case KindParagraph:
			bw.WriteString("\n" + b.Text + "\n")
		case KindList:
			bw.WriteString("\n")
			for _, it := range b.Items {
				bw.WriteString("- " + it.Term + sep + it.Text + "\n")
			}
		}
	}
	return bw.Flush()
}
