package rights

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"privaq"
	"privaq/internal/audit"
)

// Verifying an identity does not require keeping a copy of the document
// shown (P 30 asks the organization to make sure of the identity, and
// P 5 to collect only what it needs), so privaq keeps none by default.
// The officer may choose to keep one for a request, for instance when a
// mandate or a death certificate is the very proof of a representative's
// capacity. The copy is sealed with the organization's key, each read is
// audited, and it is destroyed with the file, once the recourse delay has
// ended.

// Document is a kept copy of an identity document, without its content.
type Document struct {
	ID          int64     `json:"id"`
	RequestID   ID        `json:"request_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
}

// MaxDocument is the largest copy kept: a scan or a photo.
const MaxDocument = 5 << 20

// documentTypes are the kinds of file a copy may be, by their content.
var documentTypes = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true}

// DocumentStore keeps the copies.
type DocumentStore interface {
	AddDocument(ctx context.Context, org privaq.OrgID, d *Document, data []byte, ev Event, e audit.Entry) error
	Documents(ctx context.Context, org privaq.OrgID, id ID) ([]Document, error)
	DocumentData(ctx context.Context, org privaq.OrgID, id ID, doc int64) (Document, []byte, error)
	// DeleteDocuments destroys a request's copies; it returns how many.
	DeleteDocuments(ctx context.Context, org privaq.OrgID, id ID, ev Event, e audit.Entry) (int, error)
	// DocumentRequests lists the requests that have copies, in every
	// organization, for their destruction.
	DocumentRequests(ctx context.Context) ([]Request, error)
}

func officerOnly(actor privaq.Actor, orgID privaq.OrgID) error {
	if err := actor.Require(orgID, privaq.PermRequestManage); err != nil {
		return err
	}
	if actor.Kind != privaq.ActorSystem && actor.Role != privaq.RoleOfficer {
		return &privaq.Error{Code: privaq.EForbidden, Message: "only the person in charge of the protection of personal information decides to keep a copy",
			FR: "Seule la personne responsable de la protection des renseignements personnels décide de garder une copie."}
	}
	return nil
}

// AddDocument keeps a copy of the document that proved the requester's
// identity or capacity. Only the officer may, while the request is open.
func (s *Service) AddDocument(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, name string, data []byte) (Document, error) {
	if err := officerOnly(actor, orgID); err != nil {
		return Document{}, err
	}
	r, err := s.Store.Request(ctx, orgID, id)
	if err != nil {
		return Document{}, err
	}
	if err := notOpen(&r); err != nil {
		return Document{}, err
	}
	ct := http.DetectContentType(data)
	switch {
	case len(data) == 0:
		return Document{}, errorf("file", "choose the file of the copy", "Choisissez le fichier de la copie.")
	case len(data) > MaxDocument:
		return Document{}, errorf("file", "the copy is over 5 MiB", "La copie dépasse 5 Mio.")
	case !documentTypes[ct]:
		return Document{}, errorf("file", "the copy is a PDF, JPEG or PNG file", "La copie est un fichier PDF, JPEG ou PNG.")
	}
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || !utf8.ValidString(name) || len(name) > 200 {
		name = "copie"
	}
	now := s.now()
	d := &Document{RequestID: id, Name: name, ContentType: ct, Size: len(data), AddedAt: now}
	ev := Event{At: now, actor: actor, Action: "identity_copy_kept", Detail: map[string]any{"size": len(data)}}
	if err := s.Store.AddDocument(ctx, orgID, d, data, ev, audit.New(actor, "request.document.add", target(id), map[string]any{"size": len(data)})); err != nil {
		return Document{}, err
	}
	return *d, nil
}

// Documents lists a request's copies, without their content.
func (s *Service) Documents(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) ([]Document, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	return s.Store.Documents(ctx, orgID, id)
}

// DocumentData returns a copy to the officer, audited.
func (s *Service) DocumentData(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, doc int64) (Document, []byte, error) {
	if err := officerOnly(actor, orgID); err != nil {
		return Document{}, nil, err
	}
	d, data, err := s.Store.DocumentData(ctx, orgID, id, doc)
	if err != nil {
		return d, nil, err
	}
	return d, data, s.Store.AppendAudit(ctx, audit.New(actor, "request.document.read", target(id), map[string]any{"document": doc}))
}

// DeleteDocuments destroys a request's copies now.
func (s *Service) DeleteDocuments(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) (int, error) {
	if err := officerOnly(actor, orgID); err != nil {
		return 0, err
	}
	now := s.now()
	ev := Event{At: now, actor: actor, Action: "identity_copy_destroyed"}
	return s.Store.DeleteDocuments(ctx, orgID, id, ev, audit.New(actor, "request.document.delete", target(id), nil))
}

// purgeDocuments destroys the copies of the requests whose file is over:
// closed, and past the recourse delay (or withdrawn).
func (s *Service) purgeDocuments(ctx context.Context) (int, error) {
	rs, err := s.Store.DocumentRequests(ctx)
	if err != nil {
		return 0, err
	}
	now, n := s.now(), 0
	for _, r := range rs {
		r.compute(now)
		if r.Status.Open() || r.Held {
			continue
		}
		ev := Event{At: now, actor: privaq.System(r.OrgID), Action: "identity_copy_destroyed"}
		e := audit.Entry{OrgID: r.OrgID, Kind: privaq.ActorSystem, Action: "request.document.purge", Target: target(r.ID)}
		m, err := s.Store.DeleteDocuments(ctx, r.OrgID, r.ID, ev, e)
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}
