package consent

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq/internal/inventory"
)

// The iso27560 export: one JSON object per record, shaped after the
// consent record of ISO/IEC TS 27560:2023 (a header naming the record and
// the person, the processing consented to with its notice and purposes,
// the parties, and the consent events), with the field names of that
// specification in snake_case. The mapping is in docs/consent-export.md.
// Each ledger record is one event; a reader groups the lines by
// pii_principal_id and purpose to rebuild a consent's history.

// ISOSchema names this profile in each line's schema_version.
const ISOSchema = "privaq-iso27560-v1"

// isoJurisdiction is where the Act respecting the protection of personal
// information in the private sector (and the public-body Act) applies.
const isoJurisdiction = "CA-QC"

type isoRecord struct {
	SchemaVersion  string        `json:"schema_version"`
	RecordID       string        `json:"record_id"`
	PIIPrincipalID string        `json:"pii_principal_id"`
	PrincipalCat   string        `json:"pii_principal_category,omitempty"`
	Processing     isoProcessing `json:"processing"`
	Parties        []isoParty    `json:"parties"`
	Events         []isoEvent    `json:"events"`
	Ledger         isoLedger     `json:"ledger"`
}

type isoProcessing struct {
	PrivacyNotice *isoNotice   `json:"privacy_notice"` // null: no policy version was in effect
	Language      []string     `json:"language"`
	Purposes      []isoPurpose `json:"purposes"`
}

type isoNotice struct {
	NoticeID string `json:"notice_id"`
	Version  int    `json:"version"`
	URL      string `json:"url"`
}

type isoPurpose struct {
	PurposeID        string   `json:"purpose_id"`
	Purpose          string   `json:"purpose"`
	LawfulBasis      string   `json:"lawful_basis"`
	PIIInformation   []isoPII `json:"pii_information"`
	PIIControllers   []string `json:"pii_controllers"`
	CollectionMethod string   `json:"collection_method"`
	Jurisdiction     []string `json:"jurisdiction"`
}

type isoPII struct {
	PIIType   string `json:"pii_type"`
	Sensitive bool   `json:"sensitive"`
}

type isoParty struct {
	PartyID      string `json:"party_id"`
	PartyName    string `json:"party_name"`
	PartyRole    string `json:"party_role"`
	PartyType    string `json:"party_type"`
	PartyAddress string `json:"party_address,omitempty"`
	PartyContact string `json:"party_contact,omitempty"`
	PartyURL     string `json:"party_url,omitempty"`
}

type isoEvent struct {
	EventTime        string          `json:"event_time"`
	EventType        string          `json:"event_type"`
	EventState       string          `json:"event_state"`
	EntityID         string          `json:"entity_id"`
	EntityRole       string          `json:"entity_role"`
	ValidityDuration *string         `json:"validity_duration"`
	ValidUntil       *string         `json:"valid_until"`
	Evidence         json.RawMessage `json:"evidence"`
}

type isoLedger struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// ExportSite is what an iso27560 export says of the organization beyond
// its inventory: its slug and the public base URL of its pages.
type ExportSite struct {
	Slug    string
	BaseURL string
}

// isoContext is what every line shares, built once per export.
type isoContext struct {
	notice     string // URL of the policy versions, before the number
	languages  []string
	controller isoParty
	purposes   map[string]isoPurpose // by key, without the per-record fields
}

