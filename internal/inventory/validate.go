package inventory

import (
	"fmt"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"privaq"
)

// Length limits, in characters. They keep a hostile import from filling the
// database and keep the generated policy readable.
const (
	MaxKeyLen      = 63
	MaxLineLen     = 300
	MaxLongTextLen = 10000
)

// Legal delays to answer an access or rectification request: 30 days in the
// private sector (P 32), 20 days for a public body (A 98). An organization
// under both Acts must meet the shorter one.
const (
	ReplyDaysPrivate = 30
	ReplyDaysPublic  = 20
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Languages lists the languages a policy may be published in. French is
// always one of them: the Charter of the French language applies, and Law 25
// expects clear language that persons in Quebec understand.
var Languages = []string{"fr", "en"}

// ReplyLimit returns the legal delay, in days, to answer a request under
// regime r, or 0 when r is not a known regime.
func ReplyLimit(r Regime) int {
	switch r {
	case RegimePrivate:
		return ReplyDaysPrivate
	case RegimePublic, RegimeBoth:
		return ReplyDaysPublic
	}
	return 0
}

// issue is one blocking problem, worded in both languages so that the
// compliance check can show it in the user's language. id and art are set
// when the problem is a breach of a specific article rather than bad input.
type issue struct {
	id     string
	art    articles
	field  string
	en, fr string
	// format marks problems no document may ever have (a value outside its
	// enum, a malformed duration or date): Parse rejects those at once.
	format bool
}

type validator struct {
	issues []issue
}

func (v *validator) add(field, en, fr string) *issue {
	v.issues = append(v.issues, issue{id: "invalid", field: field, en: en, fr: fr})
	return &v.issues[len(v.issues)-1]
}

func (v *validator) errors() privaq.ValidationErrors {
	var errs privaq.ValidationErrors
	for _, is := range v.issues {
		errs = append(errs, &privaq.Error{Code: privaq.EValidation, Field: is.field, Message: is.en, FR: fr(is.fr)})
	}
	return errs
}

// Validate returns every blocking problem of the document, each with the
// path of its field, so that an import or a form shows them all at once.
// Gaps that the law lets an organization fix over time (a missing PIA, a
// missing contract or retention rule) are left to Check.
func (d *Document) Validate() privaq.ValidationErrors {
	return d.validate().errors()
}

func (d *Document) validate() *validator {
	v := &validator{}
	v.profile(&d.Org)
	v.officer(&d.Officer)
	v.policy(&d.Policy, d.Org.Regime)
	keys := map[string]map[string]bool{}
	for _, c := range Collections {
		keys[c.Name()] = v.collection(d, c)
	}
	for _, c := range Collections {
		v.references(d, c, keys)
	}
	v.consent(d)
	v.cookies(d)
	return v
}

func (v *validator) profile(p *Profile) {
	v.required("org.name", p.Name)
	v.line("org.name", p.Name)
	v.line("org.legal_name", p.LegalName)
	v.long("org.address", p.Address)
	v.enum("org.regime", string(p.Regime), true, []string{string(RegimePrivate), string(RegimePublic), string(RegimeBoth)})
	if p.Website != "" && v.line("org.website", p.Website) {
		u, err := url.Parse(p.Website)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add("org.website",
				fmt.Sprintf("%q is not a web address: use a full URL starting with https:// or http://.", p.Website),
				fmt.Sprintf("« %s » n’est pas une adresse web : indiquez une adresse complète commençant par https:// ou http://.", p.Website))
		}
	}
	if len(p.Languages) == 0 {
		v.add("org.languages",
			"At least one language is required: list fr, and en if the policy is also published in English.",
			"Au moins une langue est obligatoire : indiquez fr, et en si la politique est aussi publiée en anglais.")
		return
	}
	v.set("org.languages", p.Languages, Languages)
	if !slices.Contains(p.Languages, "fr") {
		v.add("org.languages",
			"French is required: add fr to the languages.",
			"Le français est obligatoire : ajoutez fr aux langues.")
	}
}

