package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"privaq"
	"privaq/internal/inventory"
)

// Input is a declaration, or an incident's details after a correction, as
// the API and the forms send them: dates are text (YYYY-MM-DD or RFC 3339)
// so that a malformed one is reported with its field.
type Input struct {
	Kind                     string       `json:"kind"`
	OccurredFrom             string       `json:"occurred_from"`
	OccurredTo               string       `json:"occurred_to"`
	OccurredApproximate      bool         `json:"occurred_approximate"`
	DiscoveredAt             string       `json:"discovered_at"`
	Description              string       `json:"description"`
	Cause                    string       `json:"cause"`
	DataCategories           []string     `json:"data_categories"`
	Information              string       `json:"information"`
	InformationUnknownReason string       `json:"information_unknown_reason"`
	PeopleCount              *int         `json:"people_count"`
	PeopleInQuebec           *int         `json:"people_in_quebec"`
	PeopleApproximate        bool         `json:"people_approximate"`
	Systems                  []string     `json:"systems"`
	Recipients               []string     `json:"recipients"`
	CausedBy                 string       `json:"caused_by"`
	Measures                 string       `json:"measures"`
	NotificationPlan         string       `json:"notification_plan"`
	OthersNotified           string       `json:"others_notified"`
	CAINotifiedAt            string       `json:"cai_notified_at"`
	PublicNoticeAt           string       `json:"public_notice_at"`
	PublicNoticeReason       string       `json:"public_notice_reason"`
	PersonNotice             PersonNotice `json:"person_notice"`
}

// Length limits, in characters, as for the inventory's texts.
const (
	maxLine = 300
	maxText = 10000
	// maxPeople bounds a count: more people than live on Earth is a typo.
	maxPeople = 10_000_000_000
)

// problems collects field errors worded in English (the API) and French
// (the pages), so a form shows every problem at once.
type problems privaq.ValidationErrors

func (p *problems) add(field, en, fr string) {
	*p = append(*p, &privaq.Error{Code: privaq.EValidation, Field: field, Message: en, FR: frTypo.Replace(fr)})
}

func (p problems) err() error { return privaq.ValidationErrors(p).Err() }

// text checks a free text: valid UTF-8, within limit, and on one line
// unless multiline.
func (p *problems) text(field, s string, limit int, multiline bool) {
	if !utf8.ValidString(s) {
		p.add(field, "the text is not valid UTF-8", "Le texte n’est pas en UTF-8 valide.")
		return
	}
	if n := utf8.RuneCountInString(s); n > limit {
		p.add(field, fmt.Sprintf("the text is %d characters long: the limit is %d", n, limit),
			fmt.Sprintf("Le texte compte %d caractères : la limite est de %d.", n, limit))
		return
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			if multiline {
				p.add(field, "the text contains a control character: only line breaks and tabs are allowed",
					"Le texte contient un caractère de contrôle : seuls les sauts de ligne et les tabulations sont permis.")
			} else {
				p.add(field, "the text contains a line break or a control character: write it on one line",
					"Le texte contient un saut de ligne ou un caractère de contrôle : écrivez-le sur une seule ligne.")
			}
			return
		}
	}
}

func (p *problems) required(field, s, en, fr string) {
	if strings.TrimSpace(s) == "" {
		p.add(field, en, fr)
	}
}

// ParseTime reads a date (YYYY-MM-DD, taken as midnight UTC) or an RFC 3339
// date and time; "" is nil.
func ParseTime(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return nil, false
		}
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t, true
}

func (p *problems) when(field, s string) *time.Time {
	t, ok := ParseTime(s)
	if !ok {
		p.add(field, "give a date as YYYY-MM-DD, or a date and time as 2026-01-05T14:30:00-05:00",
			"Donnez une date AAAA-MM-JJ, ou une date et une heure comme 2026-01-05T14:30:00-05:00.")
	}
	return t
}

// notFuture refuses a date after now; a date without a time is allowed up
// to the end of its day anywhere in Quebec's time zones.
func (p *problems) notFuture(field string, t *time.Time, now time.Time) {
	if t != nil && t.After(now.Add(24*time.Hour)) {
		p.add(field, "the date is in the future", "La date est dans le futur.")
	}
}

