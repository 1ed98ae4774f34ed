package inventory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Severity ranks a finding of the compliance check.
type Severity string

// Severities: an error is a breach to fix before relying on the policy, a
// warning a gap the officer should review, info a duty the inventory
// triggers (inform, ask consent) that privaq cannot verify by itself.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// Finding is one gap between the inventory and Law 25, with the article it
// comes from and where to fix it.
type Finding struct {
	ID         string   `json:"id"`
	Severity   Severity `json:"severity"`
	Article    string   `json:"article"`
	Message    Text     `json:"message"`
	Field      string   `json:"field,omitempty"`
	Collection string   `json:"collection,omitempty"`
	Key        string   `json:"key,omitempty"`
}

// articles are the sections of the private-sector Act (p) and of the
// Access Act (a) a rule comes from; which ones a finding cites depends on
// the regime the organization answers to.
type articles struct{ p, a []string }

func (ar articles) cite(r Regime) string {
	var parts []string
	if r != RegimePublic {
		for _, s := range ar.p {
			parts = append(parts, "P "+s)
		}
	}
	if r != RegimePrivate {
		for _, s := range ar.a {
			parts = append(parts, "A "+s)
		}
	}
	return strings.Join(parts, " · ")
}

func art(p, a string) articles { return articles{p: strings.Fields(p), a: strings.Fields(a)} }

// The articles each check cites.
var (
	artOfficer     = art("3.1", "8")
	artPurpose     = art("4 5", "64")
	artNoPurpose   = art("4 8", "64 65")
	artOutside     = art("17", "70.1")
	artProcessor   = art("18.3", "67.2")
	artRetention   = art("23", "73")
	artData        = art("5", "64")
	artSecurity    = art("10", "63.1")
	artGovernance  = art("3.2", "63.3")
	artAutomated   = art("12.1", "65.2")
	artProfiling   = art("8.1", "65.0.1")
	artMinors      = art("4.1 14", "53.1")
	artCookies     = art("8.1", "65.0.1")
	artNoArticle   = articles{}
	nbspReplacer   = strings.NewReplacer("« ", "«\u00a0", " »", "\u00a0»", " :", "\u00a0:", " ;", "\u00a0;", " ?", "\u00a0?", " !", "\u00a0!")
	consentNeeders = []Consent{ConsentExpress, ConsentImplied}
)

// fr applies French punctuation spacing: a no-break space inside guillemets
// and before the high punctuation marks, so that a line never starts with
// « : » or « ? » in a rendered page.
func fr(s string) string { return nbspReplacer.Replace(s) }

type checker struct {
	d   *Document
	out []Finding
}

func (c *checker) add(id string, sev Severity, ar articles, field, coll, key, en, frMsg string) {
	c.out = append(c.out, Finding{ID: id, Severity: sev, Article: ar.cite(c.d.Org.Regime),
		Message: Text{FR: fr(frMsg), EN: en}, Field: field, Collection: coll, Key: key})
}

// Check lists the gaps between the inventory and Law 25: every blocking
// validation problem, then the obligations the inventory shows unmet or
// triggered. Findings come errors first, then warnings, then info, each
// group in document order.
func Check(d *Document) []Finding {
	c := &checker{d: d}
	for _, is := range d.validate().issues {
		coll, key := locate(d, is.field)
		c.add(is.id, SeverityError, is.art, is.field, coll, key, is.en, is.fr)
	}
	c.officer()
	c.purposes()
	c.activities()
	c.dataCategories()
	c.places()
	c.measures()
	c.cookies()
	c.governance()
	c.translations()
	slices.SortStableFunc(c.out, func(a, b Finding) int { return a.Severity.rank() - b.Severity.rank() })
	return c.out
}