func (v *validator) officer(o *Officer) {
	v.line("officer.name", o.Name)
	v.line("officer.title", o.Title)
	v.line("officer.phone", o.Phone)
	v.long("officer.address", o.Address)
	if o.Email != "" && v.line("officer.email", o.Email) {
		a, err := mail.ParseAddress(o.Email)
		if err != nil || a.Name != "" || a.Address != o.Email {
			v.add("officer.email",
				fmt.Sprintf("%q is not a valid email address: write a bare address such as privacy@example.org, without a name or angle brackets.", o.Email),
				fmt.Sprintf("« %s » n’est pas une adresse courriel valide : écrivez l’adresse seule, par exemple vie.privee@exemple.org, sans nom ni chevrons.", o.Email))
		}
	}
}

func (v *validator) policy(p *PolicySettings, r Regime) {
	if p.NoticeDays < 0 || p.NoticeDays > 365 {
		v.add("policy.notice_days",
			fmt.Sprintf("The notice period is %d days: it must be between 0 and 365 days.", p.NoticeDays),
			fmt.Sprintf("Le délai de préavis doit être compris entre 0 et 365 jours (valeur actuelle : %d).", p.NoticeDays))
	}
	limit := ReplyLimit(r)
	switch {
	case p.RequestDelayDays < 1:
		v.add("policy.request_delay_days",
			fmt.Sprintf("The reply delay is %d days: it must be at least 1 day.", p.RequestDelayDays),
			fmt.Sprintf("Le délai de réponse doit être d’au moins 1 jour (valeur actuelle : %d).", p.RequestDelayDays))
	case limit > 0 && p.RequestDelayDays > limit:
		// P 32 and A 98: silence past the legal delay is a deemed refusal,
		// so a policy may promise less time, never more.
		is := v.add("policy.request_delay_days",
			fmt.Sprintf("The reply delay of %d days exceeds the legal limit of %d days for this regime: use %d days or fewer.", p.RequestDelayDays, limit, limit),
			fmt.Sprintf("Le délai de réponse de %d jours dépasse la limite légale de %d jours pour ce régime : indiquez %d jours ou moins.", p.RequestDelayDays, limit, limit))
		is.id, is.art = "request-delay", articles{p: []string{"32"}, a: []string{"98"}}
	}
	v.line("policy.adopted_by", p.AdoptedBy)
	seen := map[string]bool{}
	for i, x := range p.Paragraphs {
		path := fmt.Sprintf("policy.paragraphs[%d]", i)
		switch {
		case !slices.Contains(PolicySections, x.Section):
			v.add(path+".section",
				fmt.Sprintf("%q is not a policy section: use one of %s.", x.Section, strings.Join(PolicySections, ", ")),
				fmt.Sprintf("« %s » n’est pas une section de la politique : utilisez l’une de %s.", x.Section, strings.Join(PolicySections, ", ")))
		case seen[x.Section]:
			v.add(path+".section",
				fmt.Sprintf("The section %q already has a paragraph: write both texts in one.", x.Section),
				fmt.Sprintf("La section « %s » a déjà un paragraphe : réunissez les deux textes en un seul.", x.Section))
		}
		seen[x.Section] = true
		if x.Text.FR == "" {
			v.add(path+".text.fr", "The French text is required.", "Le texte français est obligatoire.")
		}
		v.str(path+".text.fr", x.Text.FR, MaxParagraphLen, true)
		v.str(path+".text.en", x.Text.EN, MaxParagraphLen, true)
	}
	v.banner(&p.Banner)
	if !p.AdoptedOn.Valid() {
		v.add("policy.adopted_on",
			fmt.Sprintf("%q is not a valid date: write it as YYYY-MM-DD, for example 2024-05-02.", string(p.AdoptedOn)),
			fmt.Sprintf("« %s » n’est pas une date valide : écrivez-la sous la forme AAAA-MM-JJ, par exemple 2024-05-02.", string(p.AdoptedOn))).format = true
	}
}

