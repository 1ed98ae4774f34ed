package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq/internal/inventory"
)

// The words of the notices and of the register, in French (the
// Commission's language, and the reference) and English.
var words = map[string]map[string]string{
	"fr": {
		"kind.unauthorized_access":        "Accès non autorisé",
		"kind.unauthorized_use":           "Utilisation non autorisée",
		"kind.unauthorized_communication": "Communication non autorisée",
		"kind.loss":                       "Perte de renseignements personnels",
		"kind.other":                      "Autre atteinte à la protection des renseignements",
		"level.low":                       "faible",
		"level.medium":                    "moyenne",
		"level.high":                      "élevée",
		"yes":                             "oui",
		"no":                              "non",
		"not_assessed":                    "non évalué",
		"approx":                          " (approximation)",
		"estimate":                        " (estimation)",
		"unknown":                         "Non connus : %s",
		"period":                          "du %s au %s",
		"at_time":                         "%s à %s (UTC)",
		"count.quebec":                    "%s, dont %s au Québec",
		"serious.yes":                     "Risque de préjudice sérieux",
		"serious.no":                      "Pas de risque de préjudice sérieux",
		"factors":                         "sensibilité des renseignements : %s ; conséquences appréhendées : %s ; probabilité d’utilisation préjudiciable : %s",
		"public.yes":                      "Oui, le %s : %s",
		"public.no":                       "Non",
		"persons.sent":                    "%s : %d avis par courriel, %d par la poste",
		"not_applicable":                  "Sans objet (pas de risque de préjudice sérieux)",
		"cause":                           "Cause : %s",
		"disclosure":                      "%s, le %s : %s (%s)",
	},
	"en": {
		"kind.unauthorized_access":        "Unauthorized access",
		"kind.unauthorized_use":           "Unauthorized use",
		"kind.unauthorized_communication": "Unauthorized communication",
		"kind.loss":                       "Loss of personal information",
		"kind.other":                      "Other breach of the protection of the information",
		"level.low":                       "low",
		"level.medium":                    "medium",
		"level.high":                      "high",
		"yes":                             "yes",
		"no":                              "no",
		"not_assessed":                    "not assessed",
		"approx":                          " (approximate)",
		"estimate":                        " (estimate)",
		"unknown":                         "Not known: %s",
		"period":                          "from %s to %s",
		"at_time":                         "%s at %s UTC",
		"count.quebec":                    "%s, of whom %s in Quebec",
		"serious.yes":                     "Risk of serious injury",
		"serious.no":                      "No risk of serious injury",
		"factors":                         "sensitivity of the information: %s; foreseeable consequences: %s; likelihood of injurious use: %s",
		"public.yes":                      "Yes, on %s: %s",
		"public.no":                       "No",
		"persons.sent":                    "%s: %d notices by email, %d by post",
		"not_applicable":                  "Not applicable (no risk of serious injury)",
		"cause":                           "Cause: %s",
		"disclosure":                      "%s, on %s: %s (%s)",
	},
}

// Lang returns lang when privaq writes in it, else French.
func Lang(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "fr"
}

func say(lang, key string, args ...any) string {
	s, ok := words[Lang(lang)][key]
	if !ok {
		s = "[" + key + "]"
	}
	if Lang(lang) == "fr" {
		s = frTypo.Replace(s) // the phrase's own punctuation, not the data's
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

var months = map[string][]string{
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// FormatDate writes a date in lang ("5 janvier 2026", "January 5, 2026"),
// with its time when it has one.
func FormatDate(t time.Time, lang string) string {
	t = t.UTC()
	lang = Lang(lang)
	var s string
	if lang == "fr" {
		s = fmt.Sprintf("%d %s %d", t.Day(), months["fr"][t.Month()-1], t.Year())
		if t.Day() == 1 {
			s = "1er" + s[1:]
		}
	} else {
		s = fmt.Sprintf("%s %d, %d", months["en"][t.Month()-1], t.Day(), t.Year())
	}
	if !t.Equal(day(t)) {
		clock := t.Format("15:04")
		if lang == "fr" {
			clock = fmt.Sprintf("%d h %02d", t.Hour(), t.Minute())
		}
		s = say(lang, "at_time", s, clock)
	}
	return s
}

func formatOpt(t *time.Time, lang string) string {
	if t == nil {
		return ""
	}
	return FormatDate(*t, lang)
}

// Period writes when the incident happened.
func (d *Details) Period(lang string) string {
	if d.OccurredFrom.IsZero() {
		return ""
	}
	s := FormatDate(d.OccurredFrom, lang)
	if d.OccurredTo != nil && !d.OccurredTo.Equal(d.OccurredFrom) {
		s = say(lang, "period", s, FormatDate(*d.OccurredTo, lang))
	}
	if d.OccurredApproximate {
		s += say(lang, "approx")
	}
	return s
}

// KindName names what happened.
func KindName(k Kind, lang string) string { return say(lang, "kind."+string(k)) }

// LevelName names a factor's grade.
func LevelName(l Level, lang string) string { return say(lang, "level."+string(l)) }

// number writes a count with thin grouping in French (1 200), commas in
// English (1,200).
func number(n int, lang string) string {
	s := strconv.Itoa(n)
	sep := ","
	if Lang(lang) == "fr" {
		sep = "\u00a0"
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}

// PeopleText writes how many people are concerned, and how many live in
// Quebec when known; "" when the count is not known yet.
func (d *Details) PeopleText(lang string) string {
	if d.PeopleCount == nil {
		return ""
	}
	s := number(*d.PeopleCount, lang)
	if d.PeopleInQuebec != nil {
		s = say(lang, "count.quebec", s, number(*d.PeopleInQuebec, lang))
	}
	if d.PeopleApproximate {
		s += say(lang, "estimate")
	}
	return s
}

// InformationText describes the personal information involved: the names
// of the inventory's data categories, the description, and why what is
// not known is not.
func (d *Details) InformationText(doc *inventory.Document, lang string) string {
	var parts []string
	if names := categoryNames(d.DataCategories, doc, lang); len(names) > 0 {
		parts = append(parts, strings.Join(names, ", "))
	}
	if d.Information != "" {
		parts = append(parts, d.Information)
	}
	if d.InformationUnknownReason != "" {
		parts = append(parts, say(lang, "unknown", d.InformationUnknownReason))
	}
	return strings.Join(parts, "\n")
}

// categoryNames names data categories in lang, keeping a key whose
// category left the inventory since.
func categoryNames(keys []string, doc *inventory.Document, lang string) []string {
	var out []string
	for _, k := range keys {
		name := k
		if doc != nil {
			if i := slices.IndexFunc(doc.DataCategories, func(c inventory.DataCategory) bool { return c.Key == k }); i >= 0 {
				name = doc.DataCategories[i].Name.In(lang)
			}
		}
		out = append(out, name)
	}
	return out
}

// SeriousText says the latest conclusion.
func (inc *Incident) SeriousText(lang string) string {
	switch {
	case inc.Serious == nil:
		return say(lang, "not_assessed")
	case *inc.Serious:
		return say(lang, "yes")
	}
	return say(lang, "no")
}

// Text writes an assessment's conclusion, factors and grounds.
func (a *Assessment) Text(lang string) string {
	head := say(lang, "serious.no")
	if a.Serious {
		head = say(lang, "serious.yes")
	}
	return head + " — " + say(lang, "factors", LevelName(a.Sensitivity, lang), LevelName(a.Consequences, lang), LevelName(a.Likelihood, lang)) +
		".\n" + a.Grounds
}
