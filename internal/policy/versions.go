package policy

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
)

// Org names the organization whose policy is published, for the links in
// the notices.
type Org struct {
	ID   privaq.OrgID
	Slug string
}

// Status is where a version stands. Only draft and published are stored:
// scheduled, current and superseded follow from the effective dates and
// the clock, so no background job has to flip them.
type Status string

// Statuses of a version.
const (
	StatusDraft      Status = "draft"
	StatusPublished  Status = "published" // stored only; read as one of the three below
	StatusScheduled  Status = "scheduled"
	StatusCurrent    Status = "current"
	StatusSuperseded Status = "superseded"
)

// Version is one numbered version of an organization's policy. Its
// Inventory is the snapshot it was drafted from: a published version is
// rendered from it, so it never changes after publication.
type Version struct {
	OrgID          privaq.OrgID
	Number         int
	Status         Status
	CreatedAt      time.Time
	CreatedBy      privaq.ActorKind
	CreatedByUser  privaq.UserID
	CreatedByToken privaq.TokenID
	EffectiveAt    *time.Time
	PublishedAt    *time.Time
	Editorial      bool
	Reason         string // why an editorial change skipped the notice period
	Summary        inventory.Text
	InventoryRev   int64
	Inventory      *inventory.Document // nil in listings
	Significant    bool
	Changes        []Change
	// Renewal lists the consent-based purposes whose consents given under
	// an earlier version the significant changes call into question.
	Renewal []string
	// Notices is how many change notices the publication queued, and
	// Deliveries where they stand (filled by Service.Version).
	Notices    int
	Deliveries map[pqmail.Status]int
	// NoticeDue and Previous are set while publishing: whether
	// subscribers get the change notice, and the version it replaces.
	NoticeDue bool `json:"-"`
	Previous  int  `json:"-"`
}

// ChangeText says what changes in v, in lang: the officer's summary, or
// else the generated list of changes.
func (v *Version) ChangeText(lang string) []string {
	if !v.Summary.IsZero() {
		return []string{v.Summary.In(lang)}
	}
	var out []string
	for _, c := range v.Changes {
		out = append(out, c.Text.In(lang))
	}
	return out
}

// Store keeps policy versions. CreatePolicyDraft and PublishPolicy run
// their callback inside one transaction that serializes the organization's
// writers, and write the audit entry in it. Versions lists every version in
// number order; withInventory loads the snapshots of published versions.
type Store interface {
	PolicyVersions(ctx context.Context, org privaq.OrgID) ([]Version, error)
	PolicyVersion(ctx context.Context, org privaq.OrgID, n int) (Version, error)
	// CreatePolicyDraft gives fn the current inventory, its revision and
	// every version (published ones with their snapshot); fn fills the
	// new version, which the store numbers and inserts.
	CreatePolicyDraft(ctx context.Context, org privaq.OrgID, e audit.Entry,
		fn func(doc *inventory.Document, rev int64, versions []Version) (*Version, error)) (Version, error)
	// PublishPolicy gives fn version n and every version (published ones
	// with their snapshot); fn sets the publication fields of v, which the
	// store saves when fn returns nil. When fn sets v.NoticeDue, the store
	// gives notices the confirmed subscribers and queues the messages it
	// returns, in the same transaction.
	PublishPolicy(ctx context.Context, org privaq.OrgID, n int, e audit.Entry,
		fn func(v *Version, versions []Version) error,
		notices func(v *Version, subs []Subscriber) []pqmail.Message) (Version, error)
}

// Service drafts, publishes and reads policy versions, and keeps the
// subscriptions to their changes.
type Service struct {
	Store       Store
	Subscribers SubscriberStore
	Inventory   *inventory.Service
	Clock       privaq.Clock
	// BaseURL is the public URL of the instance, for links in emails.
	BaseURL string
	// Wake, when set, is signalled after mail is queued.
	Wake chan struct{}
}

// Publication is what publishing a draft takes.
type Publication struct {
	EffectiveAt time.Time // zero for immediately, when allowed
	Summary     inventory.Text
	Editorial   bool
	Reason      string
}