// collection checks each item of c against c's field descriptors and returns
// the set of its keys, for the reference checks.
func (v *validator) collection(d *Document, c Collection) map[string]bool {
	seen := map[string]int{}
	for i, item := range c.List(d) {
		for _, f := range c.Fields() {
			if f.Kind == KindRef || f.Kind == KindRefs {
				continue // checked once every key is known
			}
			path := fmt.Sprintf("%s[%d].%s", c.Name(), i, f.Name)
			v.field(path, f, fieldValue(item, f.Name))
			if f.Kind != KindKey {
				continue
			}
			key := fieldValue(item, f.Name).String()
			if j, dup := seen[key]; dup && key != "" {
				v.add(path,
					fmt.Sprintf("Key %q is already used by %s[%d]: each key must be unique within its collection.", key, c.Name(), j),
					fmt.Sprintf("La clé « %s » est déjà utilisée par %s[%d] : chaque clé doit être unique dans sa collection.", key, c.Name(), j))
				continue
			}
			seen[key] = i
		}
	}
	keys := make(map[string]bool, len(seen))
	for k := range seen {
		keys[k] = true
	}
	return keys
}

func (v *validator) field(path string, f Field, val reflect.Value) {
	switch f.Kind {
	case KindKey:
		key := val.String()
		if key == "" {
			v.add(path,
				"A key is required: use lowercase letters, digits, hyphens and underscores.",
				"Une clé est obligatoire : utilisez des lettres minuscules, des chiffres, des traits d’union et des soulignés.")
		} else if !slugRE.MatchString(key) {
			v.add(path,
				fmt.Sprintf("Key %q is not a valid slug: use 1 to 63 lowercase letters, digits, hyphens or underscores, starting with a letter or digit.", key),
				fmt.Sprintf("La clé « %s » n’est pas valide : utilisez de 1 à 63 lettres minuscules, chiffres, traits d’union ou soulignés, en commençant par une lettre ou un chiffre.", key))
		}
	case KindString:
		if f.Required {
			v.required(path, val.String())
		}
		v.line(path, val.String())
	case KindText, KindLongText:
		v.text(path, val.Interface().(Text), f.Required, f.Kind == KindLongText)
	case KindEnum:
		v.enum(path, val.String(), f.Required, f.Options)
	case KindSet:
		v.set(path, val.Interface().([]string), f.Options)
	case KindLocation:
		loc := val.String()
		if f.Required && loc == "" {
			v.required(path, loc)
		} else if loc != "" && !ValidLocation(loc) {
			v.add(path,
				fmt.Sprintf("%q is not a known location: use an ISO 3166-1 alpha-2 country code such as CA or US, or a Canadian province code such as CA-QC.", loc),
				fmt.Sprintf("« %s » n’est pas un lieu connu : utilisez un code de pays ISO 3166-1 à deux lettres, comme CA ou US, ou un code de province canadienne, comme CA-QC.", loc))
		}
	case KindDuration:
		du := Duration(val.String())
		switch {
		case du == "":
			if f.Required {
				v.required(path, "")
			}
		case f.Session && du == Session, du.Valid():
		default:
			en := fmt.Sprintf("%q is not an ISO 8601 duration: write it like P7Y, P13M or P30D.", string(du))
			fr := fmt.Sprintf("« %s » n’est pas une durée ISO 8601 : écrivez-la comme P7Y, P13M ou P30D.", string(du))
			if f.Session {
				en = fmt.Sprintf("%q is not an ISO 8601 duration: write it like P13M or P30D, or session.", string(du))
				fr = fmt.Sprintf("« %s » n’est pas une durée ISO 8601 : écrivez-la comme P13M ou P30D, ou session.", string(du))
			}
			v.add(path, en, fr).format = true
		}
	case KindList:
		for j, s := range val.Interface().([]string) {
			p := fmt.Sprintf("%s[%d]", path, j)
			v.required(p, s)
			v.line(p, s)
		}
	}
}

