package policy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"privaq"
	pqmail "privaq/internal/mail"
)

// People may subscribe to an organization's policy changes (SPEC §6): they
// give an address on the public page, confirm it by the link mailed to
// them (double opt-in, so no one can subscribe someone else), and from
// then on every publication that needs notice emails them the change in
// their language, with a link to leave.

// SubStatus is where a subscription stands.
type SubStatus string

// Statuses of a subscription.
const (
	SubPending      SubStatus = "pending"
	SubConfirmed    SubStatus = "confirmed"
	SubUnsubscribed SubStatus = "unsubscribed"
)

// Subscriber is one address subscribed to an organization's changes.
type Subscriber struct {
	ID          int64
	OrgID       privaq.OrgID
	Email       string
	Lang        string
	Status      SubStatus
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	// UnsubToken is the secret of the unsubscribe link; the store opens it
	// only to write change notices.
	UnsubToken string
}

// SubscriptionTokens are the secrets of a new or renewed subscription
// and their hashes, the only form the confirmation token is kept in.
type SubscriptionTokens struct {
	Confirm, Unsub         string
	ConfirmHash, UnsubHash []byte
	ConfirmExpires         time.Time
}

// SubscriberStore keeps subscriptions.
type SubscriberStore interface {
	// Subscribe records email as pending for org, or gives a pending one
	// new tokens, and queues the message msg writes, in one transaction.
	// It queues nothing and returns false for a confirmed address, or when
	// the last confirmation was asked for after resendAfter.
	Subscribe(ctx context.Context, org privaq.OrgID, email, lang string, now, resendAfter time.Time,
		t SubscriptionTokens, msg func(s Subscriber) pqmail.Message) (bool, error)
	// ConfirmSubscription confirms the pending subscription whose
	// confirmation token hashes to hash and has not expired.
	ConfirmSubscription(ctx context.Context, org privaq.OrgID, hash []byte, now time.Time) (Subscriber, error)
	// Unsubscribe ends the subscription whose unsubscribe token hashes to
	// hash; it is idempotent.
	Unsubscribe(ctx context.Context, org privaq.OrgID, hash []byte, now time.Time) (Subscriber, error)
	SubscriberCounts(ctx context.Context, org privaq.OrgID) (map[SubStatus]int, error)
	// MailCounts counts the organization's emails about ref by status.
	MailCounts(ctx context.Context, org privaq.OrgID, ref string) (map[pqmail.Status]int, error)
	// RecordAttempt and CountAttempts rate-limit the public form.
	RecordAttempt(ctx context.Context, key string, at time.Time) error
	CountAttempts(ctx context.Context, key string, since time.Time) (int, error)
}

const (
	confirmFor   = 7 * 24 * time.Hour
	resendAfter  = 10 * time.Minute
	subWindow    = time.Hour
	subPerClient = 10 // subscriptions asked per client network per hour
	maxEmailLen  = 254
)

// Subscribe asks for a confirmation of email, in lang, for org. It answers
// the same whether the address is new, pending or already confirmed, so
// the form reveals nothing about who subscribed.
func (s *Service) Subscribe(ctx context.Context, org privaq.OrgID, orgName, slug, email, lang, client string) error {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || len(email) > maxEmailLen || !utf8.ValidString(email) {
		return &privaq.Error{Code: privaq.EValidation, Field: "email", Rule: "email",
			Message: "enter an email address such as name@example.org", FR: "Entrez une adresse courriel, par exemple nom@exemple.org."}
	}
	if lang != "en" {
		lang = "fr"
	}
	now := s.now()
	key := "subscribe:" + client
	n, err := s.Subscribers.CountAttempts(ctx, key, now.Add(-subWindow))
	if err != nil {
		return err
	}
	if n >= subPerClient {
		return &privaq.Error{Code: privaq.ERateLimited, Message: "too many subscriptions from this network; try again in an hour",
			FR: "Trop de demandes d’abonnement depuis ce réseau : réessayez dans une heure."}
	}
	if err := s.Subscribers.RecordAttempt(ctx, key, now); err != nil {
		return err
	}
	t := SubscriptionTokens{Confirm: newToken(), Unsub: newToken(), ConfirmExpires: now.Add(confirmFor)}
	t.ConfirmHash, t.UnsubHash = TokenHash(t.Confirm), TokenHash(t.Unsub)
	queued, err := s.Subscribers.Subscribe(ctx, org, strings.ToLower(email), lang, now, now.Add(-resendAfter), t,
		func(sub Subscriber) pqmail.Message {
			c := catalogs[sub.Lang]
			data := M{"Org": orgName, "Link": s.BaseURL + "/o/" + slug + "/privacy/subscribe/confirm?t=" + t.Confirm,
				"Expires": c.date(t.ConfirmExpires)}
			return pqmail.Message{OrgID: org, Kind: "policy.confirm", Ref: "subscription", Lang: sub.Lang, To: sub.Email,
				Subject: c.say("mail.confirm.subject", data), Text: c.mailText("mail.confirm", data, nil)}
		})
	if queued && s.Wake != nil {
		pqmail.Notify(s.Wake)
	}
	return err
}

