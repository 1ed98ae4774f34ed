// Package privaq holds the few types every part of privaq shares: the coded
// error that reaches users, identifiers, roles and the acting principal.
// It imports only the standard library so that every other package may use it.
package privaq

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Code classifies an Error. The HTTP layer maps each code to one status;
// the CLI prints the message. Codes are part of the public API (SPEC §4).
type Code string

// The error codes of SPEC §4.
const (
	EInvalidJSON     Code = "invalid_json"
	EValidation      Code = "validation_failed"
	EUnauthorized    Code = "unauthorized"
	EForbidden       Code = "forbidden"
	ENotFound        Code = "not_found"
	EConflict        Code = "conflict"
	ETooLarge        Code = "payload_too_large"
	EUnsupportedType Code = "unsupported_media_type"
	ERateLimited     Code = "rate_limited"
	EInternal        Code = "internal"
)

// Error is the one error type that carries a message safe to show a user.
// Err, when set, is the underlying cause: it is logged, never sent.
type Error struct {
	Code    Code
	Message string
	Field   string // JSON path of the offending field, when there is one
	Rule    string // stable name of the broken rule, so pages can say it in the user's language
	// FR is the message in French, when the domain wrote one, for pages
	// shown in French; Message (English) is what the API sends.
	FR  string
	Err error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError builds a validation error about one field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EValidation, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first Error in err's chain, or EInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// ValidationErrors collects several field errors, so a form or an import can
// show every problem at once instead of the first one only.
type ValidationErrors []*Error

func (v ValidationErrors) Error() string {
	if len(v) == 0 {
		return "no errors"
	}
	s := v[0].Error()
	if len(v) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(v)-1)
	}
	return s
}

// Unwrap exposes the first error so errors.As finds an *Error with its code.
func (v ValidationErrors) Unwrap() error {
	if len(v) == 0 {
		return nil
	}
	return v[0]
}

// Add appends a field error.
func (v *ValidationErrors) Add(field, format string, args ...any) {
	*v = append(*v, FieldError(field, format, args...))
}

// Err returns nil when there is no error, so callers can `return v.Err()`.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// OrgID identifies an organization (a tenant).
type OrgID int64

// UserID identifies a staff account; accounts are instance-wide and belong to
// organizations through memberships.
type UserID int64

// TokenID identifies an API token.
type TokenID int64

// Role is what a member or token may do inside one organization (SPEC §3).
type Role string

// The roles of SPEC §3.
const (
	RoleOfficer     Role = "officer"
	RoleStaff       Role = "staff"
	RoleAuditor     Role = "auditor"
	RoleIntegration Role = "integration"
)

// Roles lists the roles in order of authority.
var Roles = []Role{RoleOfficer, RoleStaff, RoleAuditor, RoleIntegration}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", FieldError("role", "unknown role %q: want officer, staff, auditor or integration", s)
}

// Permission is one thing an actor may be allowed to do.
type Permission string

// Permissions checked by the services.
const (
	PermInventoryRead  Permission = "inventory.read"
	PermInventoryWrite Permission = "inventory.write"
	PermAuditRead      Permission = "audit.read"
	PermManageAccess   Permission = "access.manage" // users, memberships and API tokens
	PermConsentWrite   Permission = "consent.write" // record consents
	PermConsentRead    Permission = "consent.read"  // decisions and ledger checks: consent state only
	PermPersonalRead   Permission = "personal.read" // people's records (consent history, exports); audited
	PermBannerWrite    Permission = "banner.write"  // the cookie banner's settings
	// Confidentiality incidents (SPEC §10): staff declare them and read the
	// register; the officer, who answers for them (P 3.1), manages them.
	PermIncidentRead    Permission = "incident.read"    // the register, its exports and notices; audited
	PermIncidentDeclare Permission = "incident.declare" // declare a new incident
	PermIncidentManage  Permission = "incident.manage"  // assess, correct, notify, delete
	// Rights requests (SPEC §9): staff handle them; the officer, who
	// answers for them (P 3.1), registers the connectors to the
	// organization's databases.
	PermRequestRead    Permission = "request.read"    // requests and their files; audited
	PermRequestManage  Permission = "request.manage"  // enter, verify, answer, collect, erase
	PermConnectorWrite Permission = "connector.write" // register connectors and their mappings
)

var grants = map[Role][]Permission{
	RoleOfficer: {PermInventoryRead, PermInventoryWrite, PermAuditRead, PermManageAccess,
		PermConsentWrite, PermConsentRead, PermPersonalRead, PermBannerWrite, PermIncidentRead, PermIncidentDeclare, PermIncidentManage,
		PermRequestRead, PermRequestManage, PermConnectorWrite},
	RoleStaff: {PermInventoryRead, PermInventoryWrite, PermConsentWrite, PermConsentRead, PermPersonalRead, PermBannerWrite,
		PermIncidentRead, PermIncidentDeclare, PermRequestRead, PermRequestManage},
	RoleAuditor: {PermInventoryRead, PermAuditRead, PermConsentRead, PermPersonalRead, PermIncidentRead, PermRequestRead},
	// SPEC §3: an integration records consents and asks for decisions,
	// and reads no personal information beyond consent state.
	RoleIntegration: {PermInventoryRead, PermConsentWrite, PermConsentRead, PermBannerWrite},
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// ActorKind says how an actor authenticated.
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"
	ActorToken  ActorKind = "token"
	ActorSystem ActorKind = "system" // the CLI and background jobs
)

// Actor is who performs an action inside one organization. It is what the
// audit log records and what permission checks look at.
type Actor struct {
	Kind    ActorKind
	UserID  UserID
	TokenID TokenID
	OrgID   OrgID
	Role    Role
	Admin   bool   // instance administrator: may create organizations
	IP      string // client address, already truncated for the audit log
}

// Require returns a forbidden error unless the actor holds p in org.
// An actor of another organization gets not_found, so that the existence of
// another tenant's resources is never revealed (SPEC §3).
func (a Actor) Require(org OrgID, p Permission) error {
	if a.Kind == ActorSystem {
		return nil
	}
	if a.OrgID != org {
		return Errorf(ENotFound, "not found")
	}
	if !a.Role.Can(p) {
		return Errorf(EForbidden, "your role (%s) does not allow this action", a.Role)
	}
	return nil
}

// System is the actor for operator commands and background jobs.
func System(org OrgID) Actor { return Actor{Kind: ActorSystem, OrgID: org, Role: RoleOfficer} }

// Clock tells the time; tests inject a fixed one instead of sleeping.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock, in UTC truncated to the microsecond
// (PostgreSQL's precision), so that values round-trip through both engines.
type SystemClock struct{}

// Now returns the current UTC time truncated to the microsecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ManualClock is a clock that moves only when told to: tests use it to
// cross deadlines and backoff delays without sleeping.
type ManualClock struct {
	mu sync.Mutex
	at time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{at: t.UTC()} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// Add moves the clock forward by d.
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	c.mu.Unlock()
}