func (v *validator) required(path, s string) {
	if strings.TrimSpace(s) == "" {
		name := path[strings.LastIndexByte(path, '.')+1:]
		v.add(path,
			fmt.Sprintf("The field %q is required and cannot be empty.", name),
			fmt.Sprintf("Le champ « %s » est obligatoire et ne peut pas être vide.", name))
	}
}

// text checks a bilingual text. French is the reference language of every
// policy, so an English text without its French original is refused.
func (v *validator) text(path string, t Text, required, long bool) {
	check := v.line
	if long {
		check = v.long
	}
	switch {
	case strings.TrimSpace(t.FR) == "" && required:
		v.add(path+".fr",
			"The French text is required; the English text is optional.",
			"Le texte français est obligatoire ; le texte anglais est facultatif.")
	case strings.TrimSpace(t.FR) == "" && t.EN != "":
		v.add(path+".fr",
			"The French text is missing: give the French text whenever an English one is given.",
			"Le texte français manque : il doit être fourni dès qu’un texte anglais l’est.")
	}
	check(path+".fr", t.FR)
	check(path+".en", t.EN)
}

// line checks a one-line string and reports whether it is acceptable.
func (v *validator) line(path, s string) bool { return v.str(path, s, MaxLineLen, false) }

// long checks a text of several paragraphs.
func (v *validator) long(path, s string) bool { return v.str(path, s, MaxLongTextLen, true) }

func (v *validator) str(path, s string, limit int, multiline bool) bool {
	if !utf8.ValidString(s) {
		v.add(path,
			"The text is not valid UTF-8: save it with the UTF-8 encoding.",
			"Le texte n’est pas en UTF-8 valide : enregistrez-le avec l’encodage UTF-8.")
		return false
	}
	if n := utf8.RuneCountInString(s); n > limit {
		v.add(path,
			fmt.Sprintf("The text is %d characters long: the limit is %d.", n, limit),
			fmt.Sprintf("Le texte compte %d caractères : la limite est de %d.", n, limit))
		return false
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		// Line and paragraph separators and the byte-order mark are not
		// controls, but they break lines in YAML and in rendered policies.
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			if multiline {
				v.add(path,
					"The text contains a control character: only line breaks and tabs are allowed.",
					"Le texte contient un caractère de contrôle : seuls les sauts de ligne et les tabulations sont permis.")
			} else {
				v.add(path,
					"The text contains a line break or a control character: write it on one line.",
					"Le texte contient un saut de ligne ou un caractère de contrôle : écrivez-le sur une seule ligne.")
			}
			return false
		}
	}
	return true
}

func (v *validator) enum(path, s string, required bool, options []string) {
	switch {
	case s == "":
		if required {
			v.required(path, s)
		}
	case !slices.Contains(options, s):
		v.add(path,
			fmt.Sprintf("%q is not allowed here: use one of %s.", s, strings.Join(options, ", ")),
			fmt.Sprintf("La valeur « %s » n’est pas permise ici ; valeurs possibles : %s.", s, strings.Join(options, ", "))).format = true
	}
}

func (v *validator) set(path string, values, options []string) {
	for j, s := range values {
		p := fmt.Sprintf("%s[%d]", path, j)
		if !slices.Contains(options, s) {
			v.add(p,
				fmt.Sprintf("%q is not allowed here: use one of %s.", s, strings.Join(options, ", ")),
				fmt.Sprintf("La valeur « %s » n’est pas permise ici ; valeurs possibles : %s.", s, strings.Join(options, ", "))).format = true
		} else if slices.Index(values, s) < j {
			v.duplicate(p, s)
		}
	}
}