// ConfirmSubscription confirms the subscription a mailed token names.
func (s *Service) ConfirmSubscription(ctx context.Context, org privaq.OrgID, token string) (Subscriber, error) {
	if !validToken(token) {
		return Subscriber{}, badToken()
	}
	sub, err := s.Subscribers.ConfirmSubscription(ctx, org, TokenHash(token), s.now())
	if privaq.IsCode(err, privaq.ENotFound) {
		return sub, badToken()
	}
	return sub, err
}

// Unsubscribe ends the subscription an unsubscribe token names.
func (s *Service) Unsubscribe(ctx context.Context, org privaq.OrgID, token string) (Subscriber, error) {
	if !validToken(token) {
		return Subscriber{}, badToken()
	}
	sub, err := s.Subscribers.Unsubscribe(ctx, org, TokenHash(token), s.now())
	if privaq.IsCode(err, privaq.ENotFound) {
		return sub, badToken()
	}
	return sub, err
}

// SubscriberCounts counts the organization's subscriptions by status.
func (s *Service) SubscriberCounts(ctx context.Context, actor privaq.Actor, org privaq.OrgID) (map[SubStatus]int, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return nil, err
	}
	return s.Subscribers.SubscriberCounts(ctx, org)
}

// badToken is the answer to a link that is forged, mistyped, expired or
// already used: the same for all, so a guess learns nothing.
func badToken() error {
	return &privaq.Error{Code: privaq.EValidation, Field: "t", Rule: "token",
		Message: "this link is not valid or has expired", FR: "Ce lien n’est pas valide ou a expiré."}
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func validToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 32
}

// TokenHash is the form a token is looked up by.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// notices writes the change notice of v to each subscriber, in their
// language when the version has it, under the name the version gives the
// organization.
func (s *Service) notices(slug string, v *Version, subs []Subscriber) []pqmail.Message {
	out := make([]pqmail.Message, 0, len(subs))
	langs := v.Inventory.Org.Languages
	base := s.BaseURL + "/o/" + slug + "/privacy"
	for _, sub := range subs {
		lang := sub.Lang
		if !slices.Contains(langs, lang) {
			lang = "fr"
		}
		c := catalogs[lang]
		q := "?lang=" + lang
		unsub := base + "/unsubscribe?t=" + sub.UnsubToken
		data := M{"Org": v.Inventory.Org.Name, "Version": v.Number, "Date": c.date(*v.EffectiveAt),
			"Link": fmt.Sprintf("%s/v/%d%s", base, v.Number, q), "Unsubscribe": unsub, "Diff": ""}
		if v.Previous > 0 {
			data["Diff"] = fmt.Sprintf("%s/diff?from=%d&to=%d&lang=%s", base, v.Previous, v.Number, lang)
		}
		out = append(out, pqmail.Message{OrgID: v.OrgID, Kind: "policy.notice", Ref: fmt.Sprintf("policy/%d", v.Number), Lang: lang,
			To: sub.Email, Subject: c.say("mail.notice.subject", data), Text: c.mailText("mail.notice", data, v.ChangeText(lang)),
			Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}})
	}
	return out
}
