package incident

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"privaq"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
	"privaq/internal/org"
)

// The law sets no number of days for the notices, only "promptly" (P 3.5,
// A 63.8), so privaq reminds: once a day, the person in charge of each
// organization with an overdue incident (assessed serious, notices not all
// given, OverdueHours after the organization learned of it) gets one email
// listing them, until they are given or the incident is closed.

// RemindHour is the hour (UTC) from which the day's reminders go out:
// 12:00 UTC is 7:00 or 8:00 in Quebec, so the email is there in the
// morning.
const RemindHour = 12

// OrgStore finds the organization of an incident, for the links.
type OrgStore interface {
	OrgByID(ctx context.Context, id privaq.OrgID) (org.Org, error)
}

// Reminder queues the daily reminders.
type Reminder struct {
	Store     Store
	Inventory inventory.Store
	Orgs      OrgStore
	Clock     privaq.Clock
	Log       *slog.Logger
	BaseURL   string // public URL of the instance, for links to the admin
	Wake      chan struct{}
}

// Run queues the due reminders every interval until ctx ends. lead reports
// whether this node is the one that runs background jobs; the reminder of
// a day is recorded with the mail it queues, so a second node, or a
// restart, never sends it twice.
func (r *Reminder) Run(ctx context.Context, interval time.Duration, lead func(context.Context) bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if lead(ctx) {
			if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
				r.Log.ErrorContext(ctx, "incident_reminder_failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce queues today's reminders not queued yet and returns how many it
// queued.
func (r *Reminder) RunOnce(ctx context.Context) (int, error) {
	now := r.Clock.Now().UTC()
	if now.Hour() < RemindHour {
		return 0, nil
	}
	incs, err := r.Store.OpenSerious(ctx)
	if err != nil {
		return 0, err
	}
	byOrg := map[privaq.OrgID][]Incident{}
	var order []privaq.OrgID
	for _, inc := range incs {
		if _, ok := byOrg[inc.OrgID]; !ok {
			order = append(order, inc.OrgID)
		}
		byOrg[inc.OrgID] = append(byOrg[inc.OrgID], inc)
	}
	queued := 0
	for _, id := range order {
		ok, err := r.remind(ctx, id, byOrg[id], now)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	if queued > 0 && r.Wake != nil {
		pqmail.Notify(r.Wake)
	}
	return queued, nil
}

// reminderLine is one overdue incident in the email.
type reminderLine struct {
	Reference, Kind, Missing, Link string
	Elapsed                        int
}

func (r *Reminder) remind(ctx context.Context, id privaq.OrgID, incs []Incident, now time.Time) (bool, error) {
	set, err := r.Store.IncidentSettings(ctx, id)
	if err != nil {
		return false, err
	}
	var overdue []Incident
	for _, inc := range incs {
		inc.compute(now, set.OverdueHours)
		if inc.Overdue {
			overdue = append(overdue, inc)
		}
	}
	if len(overdue) == 0 {
		return false, nil
	}
	doc, _, err := r.Inventory.Inventory(ctx, id)
	if err != nil {
		return false, err
	}
	if doc.Officer.Email == "" {
		r.Log.WarnContext(ctx, "incident_reminder_no_officer", "org", int64(id), "overdue", len(overdue))
		return false, nil
	}
	o, err := r.Orgs.OrgByID(ctx, id)
	if err != nil {
		return false, err
	}
	// The officer's language is not known: the reminder is in French,
	// then in English.
	var subjects, bodies []string
	for _, lang := range []string{"fr", "en"} {
		data := map[string]any{"Org": orgName(doc), "Count": len(overdue), "Hours": set.OverdueHours}
		var lines []reminderLine
		for _, inc := range overdue {
			lines = append(lines, reminderLine{Reference: inc.Reference, Kind: KindName(inc.Kind, lang), Missing: missingNotices(&inc, lang),
				Elapsed: inc.ElapsedHours, Link: fmt.Sprintf("%s/admin/o/%s/incidents/%d", r.BaseURL, o.Slug, inc.ID)})
		}
		data["Incidents"] = lines
		subject, err := execute(lang, "reminder.subject", data)
		if err != nil {
			return false, err
		}
		body, err := execute(lang, "reminder.body", data)
		if err != nil {
			return false, err
		}
		subjects, bodies = append(subjects, subject), append(bodies, body)
	}
	msg := pqmail.Message{OrgID: id, Kind: "incident.reminder", Ref: "incidents", Lang: "fr", To: doc.Officer.Email,
		Subject: subjects[0] + " / " + subjects[1], Text: strings.Join(bodies, "\n\n————————\n\n")}
	return r.Store.QueueReminder(ctx, id, now.Format(time.DateOnly), now, []pqmail.Message{msg})
}

// missingNotices names the notices an overdue incident still lacks.
func missingNotices(inc *Incident, lang string) string {
	var out []string
	if inc.CAINotifiedAt == nil {
		out = append(out, map[string]string{"fr": "avis à la Commission", "en": "notice to the Commission"}[lang])
	}
	if inc.PersonsNotifiedAt == nil && inc.PublicNoticeAt == nil {
		out = append(out, map[string]string{"fr": "avis aux personnes concernées", "en": "notices to the people concerned"}[lang])
	}
	return strings.Join(out, ", ")
}
