// Package org manages organizations (tenants), staff accounts, their
// memberships and roles, API tokens and sign-in sessions (SPEC §2–3).
package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
)

// Org is an organization: one tenant whose data is isolated from the others.
type Org struct {
	ID        privaq.OrgID     `json:"-"`
	Slug      string           `json:"slug"`
	Name      string           `json:"name"`
	Regime    inventory.Regime `json:"regime"`
	CreatedAt time.Time        `json:"created_at"`
}

// User is a staff account. Email and name are personal information: the
// store keeps them encrypted and finds users by a blind index of the email.
type User struct {
	ID           privaq.UserID
	Email        string
	Name         string
	PasswordHash string
	TOTPSecret   string
	TOTPEnabled  bool
	Admin        bool
	CreatedAt    time.Time
}

// Membership is a user's role in one organization.
type Membership struct {
	Org  Org
	Role privaq.Role
}

// Member is a user as listed in one organization.
type Member struct {
	UserID      privaq.UserID `json:"id"`
	Email       string        `json:"email"`
	Name        string        `json:"name"`
	Role        privaq.Role   `json:"role"`
	TOTPEnabled bool          `json:"totp_enabled"`
}

// Token is an API token. Only its SHA-256 hash is stored; the secret is
// shown once, when it is created.
type Token struct {
	ID         privaq.TokenID `json:"id"`
	OrgID      privaq.OrgID   `json:"-"`
	Name       string         `json:"name"`
	Role       privaq.Role    `json:"role"`
	Prefix     string         `json:"prefix"`
	CreatedAt  time.Time      `json:"created_at"`
	LastUsedAt *time.Time     `json:"last_used_at"`
	RevokedAt  *time.Time     `json:"revoked_at"`
}

// Session is a signed-in browser. Its id is a random secret held in a
// cookie; the database keeps only its hash.
type Session struct {
	IDHash     []byte
	UserID     privaq.UserID
	OrgID      privaq.OrgID // the organization currently shown; 0 for none
	CSRF       string
	MFAPending bool // password checked, TOTP code still owed
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Store is what the org service needs from the database. Methods that
// change something take the audit entry to write in the same transaction.
type Store interface {
	CreateOrg(ctx context.Context, slug string, doc *inventory.Document, at time.Time, e audit.Entry) (Org, error)
	OrgBySlug(ctx context.Context, slug string) (Org, error)
	OrgByID(ctx context.Context, id privaq.OrgID) (Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)

	CreateUser(ctx context.Context, u *User, e audit.Entry) error
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id privaq.UserID) (User, error)
	UpdateUserTOTP(ctx context.Context, id privaq.UserID, secret string, enabled bool, e audit.Entry) error
	UpdateUserPassword(ctx context.Context, id privaq.UserID, hash string, e audit.Entry) error
	ClaimTOTPStep(ctx context.Context, id privaq.UserID, step int64) (bool, error)
	SetMembership(ctx context.Context, org privaq.OrgID, user privaq.UserID, role privaq.Role, at time.Time, e audit.Entry) error
	Memberships(ctx context.Context, user privaq.UserID) ([]Membership, error)
	Members(ctx context.Context, org privaq.OrgID) ([]Member, error)

	CreateToken(ctx context.Context, t *Token, hash []byte, e audit.Entry) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	TouchToken(ctx context.Context, id privaq.TokenID, hash []byte, at time.Time) error
	ListTokens(ctx context.Context, org privaq.OrgID) ([]Token, error)
	RevokeToken(ctx context.Context, org privaq.OrgID, id privaq.TokenID, at time.Time, e audit.Entry) error

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, hash []byte) (Session, error)
	UpdateSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, hash []byte) error

	RecordAttempt(ctx context.Context, key string, at time.Time) error
	CountAttempts(ctx context.Context, key string, since time.Time) (int, error)

	AppendAudit(ctx context.Context, e audit.Entry) error
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidSlug checks an organization slug: it appears in public URLs.
func ValidSlug(slug string) error {
	if !slugRE.MatchString(slug) {
		return privaq.FieldError("slug", "the slug must be 1 to 40 lower-case letters, digits or hyphens, not starting or ending with a hyphen")
	}
	return nil
}

// NormalizeEmail is the form under which emails are indexed and compared.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// secret returns n random bytes in lower-case base32 without padding:
// URL-safe, unambiguous to copy, and case-insensitive.
func secret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// HashSecret is how tokens and session ids are stored: a fast hash is right
// here because the secrets are 256-bit random values, not passwords.
func HashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