func newISOContext(doc *inventory.Document, site ExportSite) *isoContext {
	c := &isoContext{notice: strings.TrimRight(site.BaseURL, "/") + "/o/" + site.Slug + "/privacy/v/",
		languages: doc.Org.Languages, purposes: map[string]isoPurpose{}}
	if len(c.languages) == 0 {
		c.languages = []string{"fr"}
	}
	name := doc.Org.LegalName
	if name == "" {
		name = doc.Org.Name
	}
	c.controller = isoParty{PartyID: "org:" + site.Slug, PartyName: name, PartyRole: "pii_controller", PartyType: "organization",
		PartyAddress: doc.Org.Address, PartyURL: doc.Org.Website}
	switch {
	case doc.Officer.Email != "":
		c.controller.PartyContact = doc.Officer.Email
	case doc.Officer.Phone != "":
		c.controller.PartyContact = doc.Officer.Phone
	}
	sensitive := map[string]bool{}
	for _, d := range doc.DataCategories {
		sensitive[d.Key] = d.Sensitive
	}
	data := map[string][]string{}
	for _, a := range doc.Activities {
		for _, p := range a.Purposes {
			for _, d := range a.DataCategories {
				if !slices.Contains(data[p], d) {
					data[p] = append(data[p], d)
				}
			}
		}
	}
	for _, p := range doc.Purposes {
		ip := isoPurpose{PurposeID: p.Key, Purpose: p.Name.In(c.languages[0]), LawfulBasis: "consent",
			PIIInformation: []isoPII{}, PIIControllers: []string{c.controller.PartyID}, Jurisdiction: []string{isoJurisdiction}}
		ds := data[p.Key]
		slices.Sort(ds)
		for _, d := range ds {
			ip.PIIInformation = append(ip.PIIInformation, isoPII{PIIType: d, Sensitive: sensitive[d]})
		}
		c.purposes[p.Key] = ip
	}
	return c
}

// Consent types and states, named after the DPV concepts the W3C guide to
// ISO/IEC TS 27560 uses (ExplicitlyExpressedConsent, ImpliedConsent,
// ConsentGiven, ConsentRefused, ConsentWithdrawn).
var (
	isoEventType = map[Mode]string{Express: "explicitly_expressed_consent", Implied: "implied_consent"}
	isoState     = map[Decision]string{Granted: "consent_given", Refused: "consent_refused", Withdrawn: "consent_withdrawn"}
	isoRole      = map[GivenBy]string{BySubject: "pii_principal", ByParentalAuthority: "parental_authority", ByRepresentative: "representative"}
)

func (c *isoContext) record(r *Record) isoRecord {
	p, ok := c.purposes[r.Purpose]
	if !ok {
		// A purpose since removed from the inventory: the record keeps its key.
		p = isoPurpose{PurposeID: r.Purpose, LawfulBasis: "consent", PIIInformation: []isoPII{},
			PIIControllers: []string{c.controller.PartyID}, Jurisdiction: []string{isoJurisdiction}}
	}
	p.CollectionMethod = r.Channel
	out := isoRecord{SchemaVersion: ISOSchema, RecordID: r.ID, PIIPrincipalID: r.Subject, PrincipalCat: r.SubjectCategory,
		Processing: isoProcessing{Language: c.languages, Purposes: []isoPurpose{p}},
		Parties:    []isoParty{c.controller},
		Ledger:     isoLedger{Seq: r.Seq, Hash: hex.EncodeToString(r.Hash)}}
	if r.PolicyVersion > 0 {
		n := strconv.Itoa(r.PolicyVersion)
		out.Processing.PrivacyNotice = &isoNotice{NoticeID: "policy-v" + n, Version: r.PolicyVersion, URL: c.notice + n}
	}
	ev := isoEvent{EventTime: stamp(r.RecordedAt), EventType: isoEventType[r.Mode], EventState: isoState[r.Decision],
		EntityID: r.Subject, EntityRole: isoRole[r.GivenBy], Evidence: r.Evidence}
	if r.GivenBy != BySubject && r.Representative != "" {
		ev.EntityID = r.Representative
	}
	if r.ExpiresAt != nil {
		d, u := isoDuration(r.ExpiresAt.Sub(r.RecordedAt)), stamp(*r.ExpiresAt)
		ev.ValidityDuration, ev.ValidUntil = &d, &u
	}
	if len(ev.Evidence) == 0 {
		ev.Evidence = json.RawMessage("null")
	}
	out.Events = []isoEvent{ev}
	return out
}

// isoDuration writes d as an ISO 8601 duration in days and time: P30D,
// P1DT2H, PT0.5S.
func isoDuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteByte('P')
	if days := d / (24 * time.Hour); days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "D")
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	b.WriteByte('T')
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "H")
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "M")
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S")
	}
	return b.String()
}