const (
	maxSummary = 4000
	maxReason  = 1000
	// pastTolerance lets a client ask for "now" with a clock slightly
	// behind the server's.
	pastTolerance = 5 * time.Minute
)

// resolve computes the status of every version at now: among the
// published versions in effect, the one with the latest effective date
// (the higher number on a tie) is current and the others superseded;
// those not yet in effect are scheduled.
func resolve(vs []Version, now time.Time) {
	cur := -1
	for i := range vs {
		v := &vs[i]
		if v.Status == StatusDraft || v.EffectiveAt == nil {
			v.Status = StatusDraft
			continue
		}
		if v.EffectiveAt.After(now) {
			v.Status = StatusScheduled
			continue
		}
		v.Status = StatusSuperseded
		if cur < 0 || !v.EffectiveAt.Before(*vs[cur].EffectiveAt) {
			cur = i
		}
	}
	if cur >= 0 {
		vs[cur].Status = StatusCurrent
	}
}

// current returns the current version in resolved vs, or nil.
func current(vs []Version) *Version {
	for i := range vs {
		if vs[i].Status == StatusCurrent {
			return &vs[i]
		}
	}
	return nil
}

// latestPublished returns the published version with the latest effective
// date (scheduled or not), the baseline a new draft is compared with.
func latestPublished(vs []Version) *Version {
	var out *Version
	for i := range vs {
		v := &vs[i]
		if v.Status == StatusDraft {
			continue
		}
		if out == nil || !v.EffectiveAt.Before(*out.EffectiveAt) {
			out = v
		}
	}
	return out
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// CreateDraft snapshots the current inventory as a new draft version and
// compares it with the latest published version.
func (s *Service) CreateDraft(ctx context.Context, actor privaq.Actor, org privaq.OrgID) (Version, error) {
	if err := actor.Require(org, privaq.PermInventoryWrite); err != nil {
		return Version{}, err
	}
	now := s.now()
	e := audit.New(actor, "policy.draft", "policy", nil)
	e.At = now
	v, err := s.Store.CreatePolicyDraft(ctx, org, e, func(doc *inventory.Document, rev int64, vs []Version) (*Version, error) {
		resolve(vs, now)
		v := &Version{OrgID: org, Status: StatusDraft, CreatedAt: now, CreatedBy: actor.Kind,
			CreatedByUser: actor.UserID, CreatedByToken: actor.TokenID, InventoryRev: rev, Inventory: doc}
		if base := latestPublished(vs); base != nil {
			v.Changes = Compare(base.Inventory, doc)
			v.Significant = Significant(v.Changes)
			v.Renewal = RenewalPurposes(doc, v.Changes)
		}
		return v, nil
	})
	if err != nil {
		return Version{}, err
	}
	v.Status = StatusDraft
	return v, nil
}

// Publish publishes draft n. When a version is current, the new one takes
// effect no sooner than the notice period the current policy announces
// (P 8.2: people are told of changes before they apply), unless the change
// is editorial and says why.
//
// When a version was in effect and the change is not editorial, the
// change notice is queued for every confirmed subscriber in the same
// transaction: a publication that is acknowledged has its notices.
func (s *Service) Publish(ctx context.Context, actor privaq.Actor, o Org, n int, p Publication) (Version, error) {
	org := o.ID
	if err := actor.Require(org, privaq.PermInventoryWrite); err != nil {
		return Version{}, err
	}
	var errs privaq.ValidationErrors
	p.Reason = strings.TrimSpace(p.Reason)
	if p.Editorial && p.Reason == "" {
		errs = append(errs, &privaq.Error{Code: privaq.EValidation, Field: "reason", Rule: "policy.reason_required",
			Message: "an editorial change needs a reason", FR: "Une modification de forme doit être justifiée."})
	}
	for field, text := range map[string]string{"summary_of_changes.fr": p.Summary.FR, "summary_of_changes.en": p.Summary.EN, "reason": p.Reason} {
		limit := maxSummary
		if field == "reason" {
			limit = maxReason
		}
		if !utf8.ValidString(text) || utf8.RuneCountInString(text) > limit {
			errs = append(errs, privaq.FieldError(field, "must be valid UTF-8 of at most %d characters", limit))
		}
	}
	if err := errs.Err(); err != nil {
		return Version{}, err
	}
	now := s.now()
	e := audit.New(actor, "policy.publish", "policy/"+strconv.Itoa(n), map[string]any{"editorial": p.Editorial})
	e.At = now
	v, err := s.Store.PublishPolicy(ctx, org, n, e, func(v *Version, vs []Version) error {
		if v.Status != StatusDraft {
			return &privaq.Error{Code: privaq.EConflict, Rule: "policy.published",
				Message: fmt.Sprintf("version %d is already published; create a new draft instead", n)}
		}
		resolve(vs, now)
		// The changes are those against what is published now, not when
		// the draft was made: another version may have been published
		// since, and publishing this one would undo it.
		v.Changes, v.Significant, v.Renewal = nil, false, nil
		if base := latestPublished(vs); base != nil {
			v.Changes = Compare(base.Inventory, v.Inventory)
			v.Significant = Significant(v.Changes)
			v.Renewal = RenewalPurposes(v.Inventory, v.Changes)
		}
		if p.Editorial && v.Significant {
			return &privaq.Error{Code: privaq.EValidation, Field: "editorial", Rule: "policy.editorial_significant",
				Message: "this version makes significant changes (see changes): it cannot be published as an editorial change without notice",
				FR:      "Cette version apporte des changements importants : elle ne peut pas être publiée comme une modification de forme, sans préavis."}
		}
		at := p.EffectiveAt.UTC().Truncate(time.Microsecond)
		if at.IsZero() {
			at = now
		}
		if at.Before(now.Add(-pastTolerance)) {
			return &privaq.Error{Code: privaq.EValidation, Field: "effective_at", Rule: "policy.effective_past",
				Message: "effective_at is in the past", FR: "La date d’entrée en vigueur est passée."}
		}
		if at.Before(now) {
			at = now
		}
		if last := latestPublished(vs); last != nil && at.Before(*last.EffectiveAt) {
			return &privaq.Error{Code: privaq.EValidation, Field: "effective_at", Rule: "policy.effective_order",
				Message: fmt.Sprintf("effective_at must be on or after %s, when version %d takes effect", last.EffectiveAt.Format(time.RFC3339), last.Number),
				FR:      fmt.Sprintf("La date d’entrée en vigueur doit suivre celle de la version %d (%s).", last.Number, catalogs["fr"].date(*last.EffectiveAt))}
		}
		if last := latestPublished(vs); last != nil {
			v.Previous = last.Number
		}
		cur := current(vs)
		v.NoticeDue = cur != nil && !p.Editorial
		if cur != nil && !p.Editorial {
			days := cur.Inventory.Policy.NoticeDays
			if earliest := now.AddDate(0, 0, days); at.Before(earliest) {
				return &privaq.Error{Code: privaq.EValidation, Field: "effective_at", Rule: "policy.notice",
					Message: fmt.Sprintf("the current policy promises %d days of notice: effective_at must be on or after %s, or mark the change editorial with a reason", days, earliest.Format(time.RFC3339)),
					FR:      fmt.Sprintf("La politique en vigueur prévoit un préavis de %d jours : la date d’entrée en vigueur doit être au plus tôt le %s, ou la modification doit être marquée « de forme » et justifiée.", days, catalogs["fr"].date(earliest))}
			}
		}
		v.Status = StatusPublished
		v.EffectiveAt, v.PublishedAt = &at, &now
		v.Editorial, v.Reason, v.Summary = p.Editorial, p.Reason, p.Summary
		return nil
	}, func(v *Version, subs []Subscriber) []pqmail.Message {
		return s.notices(o.Slug, v, subs)
	})
	if err != nil {
		return Version{}, err
	}
	v.Status = StatusScheduled
	if !v.EffectiveAt.After(now) {
		v.Status = StatusCurrent
	}
	if v.Notices > 0 && s.Wake != nil {
		pqmail.Notify(s.Wake)
	}
	return v, nil
}

// Versions lists the versions with their status, newest first.
func (s *Service) Versions(ctx context.Context, actor privaq.Actor, org privaq.OrgID) ([]Version, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return nil, err
	}
	return s.versions(ctx, org)
}

