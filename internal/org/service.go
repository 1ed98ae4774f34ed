package org

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
)

// Session lifetimes: a working day, and five minutes to type a TOTP code.
const (
	SessionTTL = 12 * time.Hour
	mfaTTL     = 5 * time.Minute
)

// Login throttling: failures counted over a window, per email and per
// client network, stored in the database so every node sees them.
const (
	failureWindow   = 15 * time.Minute
	maxEmailFailure = 5
	maxIPFailure    = 30
)

// Service is the tenancy and accounts service.
type Service struct {
	Store Store
	Clock privaq.Clock
}

// CreateOrg creates an organization with an empty inventory. Only operators
// (the CLI) and instance administrators may.
func (s *Service) CreateOrg(ctx context.Context, actor privaq.Actor, slug, name string, regime inventory.Regime, lang string) (Org, error) {
	if actor.Kind != privaq.ActorSystem && !actor.Admin {
		return Org{}, privaq.Errorf(privaq.EForbidden, "only an instance administrator may create organizations")
	}
	if err := ValidSlug(slug); err != nil {
		return Org{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 300 {
		return Org{}, privaq.FieldError("name", "the name is required (at most 300 characters)")
	}
	if regime == "" {
		regime = inventory.RegimePrivate
	}
	if lang == "" {
		lang = "fr"
	}
	doc := NewDocument(name, regime, lang)
	if errs := doc.Validate(); len(errs) > 0 {
		return Org{}, errs
	}
	e := audit.New(actor, "org.create", slug, nil)
	return s.Store.CreateOrg(ctx, slug, doc, s.Clock.Now(), e)
}

// NewDocument is the inventory of a new organization: its profile and the
// legal defaults of its regime, nothing else.
func NewDocument(name string, regime inventory.Regime, lang string) *inventory.Document {
	langs := []string{"fr", "en"}
	if lang == "fr" {
		langs = []string{"fr"}
	}
	delay := 30 // P 32
	if regime != inventory.RegimePrivate {
		delay = 20 // A 98: the public body's delay, also the stricter one under both regimes
	}
	doc := &inventory.Document{
		Org:    inventory.Profile{Name: name, Regime: regime, Languages: langs},
		Policy: inventory.PolicySettings{NoticeDays: 30, RequestDelayDays: delay, ReconsentOnNewPurpose: true},
	}
	doc.Normalize()
	return doc
}

// AddUser creates the account if the email has none, and gives it role in
// org. It returns the generated password when password is empty and the
// account is new.
func (s *Service) AddUser(ctx context.Context, actor privaq.Actor, org privaq.OrgID, email, name string, role privaq.Role, password string) (User, string, error) {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return User{}, "", err
	}
	if role == privaq.RoleIntegration {
		return User{}, "", privaq.FieldError("role", "integration is a role for API tokens, not for people")
	}
	if _, err := privaq.ParseRole(string(role)); err != nil {
		return User{}, "", err
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || len(email) > 254 {
		return User{}, "", privaq.FieldError("email", "%q is not a valid email address", email)
	}
	email = NormalizeEmail(addr.Address)
	u, err := s.Store.UserByEmail(ctx, email)
	generated := ""
	switch {
	case err == nil:
		// Existing account: only the membership changes.
	case privaq.IsCode(err, privaq.ENotFound):
		if password == "" {
			password = GeneratePassword()
			generated = password
		}
		hash, err := HashPassword(password)
		if err != nil {
			return User{}, "", err
		}
		if name == "" {
			name = strings.SplitN(email, "@", 2)[0]
		}
		u = User{Email: email, Name: name, PasswordHash: hash, CreatedAt: s.Clock.Now()}
		if err := s.Store.CreateUser(ctx, &u, audit.New(actor, "user.create", fmt.Sprint("user:", "new"), nil)); err != nil {
			return User{}, "", err
		}
	default:
		return User{}, "", err
	}
	e := audit.New(actor, "membership.set", fmt.Sprintf("user:%d", u.ID), map[string]any{"role": role})
	if err := s.Store.SetMembership(ctx, org, u.ID, role, s.Clock.Now(), e); err != nil {
		return User{}, "", err
	}
	return u, generated, nil
}

// MakeAdmin creates a new account that is an instance administrator
// (operators only; an existing account is a conflict).
func (s *Service) MakeAdmin(ctx context.Context, u *User) error {
	u.Admin = true
	return s.Store.CreateUser(ctx, u, audit.New(privaq.Actor{Kind: privaq.ActorSystem}, "user.create_admin", "user:new", nil))
}

// Members lists an organization's staff; reading their emails is a read of
// personal information, so it is audited.
func (s *Service) Members(ctx context.Context, actor privaq.Actor, org privaq.OrgID) ([]Member, error) {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return nil, err
	}
	m, err := s.Store.Members(ctx, org)
	if err != nil {
		return nil, err
	}
	return m, s.Store.AppendAudit(ctx, audit.New(actor, "members.read", "members", map[string]any{"count": len(m)}))
}

// CreateToken makes an API token and returns its secret, shown only once.
func (s *Service) CreateToken(ctx context.Context, actor privaq.Actor, org privaq.OrgID, role privaq.Role, name string) (string, Token, error) {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return "", Token{}, err
	}
	if _, err := privaq.ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = string(role)
	}
	if len(name) > 100 {
		return "", Token{}, privaq.FieldError("name", "the token name must be at most 100 characters")
	}
	raw := "pq_" + secret(32)
	t := Token{OrgID: org, Name: name, Role: role, Prefix: raw[:9], CreatedAt: s.Clock.Now()}
	e := audit.New(actor, "token.create", "token:"+t.Prefix, map[string]any{"role": role, "name": name})
	if err := s.Store.CreateToken(ctx, &t, HashSecret(raw), e); err != nil {
		return "", Token{}, err
	}
	return raw, t, nil
}

