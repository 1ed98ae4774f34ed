package policy

import (
	"slices"
	"strings"
	"time"

	"privaq/internal/inventory"
)

// ChangeKind names one kind of difference between two versions.
type ChangeKind string

// Change kinds. The significant ones are those SPEC §6 names: a new
// purpose needing consent (P 8, 12: consent is given for specific
// purposes), a new recipient outside Quebec (P 17), a right reduced, and a
// longer retention.
const (
	ChangePurposeAdded     ChangeKind = "purpose_added"
	ChangePurposeRemoved   ChangeKind = "purpose_removed"
	ChangeRecipientAdded   ChangeKind = "recipient_added"
	ChangeRecipientRemoved ChangeKind = "recipient_removed"
	ChangeDelayIncreased   ChangeKind = "delay_increased"
	ChangeDelayDecreased   ChangeKind = "delay_decreased"
	ChangeRetentionLonger  ChangeKind = "retention_longer"
	ChangeRetentionShorter ChangeKind = "retention_shorter"
)

// Change is one difference between a published version and a new one,
// with a sentence in French and English for the notice of change.
type Change struct {
	Kind        ChangeKind     `json:"kind"`
	Key         string         `json:"key"`
	Significant bool           `json:"significant"`
	Text        inventory.Text `json:"text"`
}

// quebec is the location code of Quebec.
const quebec = "CA-QC"

// Compare lists what changed from old to new that matters to the people
// the policy is about, in a stable order. A nil old (no published version)
// has no changes.
func Compare(old, new *inventory.Document) []Change {
	if old == nil || new == nil {
		return nil
	}
	var out []Change
	add := func(kind ChangeKind, key string, significant bool, data func(c *catalog) M) {
		t := inventory.Text{FR: catalogs["fr"].say("change."+string(kind), data(catalogs["fr"])),
			EN: catalogs["en"].say("change."+string(kind), data(catalogs["en"]))}
		out = append(out, Change{Kind: kind, Key: key, Significant: significant, Text: t})
	}
	purposes := func(d *inventory.Document) map[string]inventory.Purpose {
		m := map[string]inventory.Purpose{}
		for _, p := range d.Purposes {
			m[p.Key] = p
		}
		return m
	}
	oldPurposes, newPurposes := purposes(old), purposes(new)
	oldActs := map[string]inventory.Activity{}
	for _, a := range old.Activities {
		oldActs[a.Key] = a
	}
	for _, a := range new.Activities {
		prev := oldActs[a.Key]
		for _, k := range a.Purposes {
			if slices.Contains(prev.Purposes, k) {
				continue
			}
			p := newPurposes[k]
			consent := p.Consent == inventory.ConsentExpress || p.Consent == inventory.ConsentImplied
			add(ChangePurposeAdded, a.Key+"/"+k, consent, func(c *catalog) M {
				return M{"Activity": c.text(a.Name), "Purpose": c.text(p.Name), "Consent": consent}
			})
		}
	}
	newActs := map[string]inventory.Activity{}
	for _, a := range new.Activities {
		newActs[a.Key] = a
	}
	for _, a := range old.Activities {
		next, ok := newActs[a.Key]
		for _, k := range a.Purposes {
			if ok && slices.Contains(next.Purposes, k) {
				continue
			}
			p := oldPurposes[k]
			add(ChangePurposeRemoved, a.Key+"/"+k, false, func(c *catalog) M {
				return M{"Activity": c.text(a.Name), "Purpose": c.text(p.Name)}
			})
		}
	}

	oldRecips := map[string]inventory.Recipient{}
	for _, r := range old.Recipients {
		oldRecips[r.Key] = r
	}
	newRecips := map[string]bool{}
	for _, r := range new.Recipients {
		newRecips[r.Key] = true
		prev, existed := oldRecips[r.Key]
		outside := r.Location != quebec
		// A recipient that moves out of Quebec is, for the people
		// concerned, a new communication outside Quebec.
		if existed && (prev.Location == r.Location || !outside) {
			continue
		}
		add(ChangeRecipientAdded, r.Key, outside, func(c *catalog) M {
			return M{"Name": c.tidy(r.Name), "Place": c.place(r.Location), "Outside": outside}
		})
	}
	for _, r := range old.Recipients {
		if !newRecips[r.Key] {
			add(ChangeRecipientRemoved, r.Key, false, func(c *catalog) M { return M{"Name": c.tidy(r.Name)} })
		}
	}

	if o, n := old.Policy.RequestDelayDays, new.Policy.RequestDelayDays; n != o {
		kind := ChangeDelayDecreased
		if n > o {
			kind = ChangeDelayIncreased
		}
		add(kind, "request_delay_days", n > o, func(*catalog) M { return M{"Old": o, "New": n} })
	}

	oldRules := map[string]inventory.RetentionRule{}
	for _, r := range old.RetentionRules {
		oldRules[r.Key] = r
	}
	for _, r := range new.RetentionRules {
		prev, ok := oldRules[r.Key]
		if !ok || prev.Period == r.Period {
			continue
		}
		cmp, ok := comparePeriods(prev.Period, r.Period)
		if !ok || cmp == 0 {
			continue
		}
		kind := ChangeRetentionShorter
		if cmp > 0 {
			kind = ChangeRetentionLonger
		}
		add(kind, r.Key, cmp > 0, func(c *catalog) M {
			return M{"Name": c.text(r.Name), "Old": prev.Period, "New": r.Period}
		})
	}
	return out
}

// comparePeriods returns 1 when b is longer than a, -1 when shorter, 0 when
// equal; ok is false when either is not a duration.
func comparePeriods(a, b inventory.Duration) (int, bool) {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	ta, err1 := a.AddTo(ref)
	tb, err2 := b.AddTo(ref)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return tb.Compare(ta), true
}

// Significant reports whether any change is significant.
func Significant(changes []Change) bool {
	return slices.ContainsFunc(changes, func(c Change) bool { return c.Significant })
}

// RenewalPurposes lists, in the inventory's order, the consent-based
// purposes of doc whose consents given under an earlier version must be
// asked again after the significant changes: a consent covers the
// purposes, recipients and retention the person was told of, so a new
// purpose on an activity, a new recipient outside Quebec or a longer
// retention on an activity affects the consents of that activity's
// purposes. The consent ledger turns these into the list of consents.
func RenewalPurposes(doc *inventory.Document, changes []Change) []string {
	affected := map[string]bool{}
	for _, c := range changes {
		if !c.Significant {
			continue
		}
		for _, a := range doc.Activities {
			switch c.Kind {
			case ChangePurposeAdded:
				if act, purpose, ok := strings.Cut(c.Key, "/"); ok && act == a.Key {
					affected[purpose] = true
				}
			case ChangeRecipientAdded:
				if slices.Contains(a.Recipients, c.Key) {
					for _, p := range a.Purposes {
						affected[p] = true
					}
				}
			case ChangeRetentionLonger:
				if a.Retention == c.Key {
					for _, p := range a.Purposes {
						affected[p] = true
					}
				}
			}
		}
	}
	var out []string
	for _, p := range doc.Purposes {
		if affected[p.Key] && (p.Consent == inventory.ConsentExpress || p.Consent == inventory.ConsentImplied) {
			out = append(out, p.Key)
		}
	}
	return out
}
