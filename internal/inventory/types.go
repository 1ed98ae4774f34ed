// Package inventory models what an organization does with personal
// information (SPEC §5): its profile, its privacy officer, and the collections
// of purposes, data, people, systems, recipients, retention rules, activities,
// cookies and measures. The inventory is the single source of truth for the
// policy, the banner, retention and requests, so it is validated as a whole.
package inventory

// Text is a bilingual text. French is required, English optional.
type Text struct {
	FR string `json:"fr" yaml:"fr"`
	EN string `json:"en,omitempty" yaml:"en,omitempty"`
}

// In returns the text in lang, falling back to French.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.FR == "" && t.EN == "" }

// Regime is the law an organization answers to.
type Regime string

// Regimes: the private-sector Act (P-39.1), the public-sector Access Act
// or both (a professional order, for example).
const (
	RegimePrivate Regime = "private"
	RegimePublic  Regime = "public"
	RegimeBoth    Regime = "both"
)

// Profile is the organization as it presents itself in its policy.
type Profile struct {
	Name      string   `json:"name" yaml:"name"`
	LegalName string   `json:"legal_name,omitempty" yaml:"legal_name,omitempty"`
	Regime    Regime   `json:"regime" yaml:"regime"`
	Website   string   `json:"website,omitempty" yaml:"website,omitempty"`
	Address   string   `json:"address,omitempty" yaml:"address,omitempty"`
	Languages []string `json:"languages" yaml:"languages,flow"`
}

// Officer is the person in charge of the protection of personal information
// (P 3.1, A 8), as published: title and contact are mandatory in practice.
type Officer struct {
	Name    string `json:"name,omitempty" yaml:"name,omitempty"`
	Title   string `json:"title,omitempty" yaml:"title,omitempty"`
	Email   string `json:"email,omitempty" yaml:"email,omitempty"`
	Phone   string `json:"phone,omitempty" yaml:"phone,omitempty"`
	Address string `json:"address,omitempty" yaml:"address,omitempty"`
}

// IsZero reports whether no officer contact is recorded.
func (o Officer) IsZero() bool { return o == Officer{} }

// PolicySettings are the organization's choices about its policy.
type PolicySettings struct {
	NoticeDays            int    `json:"notice_days" yaml:"notice_days"`
	RequestDelayDays      int    `json:"request_delay_days" yaml:"request_delay_days"`
	AdoptedBy             string `json:"adopted_by,omitempty" yaml:"adopted_by,omitempty"`
	AdoptedOn             Date   `json:"adopted_on,omitempty" yaml:"adopted_on,omitempty"`
	ReconsentOnNewPurpose bool   `json:"reconsent_on_new_purpose" yaml:"reconsent_on_new_purpose"`
	// Paragraphs are the officer's own Markdown texts, added at the end of
	// policy sections. They live in the inventory so that a draft version
	// snapshots them with everything else the policy is written from.
	Paragraphs []Paragraph `json:"paragraphs,omitempty" yaml:"paragraphs,omitempty"`
	// Banner are the cookie banner's settings (banner.go).
	Banner BannerSettings `json:"banner,omitzero" yaml:"banner,omitempty"`
}

// Paragraph is the officer's own Markdown text for one policy section.
type Paragraph struct {
	Section string `json:"section" yaml:"section"`
	Text    Text   `json:"text" yaml:"text"`
}

// PolicySections are the IDs of the policy's sections, in order (SPEC §6).
// They are the anchors of the public page, the same in every language.
var PolicySections = []string{"who-we-are", "what-we-collect", "purposes", "how-we-collect", "sharing",
	"retention", "security", "rights", "incidents", "minors", "changes", "contact"}

// MaxParagraphLen is the longest officer's paragraph, in characters.
const MaxParagraphLen = 20000