func (s *Service) versions(ctx context.Context, org privaq.OrgID) ([]Version, error) {
	vs, err := s.Store.PolicyVersions(ctx, org)
	if err != nil {
		return nil, err
	}
	resolve(vs, s.now())
	slices.Reverse(vs)
	return vs, nil
}

// Version returns version n with its snapshot and status.
func (s *Service) Version(ctx context.Context, actor privaq.Actor, org privaq.OrgID, n int) (Version, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return Version{}, err
	}
	v, err := s.version(ctx, org, n)
	if err != nil {
		return v, err
	}
	v.Deliveries, err = s.Subscribers.MailCounts(ctx, org, fmt.Sprintf("policy/%d", n))
	return v, err
}

func (s *Service) version(ctx context.Context, org privaq.OrgID, n int) (Version, error) {
	vs, err := s.versions(ctx, org)
	if err != nil {
		return Version{}, err
	}
	i := slices.IndexFunc(vs, func(v Version) bool { return v.Number == n })
	if i < 0 {
		return Version{}, privaq.Errorf(privaq.ENotFound, "policy version %d not found", n)
	}
	v, err := s.Store.PolicyVersion(ctx, org, n)
	if err != nil {
		return Version{}, err
	}
	v.Status = vs[i].Status
	return v, nil
}