// officer: a private enterprise publishes the title and contact of its
// person in charge on its website (P 3.1); a public body's is its head
// unless delegated in writing (A 8). Either way persons must reach them.
func (c *checker) officer() {
	o := c.d.Officer
	who := strings.TrimSpace(o.Name) != "" || strings.TrimSpace(o.Title) != ""
	how := strings.TrimSpace(o.Email) != "" || strings.TrimSpace(o.Phone) != ""
	if who && how {
		return
	}
	c.add("officer-missing", SeverityError, artOfficer, "officer", "", "",
		"No person in charge of the protection of personal information is published: give their name or title, and an email address or phone number.",
		"Aucun responsable de la protection des renseignements personnels n’est publié : indiquez son nom ou son titre, ainsi qu’une adresse courriel ou un numéro de téléphone.")
}

func (c *checker) purposes() {
	used := map[string]bool{}
	for _, a := range c.d.Activities {
		for _, k := range a.Purposes {
			used[k] = true
		}
	}
	for i, p := range c.d.Purposes {
		if used[p.Key] {
			continue
		}
		// A purpose no activity serves is either stale or hides a
		// processing that is not described (P 4, P 5).
		c.add("purpose-unused", SeverityWarning, artPurpose, fmt.Sprintf("purposes[%d]", i), "purposes", p.Key,
			fmt.Sprintf("The purpose %q is used by no activity: link it to the activities it serves, or delete it.", p.Name.In("en")),
			fmt.Sprintf("La finalité « %s » n’est utilisée par aucune activité : rattachez-la aux activités qu’elle sert, ou supprimez-la.", p.Name.FR))
	}
}

func (c *checker) activities() {
	d := c.d
	purposes := map[string]Purpose{}
	for _, p := range d.Purposes {
		purposes[p.Key] = p
	}
	minors := map[string]SubjectCategory{}
	for _, s := range d.SubjectCategories {
		if s.Minors {
			minors[s.Key] = s
		}
	}
	for i, a := range d.Activities {
		path := fmt.Sprintf("activities[%d]", i)
		nameEN, nameFR := a.Name.In("en"), a.Name.FR
		if len(a.Purposes) == 0 {
			c.add("activity-no-purpose", SeverityError, artNoPurpose, path+".purposes", "activities", a.Key,
				fmt.Sprintf("The activity %q has no purpose: every processing must serve a purpose that persons are told about.", nameEN),
				fmt.Sprintf("L’activité « %s » n’a aucune finalité : tout traitement doit servir une finalité dont les personnes sont informées.", nameFR))
		}
		if a.Retention == "" {
			c.add("activity-no-retention", SeverityWarning, artRetention, path+".retention", "activities", a.Key,
				fmt.Sprintf("The activity %q has no retention rule: say how long its information is kept and whether it is then destroyed or anonymized.", nameEN),
				fmt.Sprintf("L’activité « %s » n’a pas de règle de conservation : précisez combien de temps ses renseignements sont conservés, puis s’ils sont détruits ou anonymisés.", nameFR))
		}
		if a.AutomatedDecision {
			c.add("automated-decision", SeverityInfo, artAutomated, path+".automated_decision", "activities", a.Key,
				fmt.Sprintf("The activity %q makes decisions based exclusively on automated processing: tell persons no later than the decision, and let them submit observations to a staff member.", nameEN),
				fmt.Sprintf("L’activité « %s » prend des décisions fondées exclusivement sur un traitement automatisé : informez-en les personnes au plus tard au moment de la décision et permettez-leur de présenter leurs observations à un membre du personnel.", nameFR))
		}
		if a.Profiling {
			c.add("profiling", SeverityInfo, artProfiling, path+".profiling", "activities", a.Key,
				fmt.Sprintf("The activity %q profiles persons: the profiling function must stay off until the person turns it on, after being told how.", nameEN),
				fmt.Sprintf("L’activité « %s » effectue du profilage : cette fonction doit rester désactivée jusqu’à ce que la personne l’active, après avoir été informée de la façon de le faire.", nameFR))
		}
		needsConsent := slices.ContainsFunc(a.Purposes, func(k string) bool {
			p, ok := purposes[k]
			return ok && slices.Contains(consentNeeders, p.Consent)
		})
		if !needsConsent {
			continue
		}
		for j, k := range a.Subjects {
			s, ok := minors[k]
			if !ok {
				continue
			}
			c.add("minors-consent", SeverityInfo, artMinors, fmt.Sprintf("%s.subjects[%d]", path, j), "activities", a.Key,
				fmt.Sprintf("The activity %q asks consent of minors (%s): for a child under 14, consent must come from the person having parental authority or the tutor.", nameEN, s.Name.In("en")),
				fmt.Sprintf("L’activité « %s » demande le consentement de mineurs (%s) : pour un enfant de moins de 14 ans, le consentement doit venir du titulaire de l’autorité parentale ou du tuteur.", nameFR, s.Name.FR))
		}
	}
}

