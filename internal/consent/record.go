// Package consent keeps the consent ledger (SPEC §7): who agreed to what,
// under which policy version, how and when, and when it was withdrawn, in
// a per-organization hash chain that proves years later that no record
// was altered, removed or reordered. It answers the applications'
// question "may I use this person's data for this purpose?" from an index
// kept exact with the chain.
package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"privaq"
	"privaq/internal/inventory"
)

// Decision is what a person decided.
type Decision string

// Decisions. A withdrawal is a new record; records never change.
const (
	Granted   Decision = "granted"
	Refused   Decision = "refused"
	Withdrawn Decision = "withdrawn"
)

// Mode says how the consent was expressed.
type Mode string

// Modes (P 14: express consent for sensitive information).
const (
	Express Mode = "express"
	Implied Mode = "implied"
)

// GivenBy says who decided.
type GivenBy string

// Who may decide (P 4.1, 14: the holder of parental authority for a minor
// under 14; a representative such as a tutor or mandatary).
const (
	BySubject           GivenBy = "subject"
	ByParentalAuthority GivenBy = "parental_authority"
	ByRepresentative    GivenBy = "representative"
)

// Channels through which a decision reached the organization.
var Channels = []string{"web", "banner", "form", "paper", "phone", "email", "api"}

// Limits of a record's fields.
const (
	MaxSubjectLen        = 256
	MaxRepresentativeLen = 300
	MaxEvidenceBytes     = 4096
	MaxBatch             = 10000
)

// Record is one decision, as recorded. Subject and Representative name
// people: they are stored sealed, the subject found by a blind index.
type Record struct {
	ID              string          `json:"id"`
	Seq             int64           `json:"seq"`
	OrgID           privaq.OrgID    `json:"-"`
	Subject         string          `json:"subject"`
	SubjectCategory string          `json:"subject_category,omitempty"`
	Purpose         string          `json:"purpose"`
	Decision        Decision        `json:"decision"`
	Mode            Mode            `json:"mode"`
	Channel         string          `json:"channel"`
	GivenBy         GivenBy         `json:"given_by"`
	Representative  string          `json:"representative,omitempty"`
	PolicyVersion   int             `json:"policy_version"`
	Evidence        json.RawMessage `json:"evidence,omitempty"`
	ExpiresAt       *time.Time      `json:"expires_at,omitempty"`
	RecordedAt      time.Time       `json:"recorded_at"`
	Batch           int64           `json:"batch"`
	Hash            []byte          `json:"-"`
}

// Input is a record as a client sends it.
type Input struct {
	Subject         string          `json:"subject"`
	SubjectCategory string          `json:"subject_category"`
	Purpose         string          `json:"purpose"`
	Decision        Decision        `json:"decision"`
	Mode            Mode            `json:"mode"`
	Channel         string          `json:"channel"`
	GivenBy         GivenBy         `json:"given_by"`
	Representative  string          `json:"representative"`
	PolicyVersion   *int            `json:"policy_version"`
	Evidence        json.RawMessage `json:"evidence"`
	ExpiresAt       *time.Time      `json:"expires_at"`
}

// DecodeInputs reads one record, or {"records": […]} (then batch is
// true), strictly: unknown fields, trailing data and more than MaxBatch
// records are errors.
func DecodeInputs(body []byte) (ins []Input, batch bool, err error) {
	body = bytes.TrimSpace(body)
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return nil, false, &privaq.Error{Code: privaq.EInvalidJSON, Message: "the body must be a JSON object: one record, or {\"records\": […]}", Err: err}
	}
	if raw, ok := probe["records"]; ok {
		if len(probe) != 1 {
			return nil, true, privaq.FieldError("records", "a batch has only the field records")
		}
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, true, privaq.FieldError("records", "records must be a list of record objects")
		}
		if len(list) == 0 || len(list) > MaxBatch {
			return nil, true, privaq.FieldError("records", "a batch has from 1 to %d records, not %d", MaxBatch, len(list))
		}
		out := make([]Input, len(list))
		for i, r := range list {
			if err := decodeOne(r, &out[i]); err != nil {
				return nil, true, prefix(err, fmt.Sprintf("records[%d]", i))
			}
		}
		return out, true, nil
	}
	var in Input
	if err := decodeOne(body, &in); err != nil {
		return nil, false, err
	}
	return []Input{in}, false, nil
}