// Tokens lists an organization's API tokens.
func (s *Service) Tokens(ctx context.Context, actor privaq.Actor, org privaq.OrgID) ([]Token, error) {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return nil, err
	}
	return s.Store.ListTokens(ctx, org)
}

// RevokeToken disables a token at once.
func (s *Service) RevokeToken(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id privaq.TokenID) error {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return err
	}
	return s.Store.RevokeToken(ctx, org, id, s.Clock.Now(), audit.New(actor, "token.revoke", fmt.Sprintf("token:%d", id), nil))
}

// AuthenticateToken turns a bearer token into an actor of its organization.
func (s *Service) AuthenticateToken(ctx context.Context, raw, ip string) (privaq.Actor, error) {
	unauth := func() error {
		return privaq.Errorf(privaq.EUnauthorized, "the API token is missing, unknown or revoked")
	}
	if !strings.HasPrefix(raw, "pq_") || len(raw) > 100 {
		return privaq.Actor{}, unauth()
	}
	hash := HashSecret(raw)
	t, err := s.Store.TokenByHash(ctx, hash)
	if privaq.IsCode(err, privaq.ENotFound) || (err == nil && t.RevokedAt != nil) {
		return privaq.Actor{}, unauth()
	}
	if err != nil {
		return privaq.Actor{}, err
	}
	now := s.Clock.Now()
	// Record use at most once a minute: a token may serve many requests a
	// second, and last-use is for humans deciding what to revoke.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.Store.TouchToken(ctx, t.ID, hash, now); err != nil {
			return privaq.Actor{}, err
		}
	}
	return privaq.Actor{Kind: privaq.ActorToken, TokenID: t.ID, OrgID: t.OrgID, Role: t.Role, IP: ip}, nil
}