// Paragraph returns the officer's text for section in lang, or "". An
// English policy shows no French paragraph: a missing translation is left
// out, and the compliance check names it.
func (p PolicySettings) Paragraph(section, lang string) string {
	for _, x := range p.Paragraphs {
		if x.Section == section {
			if lang == "en" {
				return x.Text.EN
			}
			return x.Text.FR
		}
	}
	return ""
}

// Consent is the kind of consent a purpose relies on.
type Consent string

// Consent kinds. not_required needs an exception saying which legal ground
// allows the use without consent (P 12, A 65.1).
const (
	ConsentExpress     Consent = "express"
	ConsentImplied     Consent = "implied"
	ConsentNotRequired Consent = "not_required"
)

// Purpose is why information is collected and used.
type Purpose struct {
	Key         string  `json:"key" yaml:"key"`
	Name        Text    `json:"name" yaml:"name"`
	Description Text    `json:"description,omitzero" yaml:"description,omitempty"`
	Consent     Consent `json:"consent" yaml:"consent"`
	Exception   Text    `json:"exception,omitzero" yaml:"exception,omitempty"`
}

// DataCategory is a kind of personal information.
type DataCategory struct {
	Key       string `json:"key" yaml:"key"`
	Name      Text   `json:"name" yaml:"name"`
	Examples  Text   `json:"examples,omitzero" yaml:"examples,omitempty"`
	Sensitive bool   `json:"sensitive" yaml:"sensitive"`
}

// SubjectCategory is a group of people whose information is held.
type SubjectCategory struct {
	Key    string `json:"key" yaml:"key"`
	Name   Text   `json:"name" yaml:"name"`
	Minors bool   `json:"minors" yaml:"minors"`
}

// System is where information is kept: an application, a service, a cabinet.
// Location is an ISO 3166 code, with CA-QC for Quebec.
type System struct {
	Key        string `json:"key" yaml:"key"`
	Name       string `json:"name" yaml:"name"`
	Provider   string `json:"provider,omitempty" yaml:"provider,omitempty"`
	Location   string `json:"location" yaml:"location"`
	Safeguards Text   `json:"safeguards,omitzero" yaml:"safeguards,omitempty"`
}

// RecipientRole says on what footing a recipient receives information.
type RecipientRole string

// Recipient roles.
const (
	RoleProcessor  RecipientRole = "processor"
	RoleThirdParty RecipientRole = "third_party"
	RolePublicBody RecipientRole = "public_body"
	RolePartner    RecipientRole = "partner"
)

// Recipient is someone information is communicated to.
type Recipient struct {
	Key      string        `json:"key" yaml:"key"`
	Name     string        `json:"name" yaml:"name"`
	Role     RecipientRole `json:"role" yaml:"role"`
	Location string        `json:"location" yaml:"location"`
	Contract bool          `json:"contract" yaml:"contract"`
	PIA      bool          `json:"pia" yaml:"pia"`
	Purpose  Text          `json:"purpose,omitzero" yaml:"purpose,omitempty"`
}

// Trigger is the event from which a retention period runs.
type Trigger string

// Retention triggers.
const (
	TriggerCollection        Trigger = "collection"
	TriggerEndOfRelationship Trigger = "end_of_relationship"
	TriggerLastActivity      Trigger = "last_activity"
	TriggerEvent             Trigger = "event"
)

// Action is what happens to information once its retention period ends
// (P 23, A 73).
type Action string

// Retention actions.
const (
	ActionDestroy   Action = "destroy"
	ActionAnonymize Action = "anonymize"
)

// RetentionRule says how long information is kept and what happens after.
type RetentionRule struct {
	Key       string   `json:"key" yaml:"key"`
	Name      Text     `json:"name" yaml:"name"`
	Period    Duration `json:"period" yaml:"period"`
	Trigger   Trigger  `json:"trigger" yaml:"trigger"`
	Action    Action   `json:"action" yaml:"action"`
	Reference string   `json:"reference,omitempty" yaml:"reference,omitempty"`
}

