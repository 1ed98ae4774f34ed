package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"privaq"
	"privaq/internal/mail"
	"privaq/internal/policy"
)

func subEmailAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "policy_subscribers.email:%d", org) }
func subUnsubAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "policy_subscribers.unsub:%d", org) }

// Subscribe records or renews a pending subscription and queues its
// confirmation message.
func (db *DB) Subscribe(ctx context.Context, org privaq.OrgID, email, lang string, now, resendAfter time.Time,
	t policy.SubscriptionTokens, msg func(s policy.Subscriber) mail.Message) (bool, error) {
	queued := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		idx := dek.Derive("subscriber-email-index").Index(email)
		emailEnc := dek.Seal([]byte(email), subEmailAD(org))
		var id, requested int64
		var status string
		err = tx.QueryRowContext(ctx, `SELECT id, status, requested_at FROM policy_subscribers WHERE org_id = $1 AND email_idx = $2`,
			org, idx).Scan(&id, &status, &requested)
		switch {
		case err == sql.ErrNoRows:
			// ON CONFLICT: a concurrent request for the same address got
			// there first and queued the confirmation; this one sends
			// nothing more.
			err = tx.QueryRowContext(ctx, `INSERT INTO policy_subscribers (org_id, email_idx, email_enc, lang, status, confirm_hash,
				confirm_expires, unsub_hash, unsub_enc, created_at, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (org_id, email_idx) DO NOTHING RETURNING id`,
				org, idx, emailEnc, lang, string(policy.SubPending), t.ConfirmHash, micros(t.ConfirmExpires), t.UnsubHash,
				dek.Seal([]byte(t.Unsub), subUnsubAD(org)), micros(now)).Scan(&id)
		case err != nil:
		case status == string(policy.SubConfirmed):
			return nil
		case status == string(policy.SubPending) && requested > micros(resendAfter):
			// A confirmation went out moments ago: sending another would
			// let anyone flood a mailbox through the form.
			return nil
		default:
			// Pending for a while, or unsubscribed and asking again: a
			// new confirmation, with new tokens.
			_, err = tx.ExecContext(ctx, `UPDATE policy_subscribers SET email_enc = $1, lang = $2, status = $3, confirm_hash = $4,
				confirm_expires = $5, unsub_hash = $6, unsub_enc = $7, requested_at = $8, confirmed_at = NULL, unsubscribed_at = NULL WHERE id = $9`,
				emailEnc, lang, string(policy.SubPending), t.ConfirmHash, micros(t.ConfirmExpires), t.UnsubHash,
				dek.Seal([]byte(t.Unsub), subUnsubAD(org)), micros(now), id)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		queued = true
		return db.enqueueMail(ctx, tx, now, []mail.Message{msg(policy.Subscriber{ID: id, OrgID: org, Email: email, Lang: lang, Status: policy.SubPending})})
	})
	return queued, db.dialect.mapError(err, "subscription")
}

// ConfirmSubscription confirms the subscription of a confirmation token.
// A second click on the same link, before it expires, confirms again
// harmlessly.
func (db *DB) ConfirmSubscription(ctx context.Context, org privaq.OrgID, hash []byte, now time.Time) (policy.Subscriber, error) {
	s := policy.Subscriber{OrgID: org, Status: policy.SubConfirmed}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var confirmed int64
		err := tx.QueryRowContext(ctx, `UPDATE policy_subscribers SET status = $1, confirmed_at = COALESCE(confirmed_at, $2)
			WHERE org_id = $3 AND confirm_hash = $4 AND confirm_expires >= $2 AND status IN ($5, $1) RETURNING id, lang, confirmed_at`,
			string(policy.SubConfirmed), micros(now), org, hash, string(policy.SubPending)).Scan(&s.ID, &s.Lang, &confirmed)
		t := fromMicros(confirmed)
		s.ConfirmedAt = &t
		return err
	})
	return s, db.dialect.mapError(err, "subscription")
}

// Unsubscribe ends a subscription and forgets its address: only the blind
// index stays, so that the same address may subscribe again later.
func (db *DB) Unsubscribe(ctx context.Context, org privaq.OrgID, hash []byte, now time.Time) (policy.Subscriber, error) {
	s := policy.Subscriber{OrgID: org, Status: policy.SubUnsubscribed}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `UPDATE policy_subscribers SET status = $1, unsubscribed_at = COALESCE(unsubscribed_at, $2),
			email_enc = $3, confirm_hash = NULL WHERE org_id = $4 AND unsub_hash = $5 RETURNING id, lang`,
			string(policy.SubUnsubscribed), micros(now), dek.Seal(nil, subEmailAD(org)), org, hash).Scan(&s.ID, &s.Lang)
	})
	return s, db.dialect.mapError(err, "subscription")
}

// SubscriberCounts counts an organization's subscriptions by status.
func (db *DB) SubscriberCounts(ctx context.Context, org privaq.OrgID) (map[policy.SubStatus]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM policy_subscribers WHERE org_id = $1 GROUP BY status`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "subscriptions")
	}
	defer rows.Close()
	out := map[policy.SubStatus]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[policy.SubStatus(s)] = n
	}
	return out, db.dialect.mapError(rows.Err(), "subscriptions")
}

// confirmedSubscribers opens the address and unsubscribe token of every
// confirmed subscriber of org, for the change notices.
func (db *DB) confirmedSubscribers(ctx context.Context, tx *sql.Tx, org privaq.OrgID) ([]policy.Subscriber, error) {
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email_enc, lang, unsub_enc FROM policy_subscribers WHERE org_id = $1 AND status = $2 ORDER BY id`,
		org, string(policy.SubConfirmed))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []policy.Subscriber
	for rows.Next() {
		s := policy.Subscriber{OrgID: org, Status: policy.SubConfirmed}
		var email, unsub []byte
		if err := rows.Scan(&s.ID, &email, &s.Lang, &unsub); err != nil {
			return nil, err
		}
		e, err := dek.Open(email, subEmailAD(org))
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", s.ID, err)
		}
		u, err := dek.Open(unsub, subUnsubAD(org))
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", s.ID, err)
		}
		s.Email, s.UnsubToken = string(e), string(u)
		out = append(out, s)
	}
	return out, rows.Err()
}