func (c *checker) dataCategories() {
	used := map[string]bool{}
	for _, a := range c.d.Activities {
		for _, k := range a.DataCategories {
			used[k] = true
		}
	}
	for i, dc := range c.d.DataCategories {
		if !used[dc.Key] {
			c.add("data-unused", SeverityWarning, artData, fmt.Sprintf("data_categories[%d]", i), "data_categories", dc.Key,
				fmt.Sprintf("The data category %q is used by no activity: collect only what a purpose needs, so link it to an activity or delete it.", dc.Name.In("en")),
				fmt.Sprintf("La catégorie de renseignements « %s » n’est utilisée par aucune activité : ne recueillez que ce qu’une finalité exige ; rattachez-la à une activité ou supprimez-la.", dc.Name.FR))
		}
	}
}

// assessedProvider reports whether a system hosted outside Quebec is run by a
// recipient whose PIA is recorded: hosting is a communication to the
// provider (P 17), so the provider's PIA covers the system.
func (c *checker) assessedProvider(s System) bool {
	for _, r := range c.d.Recipients {
		if r.PIA && (strings.EqualFold(r.Name, s.Name) || (s.Provider != "" && strings.EqualFold(r.Name, s.Provider))) {
			return true
		}
	}
	return false
}

// place names a location for a finding: the rest of Canada in words, other
// places by their ISO code.
func place(loc, lang string) string {
	if loc == "CA" || strings.HasPrefix(loc, "CA-") {
		if lang == "fr" {
			return "ailleurs au Canada"
		}
		return "elsewhere in Canada"
	}
	return loc
}

// places covers what leaves Quebec or goes to a service provider: a PIA
// before any communication outside Quebec (P 17, A 70.1), and a written
// contract with every processor (P 18.3, A 67.2).
func (c *checker) places() {
	for i, r := range c.d.Recipients {
		path := fmt.Sprintf("recipients[%d]", i)
		if r.Location != "" && OutsideQuebec(r.Location) && !r.PIA {
			c.add("recipient-no-pia", SeverityError, artOutside, path+".pia", "recipients", r.Key,
				fmt.Sprintf("The recipient %q is located outside Quebec (%s) without a privacy impact assessment: assess the protection the information will get there before communicating it.", r.Name, place(r.Location, "en")),
				fmt.Sprintf("Le destinataire « %s » est situé hors du Québec (%s) sans évaluation des facteurs relatifs à la vie privée : évaluez la protection dont les renseignements y bénéficieront avant de les communiquer.", r.Name, place(r.Location, "fr")))
		}
		if r.Role == RoleProcessor && !r.Contract {
			c.add("processor-no-contract", SeverityError, artProcessor, path+".contract", "recipients", r.Key,
				fmt.Sprintf("The service provider %q has no written contract: the contract must state the confidentiality measures and limit use to the mandate.", r.Name),
				fmt.Sprintf("Le fournisseur de services « %s » n’a pas de contrat écrit : le contrat doit préciser les mesures de confidentialité et limiter l’utilisation au mandat.", r.Name))
		}
	}
	for i, s := range c.d.Systems {
		if s.Location != "" && OutsideQuebec(s.Location) && !c.assessedProvider(s) {
			c.add("system-outside-quebec", SeverityWarning, artOutside, fmt.Sprintf("systems[%d].location", i), "systems", s.Key,
				fmt.Sprintf("The system %q keeps information outside Quebec (%s): record its provider as a recipient and note the privacy impact assessment that covers it.", s.Name, place(s.Location, "en")),
				fmt.Sprintf("Le système « %s » conserve des renseignements hors du Québec (%s) : inscrivez son fournisseur parmi les destinataires et indiquez l’évaluation des facteurs relatifs à la vie privée qui le couvre.", s.Name, place(s.Location, "fr")))
		}
	}
}