// keys checks that every key names an item of collection coll.
func (p *problems) keys(field string, ks []string, coll string, doc *inventory.Document) []string {
	c, _ := inventory.CollectionByName(coll)
	known := c.Keys(doc)
	var out []string
	for i, k := range ks {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
			continue
		case !slices.Contains(known, k):
			p.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("there is no %s with key %q in the inventory", strings.ReplaceAll(coll, "_", " "), k),
				fmt.Sprintf("L’inventaire n’a aucun élément « %s » dans cette liste.", k))
		case slices.Contains(out, k):
			p.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is listed twice", k), fmt.Sprintf("« %s » figure deux fois.", k))
		default:
			out = append(out, k)
		}
	}
	return out
}

// Details checks an input against the inventory and the clock and returns
// the details it describes, or every problem found.
func (in *Input) Details(doc *inventory.Document, now time.Time) (Details, error) {
	var p problems
	d := Details{Kind: Kind(in.Kind), OccurredApproximate: in.OccurredApproximate, PeopleApproximate: in.PeopleApproximate,
		Description: strings.TrimSpace(in.Description), Cause: strings.TrimSpace(in.Cause), Information: strings.TrimSpace(in.Information),
		InformationUnknownReason: strings.TrimSpace(in.InformationUnknownReason), Measures: strings.TrimSpace(in.Measures),
		NotificationPlan: strings.TrimSpace(in.NotificationPlan), OthersNotified: strings.TrimSpace(in.OthersNotified),
		PublicNoticeReason: strings.TrimSpace(in.PublicNoticeReason), PeopleCount: in.PeopleCount, PeopleInQuebec: in.PeopleInQuebec}
	if !slices.Contains(Kinds, d.Kind) {
		p.add("kind", "kind must be unauthorized_access, unauthorized_use, unauthorized_communication, loss or other",
			"Choisissez ce qui s’est produit : accès, utilisation ou communication non autorisés, perte, ou autre atteinte.")
	}

	from := p.when("occurred_from", in.OccurredFrom)
	if from == nil && strings.TrimSpace(in.OccurredFrom) == "" {
		p.add("occurred_from", "give when the incident happened, or an estimate (occurred_approximate)",
			"Indiquez quand l’incident s’est produit, ou une estimation (date approximative).")
	}
	to := p.when("occurred_to", in.OccurredTo)
	disc := p.when("discovered_at", in.DiscoveredAt)
	if disc == nil && strings.TrimSpace(in.DiscoveredAt) == "" {
		p.add("discovered_at", "give when the organization learned of the incident", "Indiquez quand l’organisation a pris connaissance de l’incident.")
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"occurred_from", from}, {"occurred_to", to}, {"discovered_at", disc}} {
		p.notFuture(f.name, f.t, now)
	}
	if from != nil {
		d.OccurredFrom = *from
		if to != nil && to.Before(*from) {
			p.add("occurred_to", "the end of the period is before its start", "La fin de la période précède son début.")
		}
		if disc != nil && day(*disc).Before(day(*from)) {
			p.add("discovered_at", "the organization cannot have learned of the incident before it happened",
				"L’organisation ne peut pas avoir pris connaissance de l’incident avant qu’il se produise.")
		}
	}
	d.OccurredTo = to
	if disc != nil {
		d.DiscoveredAt = *disc
	}

	p.required("description", in.Description, "describe the circumstances of the incident", "Décrivez les circonstances de l’incident.")
	for _, f := range []struct{ name, s string }{{"description", d.Description}, {"cause", d.Cause}, {"information", d.Information},
		{"information_unknown_reason", d.InformationUnknownReason}, {"measures", d.Measures}, {"notification_plan", d.NotificationPlan},
		{"others_notified", d.OthersNotified}, {"public_notice_reason", d.PublicNoticeReason}} {
		p.text(f.name, f.s, maxText, true)
	}

	named := slices.ContainsFunc(in.DataCategories, func(k string) bool { return strings.TrimSpace(k) != "" })
	d.DataCategories = p.keys("data_categories", in.DataCategories, "data_categories", doc)
	if !named && d.Information == "" && d.InformationUnknownReason == "" {
		p.add("data_categories", "name the personal information involved: data categories of the inventory, a description, or why it is not known",
			"Précisez les renseignements personnels visés : catégories de l’inventaire, description, ou raison pour laquelle ils ne sont pas connus.")
	}
	d.Systems = p.keys("systems", in.Systems, "systems", doc)
	d.Recipients = p.keys("recipients", in.Recipients, "recipients", doc)
	if d.CausedBy = strings.TrimSpace(in.CausedBy); d.CausedBy != "" {
		if c := p.keys("caused_by", []string{d.CausedBy}, "recipients", doc); len(c) == 0 {
			p[len(p)-1].Field = "caused_by"
		}
	}

	for _, f := range []struct {
		name string
		n    *int
	}{{"people_count", d.PeopleCount}, {"people_in_quebec", d.PeopleInQuebec}} {
		if f.n != nil && (*f.n < 0 || *f.n > maxPeople) {
			p.add(f.name, "the number must be 0 or more", "Le nombre doit être positif ou nul.")
		}
	}
	if d.PeopleCount != nil && *d.PeopleCount >= 0 && d.PeopleInQuebec != nil && *d.PeopleInQuebec > *d.PeopleCount {
		p.add("people_in_quebec", "more people in Quebec than people concerned", "Plus de personnes au Québec que de personnes concernées.")
	}

	d.CAINotifiedAt = p.when("cai_notified_at", in.CAINotifiedAt)
	d.PublicNoticeAt = p.when("public_notice_at", in.PublicNoticeAt)
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"cai_notified_at", d.CAINotifiedAt}, {"public_notice_at", d.PublicNoticeAt}} {
		p.notFuture(f.name, f.t, now)
		if f.t != nil && disc != nil && day(*f.t).Before(day(*disc)) {
			p.add(f.name, "a notice cannot precede the day the organization learned of the incident",
				"Un avis ne peut pas précéder le jour où l’organisation a pris connaissance de l’incident.")
		}
	}
	if d.PublicNoticeAt != nil && d.PublicNoticeReason == "" {
		// Reg-I 6 allows a public notice only for stated reasons, and the
		// register records the reason (Reg-I 7 (7°)).
		p.add("public_notice_reason", "say why a public notice was given", "Indiquez pourquoi un avis public a été donné.")
	}
	d.PersonNotice = in.PersonNotice.trimmed()
	for _, f := range d.PersonNotice.fields() {
		p.text("person_notice."+f.name+".fr", f.t.FR, maxText, true)
		p.text("person_notice."+f.name+".en", f.t.EN, maxText, true)
		if f.t.FR == "" && f.t.EN != "" {
			p.add("person_notice."+f.name+".fr", "an English text needs its French original", "Un texte anglais doit avoir son original français.")
		}
	}
	return d, p.err()
}

