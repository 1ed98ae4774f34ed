// Package audit defines the append-only record of staff actions and of every
// read of personal information (SPEC §3): who, what, when, from where.
// Entries are written in the same transaction as the change they describe,
// so an acknowledged change always has its entry.
package audit

import (
	"context"
	"net"
	"net/netip"
	"time"

	"privaq"
)

// Entry is one line of the audit log. Detail must never hold personal
// information: it names keys and counts, not people.
type Entry struct {
	ID      int64            `json:"id"`
	OrgID   privaq.OrgID     `json:"-"`
	At      time.Time        `json:"at"`
	Kind    privaq.ActorKind `json:"actor_kind"`
	UserID  privaq.UserID    `json:"actor_user_id,omitempty"`
	TokenID privaq.TokenID   `json:"actor_token_id,omitempty"`
	Actor   string           `json:"actor"` // resolved at read time: an email or a token name
	Action  string           `json:"action"`
	Target  string           `json:"target"`
	Detail  map[string]any   `json:"detail,omitempty"`
	IP      string           `json:"ip,omitempty"`
}

// New builds an entry for an action by actor.
func New(actor privaq.Actor, action, target string, detail map[string]any) Entry {
	return Entry{OrgID: actor.OrgID, Kind: actor.Kind, UserID: actor.UserID, TokenID: actor.TokenID,
		Action: action, Target: target, Detail: detail, IP: actor.IP}
}

// Filter narrows a listing of the log.
type Filter struct {
	Before int64 // entries with a smaller id, for paging; 0 for the newest
	Limit  int
	Action string // prefix match, e.g. "inventory."
}

// Store keeps the log.
type Store interface {
	AppendAudit(ctx context.Context, e Entry) error
	ListAudit(ctx context.Context, org privaq.OrgID, f Filter) ([]Entry, error)
}

// TruncateIP keeps the network part of a client address (/24 for IPv4, /48
// for IPv6): enough to tell where an action came from, without storing a
// precise identifier of a person's device.
func TruncateIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	bits := 48
	if ip = ip.Unmap(); ip.Is4() {
		bits = 24
	}
	p, err := ip.WithZone("").Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// List returns entries after checking that the actor may read the log.
func List(ctx context.Context, s Store, actor privaq.Actor, org privaq.OrgID, f Filter) ([]Entry, error) {
	if err := actor.Require(org, privaq.PermAuditRead); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.ListAudit(ctx, org, f)
}