// Login checks an email and password and opens a session. When the account
// has TOTP, the session stays pending until VerifyTOTP succeeds. It returns
// the session secret for the cookie.
func (s *Service) Login(ctx context.Context, email, password, ip string) (string, Session, error) {
	now := s.Clock.Now()
	email = NormalizeEmail(email)
	emailKey, ipKey := "email:"+email, "ip:"+ip
	for _, k := range []struct {
		key string
		max int
	}{{emailKey, maxEmailFailure}, {ipKey, maxIPFailure}} {
		n, err := s.Store.CountAttempts(ctx, k.key, now.Add(-failureWindow))
		if err != nil {
			return "", Session{}, err
		}
		if n >= k.max {
			return "", Session{}, privaq.Errorf(privaq.ERateLimited, "too many failed sign-in attempts; try again in 15 minutes")
		}
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if err != nil && !privaq.IsCode(err, privaq.ENotFound) {
		return "", Session{}, err
	}
	ok := false
	if err == nil {
		ok = CheckPassword(u.PasswordHash, password)
	} else {
		CheckPassword(dummyHash(), password)
	}
	if !ok {
		for _, k := range []string{emailKey, ipKey} {
			if err := s.Store.RecordAttempt(ctx, k, now); err != nil {
				return "", Session{}, err
			}
		}
		if u.ID != 0 {
			e := audit.Entry{Kind: privaq.ActorUser, UserID: u.ID, Action: "login.failed", Target: fmt.Sprintf("user:%d", u.ID), IP: ip}
			if err := s.Store.AppendAudit(ctx, e); err != nil {
				return "", Session{}, err
			}
		}
		return "", Session{}, privaq.Errorf(privaq.EUnauthorized, "wrong email or password")
	}
	raw := secret(32)
	sess := Session{IDHash: HashSecret(raw), UserID: u.ID, CSRF: secret(20), MFAPending: u.TOTPEnabled, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if sess.MFAPending {
		sess.ExpiresAt = now.Add(mfaTTL)
	}
	if ms, err := s.Store.Memberships(ctx, u.ID); err == nil && len(ms) > 0 {
		sess.OrgID = ms[0].Org.ID
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, err
	}
	if !sess.MFAPending {
		// The sign-in belongs to the organization the session opens on.
		if err := s.Store.AppendAudit(ctx, audit.Entry{OrgID: sess.OrgID, Kind: privaq.ActorUser, UserID: u.ID, Action: "login", Target: fmt.Sprintf("user:%d", u.ID), IP: ip}); err != nil {
			return "", Session{}, err
		}
	}
	return raw, sess, nil
}

// VerifyTOTP completes a pending sign-in with a TOTP code.
func (s *Service) VerifyTOTP(ctx context.Context, sess Session, code, ip string) (Session, error) {
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return sess, err
	}
	now := s.Clock.Now()
	key := fmt.Sprintf("totp:%d", u.ID)
	n, err := s.Store.CountAttempts(ctx, key, now.Add(-failureWindow))
	if err != nil {
		return sess, err
	}
	if n >= maxEmailFailure {
		return sess, privaq.Errorf(privaq.ERateLimited, "too many wrong codes; sign in again in 15 minutes")
	}
	step, ok := totpStep(u.TOTPSecret, code, now)
	if ok {
		// A code seen once is spent, even inside its 30-second window.
		if ok, err = s.Store.ClaimTOTPStep(ctx, u.ID, step); err != nil {
			return sess, err
		}
	}
	if !ok {
		if err := s.Store.RecordAttempt(ctx, key, now); err != nil {
			return sess, err
		}
		if err := s.Store.AppendAudit(ctx, audit.Entry{OrgID: sess.OrgID, Kind: privaq.ActorUser, UserID: u.ID, Action: "login.totp_failed", Target: fmt.Sprintf("user:%d", u.ID), IP: ip}); err != nil {
			return sess, err
		}
		return sess, privaq.FieldError("code", "wrong or expired code")
	}
	sess.MFAPending = false
	sess.ExpiresAt = now.Add(SessionTTL)
	if err := s.Store.UpdateSession(ctx, sess); err != nil {
		return sess, err
	}
	return sess, s.Store.AppendAudit(ctx, audit.Entry{OrgID: sess.OrgID, Kind: privaq.ActorUser, UserID: u.ID, Action: "login", Target: fmt.Sprintf("user:%d", u.ID), Detail: map[string]any{"mfa": "totp"}, IP: ip})
}

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpStep finds the 30-second step whose code matches, allowing one step
// of clock drift either way (RFC 6238 §5.2).
func totpStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if secret == "" || len(code) != 6 {
		return 0, false
	}
	for _, drift := range []int64{0, -1, 1} {
		step := now.Unix()/30 + drift
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// NewTOTP generates a secret for enrolment; it is saved only once confirmed.
func (s *Service) NewTOTP(u User) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: "privaq", AccountName: u.Email})
}