// day is the date of t, at midnight UTC.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

type noticeField struct {
	name string
	t    inventory.Text
}

func (n PersonNotice) fields() []noticeField {
	return []noticeField{{"information", n.Information}, {"circumstances", n.Circumstances}, {"measures", n.Measures}, {"advice", n.Advice}}
}

func (n PersonNotice) trimmed() PersonNotice {
	tr := func(t inventory.Text) inventory.Text {
		return inventory.Text{FR: strings.TrimSpace(t.FR), EN: strings.TrimSpace(t.EN)}
	}
	return PersonNotice{Information: tr(n.Information), Circumstances: tr(n.Circumstances), Measures: tr(n.Measures), Advice: tr(n.Advice)}
}

// Input returns the details as an input, for a correction to start from.
func (d Details) Input() Input {
	f := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return formatTime(*t)
	}
	return Input{Kind: string(d.Kind), OccurredFrom: formatTime(d.OccurredFrom), OccurredTo: f(d.OccurredTo), OccurredApproximate: d.OccurredApproximate,
		DiscoveredAt: formatTime(d.DiscoveredAt), Description: d.Description, Cause: d.Cause, DataCategories: d.DataCategories,
		Information: d.Information, InformationUnknownReason: d.InformationUnknownReason, PeopleCount: d.PeopleCount,
		PeopleInQuebec: d.PeopleInQuebec, PeopleApproximate: d.PeopleApproximate, Systems: d.Systems, Recipients: d.Recipients,
		CausedBy: d.CausedBy, Measures: d.Measures, NotificationPlan: d.NotificationPlan, OthersNotified: d.OthersNotified,
		CAINotifiedAt: f(d.CAINotifiedAt), PublicNoticeAt: f(d.PublicNoticeAt), PublicNoticeReason: d.PublicNoticeReason, PersonNotice: d.PersonNotice}
}

