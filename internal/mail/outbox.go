package mail

import (
	"context"
	"regexp"
	"strconv"

	"privaq"
	"privaq/internal/audit"
)

// OutboxStore reads an organization's outbox.
type OutboxStore interface {
	Outbox(ctx context.Context, org privaq.OrgID, before int64, limit int) ([]Message, error)
	OutboxMessage(ctx context.Context, org privaq.OrgID, id int64) (Message, error)
}

// Outbox shows staff what privaq sent, or holds, for their organization:
// the list without recipients or texts, and one message in full, which is
// a read of personal information and is audited.
type Outbox struct {
	Store OutboxStore
	Audit audit.Store
}

// PageSize is how many messages a page of the outbox lists.
const PageSize = 50

// List returns a page of messages, newest first, before id before (0 for
// the newest).
func (o *Outbox) List(ctx context.Context, actor privaq.Actor, org privaq.OrgID, before int64) ([]Message, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return nil, err
	}
	return o.Store.Outbox(ctx, org, before, PageSize)
}

// secretLink matches the token of a personal link (a confirmation, a
// request's status page, an unsubscription): the recipient's secret,
// which lets whoever holds it act as them.
var secretLink = regexp.MustCompile(`([?&]t=)[A-Za-z0-9_-]{16,}`)

// Read returns message id with its recipient and text, and records the
// read. The tokens of personal links are masked: staff see that a link
// was sent, not the link.
func (o *Outbox) Read(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id int64) (Message, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return Message{}, err
	}
	m, err := o.Store.OutboxMessage(ctx, org, id)
	if err != nil {
		return m, err
	}
	m.Text = secretLink.ReplaceAllString(m.Text, "${1}…")
	return m, o.Audit.AppendAudit(ctx, audit.New(actor, "mail.read", "mail/"+strconv.FormatInt(id, 10), map[string]any{"kind": m.Kind}))
}
