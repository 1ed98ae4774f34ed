package rights

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"privaq"
	pqmail "privaq/internal/mail"
)

// Stats are the officer's figures: requests by type and month, response
// times, overdue requests.
type Stats struct {
	Total   int `json:"total"`
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	// Months lists, oldest first, the months with requests (YYYY-MM in
	// Montreal time) and their count per type.
	Months []MonthCount `json:"months"`
	// Response times of the answered requests, in days from receipt.
	Answered     int     `json:"answered"`
	MedianDays   float64 `json:"median_days"`
	WorstDays    float64 `json:"worst_days"`
	AnsweredLate int     `json:"answered_late"`
}

// MonthCount is one month of Stats.
type MonthCount struct {
	Month  string       `json:"month"`
	ByType map[Type]int `json:"by_type"`
	Total  int          `json:"total"`
}

// Stats computes the figures over every confirmed request. It reads no
// person's information, so it is not audited.
func (s *Service) Stats(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID) (Stats, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return Stats{}, err
	}
	rs, err := s.list(ctx, orgID, Filter{})
	if err != nil {
		return Stats{}, err
	}
	return computeStats(rs), nil
}

func computeStats(rs []Request) Stats {
	var st Stats
	months := map[string]*MonthCount{}
	var days []float64
	for _, r := range rs {
		st.Total++
		if r.Status.Open() {
			st.Open++
		}
		if r.Overdue {
			st.Overdue++
		}
		m := r.ReceivedAt.In(montreal).Format("2006-01")
		mc := months[m]
		if mc == nil {
			mc = &MonthCount{Month: m, ByType: map[Type]int{}}
			months[m] = mc
		}
		mc.ByType[r.Type]++
		mc.Total++
		if r.AnsweredAt != nil {
			d := r.AnsweredAt.Sub(r.ReceivedAt).Hours() / 24
			days = append(days, d)
			if r.AnsweredAt.After(r.DueAt) {
				st.AnsweredLate++
			}
		}
	}
	for _, mc := range months {
		st.Months = append(st.Months, *mc)
	}
	slices.SortFunc(st.Months, func(a, b MonthCount) int {
		if a.Month < b.Month {
			return -1
		}
		return 1
	})
	if n := len(days); n > 0 {
		slices.Sort(days)
		st.Answered = n
		st.MedianDays = days[n/2]
		if n%2 == 0 {
			st.MedianDays = (days[n/2-1] + days[n/2]) / 2
		}
		st.WorstDays = days[n-1]
	}
	return st
}

// ReminderDays are how many days before the due date the assignee (or,
// without one, the person in charge) is reminded.
var ReminderDays = []int{7, 2}

// AssigneeEmails finds staff members' addresses for the reminders.
type AssigneeEmails interface {
	UserEmail(ctx context.Context, id privaq.UserID) (string, error)
}

// Reminder queues the reminders before due dates.
type Reminder struct {
	Service *Service
	Users   AssigneeEmails
	Log     *slog.Logger
}

// Run queues due reminders every interval until ctx ends, on the node
// that runs background jobs; each reminder is recorded with its email, so
// it goes once whatever the nodes and restarts.
func (rm *Reminder) Run(ctx context.Context, interval time.Duration, lead func(context.Context) bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if lead(ctx) {
			if _, err := rm.RunOnce(ctx); err != nil && ctx.Err() == nil {
				rm.Log.ErrorContext(ctx, "request_reminder_failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce queues the reminders now due and returns how many it queued. It
// also destroys the access archives past their expiry, and the copies of
// identity documents of files whose recourse delay is over: their
// purpose is served (P 23).
func (rm *Reminder) RunOnce(ctx context.Context) (int, error) {
	s := rm.Service
	now := s.now()
	if n, err := s.Store.PurgeExports(ctx, now); err != nil {
		return 0, err
	} else if n > 0 && rm.Log != nil {
		rm.Log.InfoContext(ctx, "request_exports_purged", "count", n)
	}
	// An approval runs for seconds: one still running after an hour was
	// cut off (a crash, a restart). Its databases each committed or
	// rolled back whole, but the outcome was not recorded.
	if n, err := s.Store.InterruptRuns(ctx, now, now.Add(-time.Hour), interrupted, func(r Run) Event {
		return Event{At: now, actor: privaq.System(0), Action: string(r.Kind) + "_failed", Detail: map[string]any{"run": r.ID, "interrupted": true}}
	}); err != nil {
		return 0, err
	} else if n > 0 && rm.Log != nil {
		rm.Log.WarnContext(ctx, "request_runs_interrupted", "count", n)
	}
	if n, err := s.purgeDocuments(ctx); err != nil {
		return 0, err
	} else if n > 0 && rm.Log != nil {
		rm.Log.InfoContext(ctx, "request_documents_destroyed", "count", n)
	}
	rs, err := s.Store.OpenRequests(ctx)
	if err != nil {
		return 0, err
	}
	queued := 0
	infos := map[privaq.OrgID]orgInfo{}
	for _, r := range rs {
		r.compute(now)
		days := 0
		for _, d := range ReminderDays {
			if r.DaysLeft <= d && r.DaysLeft >= 0 {
				days = d // the smallest threshold crossed
			}
		}
		if days == 0 {
			continue
		}
		oi, ok := infos[r.OrgID]
		if !ok {
			if oi, err = s.info(ctx, r.OrgID); err != nil {
				return queued, err
			}
			infos[r.OrgID] = oi
		}
		to := oi.doc.Officer.Email
		if r.AssigneeID != 0 && rm.Users != nil {
			if e, err := rm.Users.UserEmail(ctx, r.AssigneeID); err == nil && e != "" {
				to = e
			}
		}
		if to == "" {
			rm.Log.WarnContext(ctx, "request_reminder_no_recipient", "org", int64(r.OrgID), "request", int64(r.ID))
			continue
		}
		msg, err := reminderMail(s, oi, &r, days, to)
		if err != nil {
			return queued, err
		}
		ok, err = s.Store.QueueRequestReminder(ctx, r.OrgID, r.ID, days, now, msg)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	if queued > 0 {
		s.wake()
	}
	return queued, nil
}

// interrupted is the error of a run cut off before its outcome was saved.
const interrupted = "interrupted before its outcome was recorded: each database either committed or rolled back the whole run; " +
	"check them with a new dry run"

// reminderMail is the reminder, in French then English: the staff
// member's language is not known.
func reminderMail(s *Service, oi orgInfo, r *Request, days int, to string) (pqmail.Message, error) {
	var subjects, bodies []string
	for _, lang := range []string{"fr", "en"} {
		data := map[string]any{"Org": oi.name(), "Reference": r.Reference, "Type": TypeName(r.Type, lang), "Days": days,
			"Received": FormatDate(r.ReceivedAt, lang), "Due": FormatDate(r.DueAt, lang),
			"Link": fmt.Sprintf("%s/admin/o/%s/requests/%d", s.BaseURL, oi.o.Slug, r.ID)}
		subject, err := execute(lang, "reminder.subject", data)
		if err != nil {
			return pqmail.Message{}, err
		}
		body, err := execute(lang, "reminder.body", data)
		if err != nil {
			return pqmail.Message{}, err
		}
		subjects, bodies = append(subjects, subject), append(bodies, body)
	}
	return pqmail.Message{OrgID: r.OrgID, Kind: "request.reminder", Ref: "request", Lang: "fr", To: to,
		Subject: subjects[0] + " / " + subjects[1], Text: bodies[0] + "\n\n————————\n\n" + bodies[1]}, nil
}