// formatTime writes a midnight as a date, anything else as RFC 3339.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Equal(day(t)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// AssessmentInput is an assessment as sent.
type AssessmentInput struct {
	Sensitivity  string `json:"sensitivity"`
	Consequences string `json:"consequences"`
	Likelihood   string `json:"likelihood"`
	Serious      *bool  `json:"serious"`
	Grounds      string `json:"grounds"`
}

func (in AssessmentInput) assessment() (Assessment, error) {
	var p problems
	a := Assessment{Sensitivity: Level(in.Sensitivity), Consequences: Level(in.Consequences), Likelihood: Level(in.Likelihood), Grounds: strings.TrimSpace(in.Grounds)}
	for _, f := range []struct {
		name   string
		l      Level
		en, fr string
	}{
		{"sensitivity", a.Sensitivity, "grade the sensitivity of the information", "Évaluez la sensibilité des renseignements."},
		{"consequences", a.Consequences, "grade the foreseeable consequences of their use", "Évaluez les conséquences appréhendées de leur utilisation."},
		{"likelihood", a.Likelihood, "grade the likelihood that they are used for injurious purposes", "Évaluez la probabilité qu’ils soient utilisés à des fins préjudiciables."},
	} {
		if !slices.Contains(Levels, f.l) {
			p.add(f.name, f.en+": low, medium or high", f.fr+" : faible, moyenne ou élevée.")
		}
	}
	if in.Serious == nil {
		p.add("serious", "conclude: is there a risk of serious injury (true or false)?", "Concluez : y a-t-il un risque de préjudice sérieux?")
	} else {
		a.Serious = *in.Serious
	}
	p.required("grounds", a.Grounds, "give the grounds of the conclusion", "Donnez les motifs de la conclusion.")
	p.text("grounds", a.Grounds, maxText, true)
	return a, p.err()
}

// Suggest is privaq's reading of the three factors, shown as a hint next to
// the officer's conclusion, which stays theirs: a risk looks serious when
// two factors are high, or when sensitive information or grave
// consequences meet a likelihood of misuse that is not low.
func Suggest(sensitivity, consequences, likelihood Level) bool {
	high := 0
	for _, l := range []Level{sensitivity, consequences, likelihood} {
		if l == LevelHigh {
			high++
		}
	}
	return high >= 2 || (likelihood != LevelLow && (sensitivity == LevelHigh || consequences == LevelHigh))
}

// DisclosureInput is a communication to someone who can reduce the risk,
// as sent.
type DisclosureInput struct {
	DisclosedAt string `json:"disclosed_at"`
	Recipient   string `json:"recipient"`
	Information string `json:"information"`
	Reason      string `json:"reason"`
}

func (in DisclosureInput) disclosure(now time.Time) (Disclosure, error) {
	var p problems
	d := Disclosure{Recipient: strings.TrimSpace(in.Recipient), Information: strings.TrimSpace(in.Information), Reason: strings.TrimSpace(in.Reason)}
	at := p.when("disclosed_at", in.DisclosedAt)
	if at == nil {
		at = &now
	}
	p.notFuture("disclosed_at", at, now)
	d.At = *at
	p.required("recipient", d.Recipient, "name who received the information", "Nommez qui a reçu les renseignements.")
	p.text("recipient", d.Recipient, maxLine, false)
	p.required("information", d.Information, "say what information was communicated", "Indiquez quels renseignements ont été communiqués.")
	p.text("information", d.Information, maxText, true)
	p.required("reason", d.Reason, "say how this can reduce the risk of injury", "Indiquez en quoi cela peut diminuer le risque de préjudice.")
	p.text("reason", d.Reason, maxText, true)
	return d, p.err()
}

// neqOK accepts the ten digits of a Quebec enterprise number.
func neqOK(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (s Settings) check() error {
	var p problems
	if s.OverdueHours < 1 || s.OverdueHours > 24*90 {
		p.add("overdue_hours", "overdue_hours must be between 1 and 2160 (90 days)", "Le délai doit être entre 1 et 2160 heures (90 jours).")
	}
	if s.NEQ != "" && !neqOK(s.NEQ) {
		p.add("neq", "the NEQ is ten digits", "Le NEQ compte dix chiffres.")
	}
	return p.err()
}