// Activity is one processing of personal information: it ties purposes, data,
// people, sources, means, systems, recipients and a retention rule together.
type Activity struct {
	Key               string   `json:"key" yaml:"key"`
	Name              Text     `json:"name" yaml:"name"`
	Purposes          []string `json:"purposes" yaml:"purposes,flow"`
	DataCategories    []string `json:"data_categories" yaml:"data_categories,flow"`
	Subjects          []string `json:"subjects" yaml:"subjects,flow"`
	Sources           []string `json:"sources" yaml:"sources,flow"`
	CollectionMeans   []string `json:"collection_means" yaml:"collection_means,flow"`
	Systems           []string `json:"systems" yaml:"systems,flow"`
	Recipients        []string `json:"recipients" yaml:"recipients,flow"`
	Retention         string   `json:"retention" yaml:"retention"`
	AutomatedDecision bool     `json:"automated_decision" yaml:"automated_decision"`
	Profiling         bool     `json:"profiling" yaml:"profiling"`
}

// Sources and collection means an activity may name.
var (
	Sources         = []string{"subject", "third_party", "public", "generated"}
	CollectionMeans = []string{"web_form", "paper", "email", "phone", "in_person", "cookies", "api", "other"}
)

// CookieCategory groups cookies for the banner's choices.
type CookieCategory string

// Cookie categories; only necessary cookies are set without consent.
const (
	CookieNecessary   CookieCategory = "necessary"
	CookiePreferences CookieCategory = "preferences"
	CookieStatistics  CookieCategory = "statistics"
	CookieMarketing   CookieCategory = "marketing"
)

// Cookie is a cookie or similar tracker a website sets.
type Cookie struct {
	Key      string         `json:"key" yaml:"key"`
	Name     string         `json:"name" yaml:"name"`
	Service  string         `json:"service,omitempty" yaml:"service,omitempty"`
	Provider string         `json:"provider,omitempty" yaml:"provider,omitempty"`
	Category CookieCategory `json:"category" yaml:"category"`
	Purpose  Text           `json:"purpose,omitzero" yaml:"purpose,omitempty"`
	Duration Duration       `json:"duration" yaml:"duration"`
	Party    string         `json:"party" yaml:"party"`
	Patterns []string       `json:"patterns,omitempty" yaml:"patterns,omitempty,flow"`
}

// MeasureKind groups protection measures.
type MeasureKind string

// Measure kinds.
const (
	MeasureGovernance      MeasureKind = "governance"
	MeasureSecurity        MeasureKind = "security"
	MeasureTraining        MeasureKind = "training"
	MeasureConfidentiality MeasureKind = "confidentiality"
)

// Measure is a protection measure the organization takes (P 10, A 63.1).
type Measure struct {
	Key  string      `json:"key" yaml:"key"`
	Kind MeasureKind `json:"kind" yaml:"kind"`
	Text Text        `json:"text" yaml:"text"`
}

// Document is the whole inventory, in the exact shape of SPEC §5; it is also
// the import and export format.
type Document struct {
	Org               Profile           `json:"org" yaml:"org"`
	Officer           Officer           `json:"officer" yaml:"officer"`
	Policy            PolicySettings    `json:"policy" yaml:"policy"`
	Purposes          []Purpose         `json:"purposes" yaml:"purposes"`
	DataCategories    []DataCategory    `json:"data_categories" yaml:"data_categories"`
	SubjectCategories []SubjectCategory `json:"subject_categories" yaml:"subject_categories"`
	Systems           []System          `json:"systems" yaml:"systems"`
	Recipients        []Recipient       `json:"recipients" yaml:"recipients"`
	RetentionRules    []RetentionRule   `json:"retention_rules" yaml:"retention_rules"`
	Activities        []Activity        `json:"activities" yaml:"activities"`
	Cookies           []Cookie          `json:"cookies" yaml:"cookies"`
	Measures          []Measure         `json:"measures" yaml:"measures"`
}