func (c *checker) measures() {
	if slices.ContainsFunc(c.d.Measures, func(m Measure) bool { return m.Kind == MeasureSecurity }) {
		return
	}
	c.add("no-security-measure", SeverityWarning, artSecurity, "measures", "measures", "",
		"No security measure is recorded: describe how personal information is protected, for the policy to tell persons.",
		"Aucune mesure de sécurité n’est consignée : décrivez comment les renseignements personnels sont protégés, pour que la politique en informe les personnes.")
}

func (c *checker) cookies() {
	n := 0
	for _, k := range c.d.Cookies {
		if k.Category != CookieNecessary && k.Category != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	en := fmt.Sprintf("%d cookies are not strictly necessary: the banner must keep them off until the visitor opts in, category by category.", n)
	frMsg := fmt.Sprintf("%d témoins ne sont pas strictement nécessaires : la bannière doit les garder désactivés jusqu’à ce que le visiteur les accepte, catégorie par catégorie.", n)
	if n == 1 {
		en = "1 cookie is not strictly necessary: the banner must keep it off until the visitor opts in."
		frMsg = "1 témoin n’est pas strictement nécessaire : la bannière doit le garder désactivé jusqu’à ce que le visiteur l’accepte."
	}
	c.add("cookie-consent", SeverityInfo, artCookies, "cookies", "cookies", "", en, frMsg)
}

// governance: the rules governing personal information are approved by
// the person in charge (P 3.2) or the access committee (A 63.3); recording
// who adopted them, and when, is how the organization can show it.
func (c *checker) governance() {
	p := c.d.Policy
	if strings.TrimSpace(p.AdoptedBy) != "" && p.AdoptedOn != "" {
		return
	}
	field := "policy.adopted_by"
	if strings.TrimSpace(p.AdoptedBy) != "" {
		field = "policy.adopted_on"
	}
	c.add("governance-adoption", SeverityWarning, artGovernance, field, "", "",
		"The inventory does not say who adopted the governance policy, or when: record the approving body and the date.",
		"L’inventaire n’indique pas qui a adopté la politique de gouvernance, ni à quelle date : consignez l’instance qui l’a approuvée et la date.")
}

// translations counts the texts that have French but no English, when the
// organization publishes in English: those parts of the English policy would
// fall back to French.
func (c *checker) translations() {
	if !slices.Contains(c.d.Org.Languages, "en") {
		return
	}
	n := 0
	for _, coll := range Collections {
		for _, item := range coll.List(c.d) {
			for _, f := range coll.Fields() {
				if f.Kind != KindText && f.Kind != KindLongText {
					continue
				}
				if t := fieldValue(item, f.Name).Interface().(Text); t.FR != "" && t.EN == "" {
					n++
				}
			}
		}
	}
	if n == 0 {
		return
	}
	c.add("translations-missing", SeverityInfo, artNoArticle, "", "", "",
		fmt.Sprintf("%s no English translation: the English policy shows the French text instead.", plural(n, "text has", "texts have")),
		fmt.Sprintf("%s de traduction anglaise : la politique anglaise affiche le texte français à la place.", plural(n, "texte n’a pas", "textes n’ont pas")))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// locate finds the collection and key an error path such as
// "purposes[2].consent" points into, so a finding can link to the item.
func locate(d *Document, field string) (coll, key string) {
	name, rest, ok := strings.Cut(field, "[")
	if !ok {
		return "", ""
	}
	c, ok := CollectionByName(name)
	if !ok {
		return "", ""
	}
	idx, _, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(idx)
	keys := c.Keys(d)
	if err != nil || i < 0 || i >= len(keys) {
		return name, ""
	}
	return name, keys[i]
}