// Public is what the public pages show: the current version, and the
// next one during its notice period. Both are nil when nothing is in
// effect or announced.
type Public struct {
	Current, Next *Version
	Versions      []Version // published versions, newest first, without snapshots
}

// PublicView returns the organization's published versions for anyone.
func (s *Service) PublicView(ctx context.Context, org privaq.OrgID) (Public, error) {
	vs, err := s.versions(ctx, org)
	if err != nil {
		return Public{}, err
	}
	var out Public
	for _, v := range vs {
		if v.Status == StatusDraft {
			continue
		}
		out.Versions = append(out.Versions, v)
	}
	for i := range out.Versions {
		v := &out.Versions[i]
		switch {
		case v.Status == StatusCurrent:
			full, err := s.Store.PolicyVersion(ctx, org, v.Number)
			if err != nil {
				return Public{}, err
			}
			full.Status = v.Status
			out.Current = &full
		case v.Status == StatusScheduled && (out.Next == nil || v.EffectiveAt.Before(*out.Next.EffectiveAt)):
			out.Next = v
		}
	}
	return out, nil
}

// PublishedVersion returns published version n for anyone; a draft is
// not found.
func (s *Service) PublishedVersion(ctx context.Context, org privaq.OrgID, n int) (Version, error) {
	v, err := s.version(ctx, org, n)
	if err != nil {
		return Version{}, err
	}
	if v.Status == StatusDraft {
		return Version{}, privaq.Errorf(privaq.ENotFound, "policy version %d not found", n)
	}
	return v, nil
}

// Render renders version v in lang from its snapshot, with baseURL for
// public links.
func (v *Version) Render(lang, slug, baseURL string) (*Policy, error) {
	opts := Options{Org: slug, BaseURL: baseURL, Version: v.Number}
	if v.Status != StatusDraft && v.EffectiveAt != nil {
		opts.EffectiveAt = *v.EffectiveAt
	}
	return Render(v.Inventory, lang, opts)
}

// Date writes t as a date in lang ("1er mars 2026", "March 1, 2026").
func Date(t time.Time, lang string) string {
	c, ok := catalogs[lang]
	if !ok {
		c = catalogs["fr"]
	}
	return c.date(t)
}