// DecodePairs reads {"pairs": […]} strictly, naming pairs[i] in errors.
func DecodePairs(body []byte) ([]Pair, error) {
	// Most bodies are well formed: decoded at once, they take a tenth of
	// the time of the pair-by-pair decoding below, which finds the pair
	// and field to name in an error. A null or empty pair decodes as a
	// zero Pair: the slow way says what is wrong with it.
	var fast struct {
		Pairs []Pair `json:"pairs"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if dec.Decode(&fast) == nil && !dec.More() && fast.Pairs != nil &&
		!slices.ContainsFunc(fast.Pairs, func(p Pair) bool { return p == Pair{} }) {
		return fast.Pairs, nil
	}
	return decodePairsSlowly(body)
}

func decodePairsSlowly(body []byte) ([]Pair, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(body), &probe); err != nil || probe == nil {
		return nil, &privaq.Error{Code: privaq.EInvalidJSON, Message: "the body must be a JSON object {\"pairs\": [{\"subject\", \"purpose\"}, …]}"}
	}
	for k := range probe {
		if k != "pairs" {
			return nil, privaq.FieldError(k, "unknown field %q", k)
		}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(probe["pairs"], &list); err != nil {
		return nil, privaq.FieldError("pairs", "pairs must be a list of {\"subject\", \"purpose\"} objects")
	}
	out := make([]Pair, len(list))
	for i, raw := range list {
		if err := decodeStrict(raw, &out[i]); err != nil {
			return nil, prefix(err, fmt.Sprintf("pairs[%d]", i))
		}
	}
	return out, nil
}

func decodeOne(raw []byte, in *Input) error { return decodeStrict(raw, in) }

// decodeStrict decodes one JSON object into v, rejecting unknown fields
// and trailing data, with errors that name the field.
func decodeStrict(raw []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: "an object is expected, not null"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			name := strings.Trim(f, `"`)
			return privaq.FieldError(name, "unknown field %q", name)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return privaq.FieldError(te.Field, "this value has the wrong type: it must be %s", te.Type)
		}
		// expires_at is the only time: its parse error names no field.
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return privaq.FieldError("expires_at", "expires_at must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z")
		}
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: "a JSON object is expected", Err: err}
	}
	if dec.More() {
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: "unexpected data after the object"}
	}
	return nil
}

// prefix puts path before the field of a validation error.
func prefix(err error, path string) error {
	var pe *privaq.Error
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.Field = path
	if pe.Field != "" {
		c.Field = path + "." + pe.Field
	}
	return &c
}

// Rules is what validation needs from the inventory: the purposes, which
// use sensitive information, and which subject categories are minors.
type Rules struct {
	Purposes  map[string]inventory.Consent
	Sensitive map[string]bool // purposes used by an activity with a sensitive category
	Minors    map[string]bool // subject categories, true for children under 14
}

// RulesOf derives the rules from an inventory.
func RulesOf(d *inventory.Document) *Rules {
	r := &Rules{Purposes: map[string]inventory.Consent{}, Sensitive: map[string]bool{}, Minors: map[string]bool{}}
	for _, p := range d.Purposes {
		r.Purposes[p.Key] = p.Consent
	}
	sensitive := map[string]bool{}
	for _, c := range d.DataCategories {
		sensitive[c.Key] = c.Sensitive
	}
	for _, a := range d.Activities {
		for _, c := range a.DataCategories {
			if sensitive[c] {
				for _, p := range a.Purposes {
					r.Sensitive[p] = true
				}
			}
		}
	}
	for _, s := range d.SubjectCategories {
		r.Minors[s.Key] = s.Minors
	}
	addCookiePurposes(r, d)
	return r
}