func (v *validator) duplicate(path, s string) {
	v.add(path,
		fmt.Sprintf("%q is listed more than once: list each value once.", s),
		fmt.Sprintf("« %s » figure plus d’une fois : n’indiquez chaque valeur qu’une fois.", s))
}

// refNoun names the item a reference points to, for messages.
var refNoun = map[string]struct{ en, frNone, frAny string }{
	"purposes":           {"purpose", "Aucune finalité", "d’une finalité existante"},
	"data_categories":    {"data category", "Aucune catégorie de renseignements", "d’une catégorie de renseignements existante"},
	"subject_categories": {"subject category", "Aucune catégorie de personnes", "d’une catégorie de personnes existante"},
	"systems":            {"system", "Aucun système", "d’un système existant"},
	"recipients":         {"recipient", "Aucun destinataire", "d’un destinataire existant"},
	"retention_rules":    {"retention rule", "Aucune règle de conservation", "d’une règle de conservation existante"},
}

// references checks that every key an item names exists: the policy and the
// retention jobs follow these links, and a dangling one would drop a purpose
// or a recipient from what persons are told (P 8, A 65).
func (v *validator) references(d *Document, c Collection, keys map[string]map[string]bool) {
	for i, item := range c.List(d) {
		for _, f := range c.Fields() {
			path := fmt.Sprintf("%s[%d].%s", c.Name(), i, f.Name)
			switch f.Kind {
			case KindRef:
				if k := fieldValue(item, f.Name).String(); k != "" {
					v.ref(path, f.Ref, k, keys)
				}
			case KindRefs:
				refs := fieldValue(item, f.Name).Interface().([]string)
				for j, k := range refs {
					p := fmt.Sprintf("%s[%d]", path, j)
					if slices.Index(refs, k) < j {
						v.duplicate(p, k)
						continue
					}
					v.ref(p, f.Ref, k, keys)
				}
			}
		}
	}
}

func (v *validator) ref(path, coll, key string, keys map[string]map[string]bool) {
	if keys[coll][key] {
		return
	}
	n := refNoun[coll]
	v.add(path,
		fmt.Sprintf("There is no %s with key %q: use the key of an existing %s.", n.en, key, n.en),
		fmt.Sprintf("%s n’a la clé « %s » : utilisez la clé %s.", n.frNone, key, n.frAny))
}

// consent applies the consent rules: a purpose used without consent must
// name its legal exception (P 12, A 65.1), and sensitive information may
// only serve purposes with express consent or such an exception (P 12).
func (v *validator) consent(d *Document) {
	purposes := map[string]*Purpose{}
	for i := range d.Purposes {
		p := &d.Purposes[i]
		purposes[p.Key] = p
		if p.Consent == ConsentNotRequired && strings.TrimSpace(p.Exception.FR) == "" {
			is := v.add(fmt.Sprintf("purposes[%d].exception.fr", i),
				"A purpose that does not require consent must state its exception: give, in French, the legal ground that allows the use without consent.",
				"Une finalité sans consentement doit préciser son exception : indiquez, en français, le motif légal qui permet l’utilisation sans consentement.")
			is.id, is.art = "consent-exception", articles{p: []string{"12"}, a: []string{"65.1"}}
		}
	}
	sensitive := map[string]bool{}
	for _, c := range d.DataCategories {
		if c.Sensitive {
			sensitive[c.Key] = true
		}
	}
	for i, a := range d.Activities {
		var weak *Purpose
		for _, k := range a.Purposes {
			// An empty or unknown consent is already reported on the purpose.
			if p := purposes[k]; p != nil && slices.Contains(consentOptions, string(p.Consent)) && !expressOrExcepted(p) {
				weak = p
				break
			}
		}
		if weak == nil {
			continue
		}
		for j, k := range a.DataCategories {
			if !sensitive[k] {
				continue
			}
			whyEN, whyFR := weakConsent(weak.Consent)
			is := v.add(fmt.Sprintf("activities[%d].data_categories[%d]", i, j),
				fmt.Sprintf("The sensitive category %q needs express consent, but purpose %q %s: make every purpose of this activity express, or not_required with an exception.", k, weak.Key, whyEN),
				fmt.Sprintf("La catégorie sensible « %s » exige un consentement exprès, mais la finalité « %s » %s : rendez chaque finalité de cette activité expresse, ou sans consentement avec une exception.", k, weak.Key, whyFR))
			is.id, is.art = "sensitive-consent", articles{p: []string{"12"}, a: []string{"65.1"}}
		}
	}
}