// EnableTOTP saves a secret after the user proved they can produce codes.
func (s *Service) EnableTOTP(ctx context.Context, u User, secret, code, ip string) error {
	step, ok := totpStep(secret, code, s.Clock.Now())
	if !ok {
		return privaq.FieldError("code", "wrong or expired code")
	}
	e := audit.Entry{Kind: privaq.ActorUser, UserID: u.ID, Action: "totp.enable", Target: fmt.Sprintf("user:%d", u.ID), IP: ip}
	if err := s.Store.UpdateUserTOTP(ctx, u.ID, secret, true, e); err != nil {
		return err
	}
	_, err := s.Store.ClaimTOTPStep(ctx, u.ID, step) // the confirming code is spent too
	return err
}

// Resolve returns the session and user for a session secret, or
// unauthorized when it is unknown or expired.
func (s *Service) Resolve(ctx context.Context, raw string) (Session, User, error) {
	unauth := privaq.Errorf(privaq.EUnauthorized, "please sign in")
	if raw == "" || len(raw) > 100 {
		return Session{}, User{}, unauth
	}
	sess, err := s.Store.SessionByHash(ctx, HashSecret(raw))
	if privaq.IsCode(err, privaq.ENotFound) {
		return Session{}, User{}, unauth
	}
	if err != nil {
		return Session{}, User{}, err
	}
	if !s.Clock.Now().Before(sess.ExpiresAt) {
		_ = s.Store.DeleteSession(ctx, sess.IDHash)
		return Session{}, User{}, unauth
	}
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Session{}, User{}, err
	}
	return sess, u, nil
}

// SwitchOrg makes org the session's current organization, if the user is a
// member of it.
func (s *Service) SwitchOrg(ctx context.Context, sess Session, org privaq.OrgID) (Session, error) {
	ms, err := s.Store.Memberships(ctx, sess.UserID)
	if err != nil {
		return sess, err
	}
	for _, m := range ms {
		if m.Org.ID == org {
			sess.OrgID = org
			return sess, s.Store.UpdateSession(ctx, sess)
		}
	}
	return sess, privaq.Errorf(privaq.ENotFound, "organization not found")
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sess Session, ip string) error {
	if err := s.Store.DeleteSession(ctx, sess.IDHash); err != nil {
		return err
	}
	return s.Store.AppendAudit(ctx, audit.Entry{OrgID: sess.OrgID, Kind: privaq.ActorUser, UserID: sess.UserID, Action: "logout", Target: fmt.Sprintf("user:%d", sess.UserID), IP: ip})
}

// ActorFor builds the actor of a signed-in user in one organization, or
// not_found when the user is not a member.
func (s *Service) ActorFor(ctx context.Context, u User, org privaq.OrgID, ip string) (privaq.Actor, error) {
	ms, err := s.Store.Memberships(ctx, u.ID)
	if err != nil {
		return privaq.Actor{}, err
	}
	for _, m := range ms {
		if m.Org.ID == org {
			return privaq.Actor{Kind: privaq.ActorUser, UserID: u.ID, OrgID: org, Role: m.Role, Admin: u.Admin, IP: ip}, nil
		}
	}
	return privaq.Actor{}, privaq.Errorf(privaq.ENotFound, "organization not found")
}

// SetPassword replaces an account's password (operators, and the demo
// start-up that prints fresh credentials each time).
func (s *Service) SetPassword(ctx context.Context, actor privaq.Actor, id privaq.UserID, password string) error {
	if actor.Kind != privaq.ActorSystem && actor.UserID != id {
		return privaq.Errorf(privaq.EForbidden, "you may change only your own password")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.Store.UpdateUserPassword(ctx, id, hash, audit.New(actor, "user.password", fmt.Sprintf("user:%d", id), nil))
}