// Check validates in against the rules and returns the record it makes,
// recorded at now under policy version current when in names none.
func (r *Rules) Check(in Input, now time.Time, current int) (Record, privaq.ValidationErrors) {
	var errs privaq.ValidationErrors
	bad := func(field, rule, en, fr string) {
		errs = append(errs, &privaq.Error{Code: privaq.EValidation, Field: field, Rule: rule, Message: en, FR: fr})
	}
	rec := Record{Subject: in.Subject, SubjectCategory: in.SubjectCategory, Purpose: in.Purpose, Decision: in.Decision,
		Mode: in.Mode, Channel: in.Channel, GivenBy: in.GivenBy, Representative: strings.TrimSpace(in.Representative),
		ExpiresAt: in.ExpiresAt, RecordedAt: now, PolicyVersion: current}
	switch {
	case in.Subject == "":
		bad("subject", "required", "subject is required: the organization's own reference for the person", "La référence de la personne (subject) est obligatoire.")
	case !cleanLine(in.Subject, MaxSubjectLen):
		bad("subject", "text", fmt.Sprintf("subject must be valid UTF-8 text of at most %d characters, without control characters", MaxSubjectLen), "La référence de la personne est trop longue ou contient des caractères invalides.")
	}
	_, known := r.Purposes[in.Purpose]
	if !known {
		bad("purpose", "unknown_purpose", fmt.Sprintf("%q is not a purpose of the inventory", in.Purpose), fmt.Sprintf("« %s » n’est pas une fin de l’inventaire.", in.Purpose))
	}
	minor := false
	if in.SubjectCategory != "" {
		m, ok := r.Minors[in.SubjectCategory]
		if !ok {
			bad("subject_category", "unknown_subject_category", fmt.Sprintf("%q is not a subject category of the inventory", in.SubjectCategory),
				fmt.Sprintf("« %s » n’est pas une catégorie de personnes de l’inventaire.", in.SubjectCategory))
		}
		minor = m
	}
	switch in.Decision {
	case Granted, Refused, Withdrawn:
	default:
		bad("decision", "enum", "decision must be granted, refused or withdrawn", "La décision doit être granted, refused ou withdrawn.")
	}
	switch in.Mode {
	case Express, Implied:
	default:
		bad("mode", "enum", "mode must be express or implied", "Le mode doit être express ou implied.")
	}
	if in.Mode == Implied && in.Decision == Granted && known && r.Sensitive[in.Purpose] {
		// P 12: sensitive information is used only with express consent.
		bad("mode", "express_required", fmt.Sprintf("the purpose %q uses sensitive information: its consent must be express", in.Purpose),
			fmt.Sprintf("La fin « %s » utilise des renseignements sensibles : le consentement doit être exprès.", in.Purpose))
	}
	if !slices.Contains(Channels, in.Channel) {
		bad("channel", "enum", "channel must be one of "+strings.Join(Channels, ", "), "Le canal doit être l’un de "+strings.Join(Channels, ", ")+".")
	}
	switch in.GivenBy {
	case BySubject:
		if rec.Representative != "" {
			bad("representative", "not_allowed", "a representative is named only when given_by is parental_authority or representative", "Un représentant n’est nommé que si la décision vient d’un titulaire de l’autorité parentale ou d’un représentant.")
		}
		if minor {
			// P 4.1, 14: under 14, the holder of parental authority or the tutor decides.
			bad("given_by", "parental_authority_required", fmt.Sprintf("%q are minors under 14: their consent is given by the holder of parental authority or a tutor (given_by parental_authority or representative)", in.SubjectCategory),
				fmt.Sprintf("Les personnes de la catégorie « %s » ont moins de 14 ans : le consentement est donné par le titulaire de l’autorité parentale ou le tuteur.", in.SubjectCategory))
		}
	case ByParentalAuthority, ByRepresentative:
		if rec.Representative == "" {
			bad("representative", "required", "name the person who decided for the subject", "Nommez la personne qui a décidé pour la personne concernée.")
		} else if !cleanLine(rec.Representative, MaxRepresentativeLen) {
			bad("representative", "text", fmt.Sprintf("representative must be text of at most %d characters", MaxRepresentativeLen), "Le nom du représentant est trop long ou invalide.")
		}
	default:
		bad("given_by", "enum", "given_by must be subject, parental_authority or representative", "given_by doit être subject, parental_authority ou representative.")
	}
	if in.PolicyVersion != nil {
		if *in.PolicyVersion < 1 || *in.PolicyVersion > current {
			bad("policy_version", "unknown_version", fmt.Sprintf("policy_version must be a published version, from 1 to %d", current),
				fmt.Sprintf("La version de la politique doit être une version publiée, de 1 à %d.", current))
		}
		rec.PolicyVersion = *in.PolicyVersion
	}
	if len(in.Evidence) > 0 && !bytes.Equal(bytes.TrimSpace(in.Evidence), []byte("null")) {
		var b bytes.Buffer
		switch {
		case json.Compact(&b, in.Evidence) != nil || b.Len() == 0 || b.Bytes()[0] != '{':
			bad("evidence", "object", "evidence must be a JSON object", "La preuve (evidence) doit être un objet JSON.")
		case b.Len() > MaxEvidenceBytes:
			bad("evidence", "too_large", fmt.Sprintf("evidence is %d bytes: the limit is %d", b.Len(), MaxEvidenceBytes),
				fmt.Sprintf("La preuve fait %d octets : la limite est de %d.", b.Len(), MaxEvidenceBytes))
		default:
			rec.Evidence = b.Bytes()
		}
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		rec.ExpiresAt = &t
		if !t.After(now) {
			bad("expires_at", "past", "expires_at must be in the future", "La date d’expiration doit être dans le futur.")
		}
	}
	return rec, errs
}

func cleanLine(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