func expressOrExcepted(p *Purpose) bool {
	return p.Consent == ConsentExpress || (p.Consent == ConsentNotRequired && strings.TrimSpace(p.Exception.FR) != "")
}

// weakConsent says, for messages, why a purpose cannot cover sensitive
// information.
func weakConsent(c Consent) (en, fr string) {
	if c == ConsentImplied {
		return "relies on implied consent", "repose sur un consentement implicite"
	}
	return "needs no consent but states no exception", "se passe de consentement sans préciser d’exception"
}

// cookies applies the banner rule: a third-party cookie set without consent
// must say why the site needs it, or it is not necessary at all (P 8.1).
func (v *validator) cookies(d *Document) {
	for i, c := range d.Cookies {
		if c.Category == CookieNecessary && c.Party == "third" && strings.TrimSpace(c.Purpose.FR) == "" {
			is := v.add(fmt.Sprintf("cookies[%d].purpose.fr", i),
				"A third-party cookie classed as necessary must explain its purpose: describe, in French, why the site cannot work without it.",
				"Un témoin tiers classé nécessaire doit préciser sa finalité : expliquez, en français, pourquoi le site ne peut pas fonctionner sans lui.")
			is.id, is.art = "cookie-necessary-third", articles{p: []string{"8.1"}, a: []string{"65.0.1"}}
		}
	}
}

// fieldValue returns the field of *item whose JSON name is name. The
// descriptors name fields as the document does, so validation is driven by
// the same table as the forms and the API schemas.
func fieldValue(item any, name string) reflect.Value {
	v := reflect.ValueOf(item).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return v.Field(i)
		}
	}
	panic("inventory: no field " + name + " in " + t.Name()) // a descriptor bug, caught by tests
}

// ReferencesTo returns the keys of the activities that refer to the item
// with key in collection (a document name such as "purposes"), so that a
// deletion can be refused or confirmed with the list of what it would break.
func (d *Document) ReferencesTo(collection, key string) []string {
	var out []string
	for _, a := range d.Activities {
		var hit bool
		switch collection {
		case "purposes":
			hit = slices.Contains(a.Purposes, key)
		case "data_categories":
			hit = slices.Contains(a.DataCategories, key)
		case "subject_categories":
			hit = slices.Contains(a.Subjects, key)
		case "systems":
			hit = slices.Contains(a.Systems, key)
		case "recipients":
			hit = slices.Contains(a.Recipients, key)
		case "retention_rules":
			hit = a.Retention == key
		}
		if hit {
			out = append(out, a.Key)
		}
	}
	return out
}

// Normalize turns nil lists into empty ones, so that JSON shows [] rather
// than null and a document compares equal after a round trip. It changes
// nothing else: trimming would make an export differ from its import.
func (d *Document) Normalize() {
	norm(&d.Org.Languages)
	norm(&d.Purposes)
	norm(&d.DataCategories)
	norm(&d.SubjectCategories)
	norm(&d.Systems)
	norm(&d.Recipients)
	norm(&d.RetentionRules)
	norm(&d.Activities)
	norm(&d.Cookies)
	norm(&d.Measures)
	for i := range d.Activities {
		a := &d.Activities[i]
		for _, l := range []*[]string{&a.Purposes, &a.DataCategories, &a.Subjects, &a.Sources, &a.CollectionMeans, &a.Systems, &a.Recipients} {
			norm(l)
		}
	}
}

func norm[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}
