package inventory

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
)

// Store keeps each organization's inventory. UpdateInventory runs fn on the
// current document inside one transaction that serializes writers of the
// same organization; when fn returns an error nothing is written. The audit
// entry is written in the same transaction.
type Store interface {
	Inventory(ctx context.Context, org privaq.OrgID) (*Document, int64, error)
	UpdateInventory(ctx context.Context, org privaq.OrgID, e audit.Entry, fn func(*Document) error) (int64, error)
}

// Service reads and changes inventories, always validating the whole
// document so that no write can leave a dangling reference.
type Service struct{ Store Store }

// Document returns the whole inventory and its revision.
func (s *Service) Document(ctx context.Context, actor privaq.Actor, org privaq.OrgID) (*Document, int64, error) {
	if err := actor.Require(org, privaq.PermInventoryRead); err != nil {
		return nil, 0, err
	}
	return s.Store.Inventory(ctx, org)
}

// Checks returns the compliance findings of the current inventory.
func (s *Service) Checks(ctx context.Context, actor privaq.Actor, org privaq.OrgID) ([]Finding, error) {
	doc, _, err := s.Document(ctx, actor, org)
	if err != nil {
		return nil, err
	}
	return Check(doc), nil
}

// update applies fn and validates the result. When prefix is given, it
// names the written item's place in the document (as prefix(d) returns it
// after fn ran), and validation errors about that item get field paths
// relative to it: a client that sent one purpose wants "consent", not
// "purposes[3].consent".
func (s *Service) update(ctx context.Context, actor privaq.Actor, org privaq.OrgID, action, target string, fn func(*Document) error, prefix ...func(*Document) string) (int64, error) {
	return s.updateAs(ctx, actor, org, privaq.PermInventoryWrite, action, target, fn, prefix...)
}

// updateAs is update for a part of the inventory with a permission of its
// own, such as the banner's settings, which integrations may change.
func (s *Service) updateAs(ctx context.Context, actor privaq.Actor, org privaq.OrgID, perm privaq.Permission, action, target string, fn func(*Document) error, prefix ...func(*Document) string) (int64, error) {
	if err := actor.Require(org, perm); err != nil {
		return 0, err
	}
	return s.Store.UpdateInventory(ctx, org, audit.New(actor, action, target, nil), func(d *Document) error {
		if err := fn(d); err != nil {
			return err
		}
		d.Normalize()
		errs := d.Validate()
		if len(errs) > 0 && len(prefix) > 0 {
			p := prefix[0](d)
			for i, e := range errs {
				if rest, ok := strings.CutPrefix(e.Field, p); ok {
					c := *e
					c.Field = rest
					errs[i] = &c
				}
			}
		}
		return errs.Err()
	})
}

// itemPrefix locates the item with key in collection c.
func itemPrefix(c Collection, key string) func(*Document) string {
	return func(d *Document) string {
		return c.Name() + "[" + strconv.Itoa(slices.Index(c.Keys(d), key)) + "]."
	}
}

// Replace swaps the whole inventory for doc (a PUT of the document or an
// import), atomically and only if doc is valid.
func (s *Service) Replace(ctx context.Context, actor privaq.Actor, org privaq.OrgID, doc *Document) (int64, error) {
	return s.update(ctx, actor, org, "inventory.replace", "inventory", func(d *Document) error {
		*d = *doc
		return nil
	})
}

// SetProfile, SetOfficer and SetPolicy change the document's single sections.
func (s *Service) SetProfile(ctx context.Context, actor privaq.Actor, org privaq.OrgID, p Profile) (int64, error) {
	return s.update(ctx, actor, org, "inventory.update", "profile", func(d *Document) error { d.Org = p; return nil })
}

// SetOfficer records the published contact of the person in charge.
func (s *Service) SetOfficer(ctx context.Context, actor privaq.Actor, org privaq.OrgID, o Officer) (int64, error) {
	return s.update(ctx, actor, org, "inventory.update", "officer", func(d *Document) error { d.Officer = o; return nil })
}

// SetPolicy records the policy settings.
func (s *Service) SetPolicy(ctx context.Context, actor privaq.Actor, org privaq.OrgID, p PolicySettings) (int64, error) {
	return s.update(ctx, actor, org, "inventory.update", "policy", func(d *Document) error { d.Policy = p; return nil })
}

// Create adds an item; its key must be new in the collection.
func (s *Service) Create(ctx context.Context, actor privaq.Actor, org privaq.OrgID, c Collection, item any, key string) (int64, error) {
	return s.update(ctx, actor, org, "inventory.create", c.Name()+"/"+key, func(d *Document) error {
		if _, exists := c.Get(d, key); exists {
			return &privaq.Error{Code: privaq.EConflict, Field: "key", Message: "an item with key " + quote(key) + " already exists in " + c.Name()}
		}
		c.Put(d, key, item)
		return nil
	}, itemPrefix(c, key))
}

// Put replaces the item with key, or creates it; a different key inside item
// renames it and its references.
func (s *Service) Put(ctx context.Context, actor privaq.Actor, org privaq.OrgID, c Collection, key string, item any, newKey string) (created bool, rev int64, err error) {
	rev, err = s.update(ctx, actor, org, "inventory.update", c.Name()+"/"+key, func(d *Document) error {
		if newKey != key {
			if _, exists := c.Get(d, key); !exists {
				return &privaq.Error{Code: privaq.EValidation, Field: "key", Message: "to create an item, the key in the body must be the key in the path (" + quote(key) + ")",
					FR: "Pour créer un élément, la clé du corps doit être celle de l’adresse (" + quote(key) + ")."}
			}
			if _, exists := c.Get(d, newKey); exists {
				return &privaq.Error{Code: privaq.EConflict, Field: "key", Message: "an item with key " + quote(newKey) + " already exists in " + c.Name()}
			}
		}
		created = c.Put(d, key, item)
		return nil
	}, itemPrefix(c, newKey))
	return created, rev, err
}

// Delete removes an item that nothing refers to.
func (s *Service) Delete(ctx context.Context, actor privaq.Actor, org privaq.OrgID, c Collection, key string) (int64, error) {
	return s.update(ctx, actor, org, "inventory.delete", c.Name()+"/"+key, func(d *Document) error {
		if _, ok := c.Get(d, key); !ok {
			return privaq.Errorf(privaq.ENotFound, "no item with key %s in %s", quote(key), c.Name())
		}
		if refs := d.ReferencesTo(c.Name(), key); len(refs) > 0 {
			return privaq.Errorf(privaq.EConflict, "%s is still used by the activities %s; remove it from them first", quote(key), strings.Join(refs, ", "))
		}
		c.Delete(d, key)
		return nil
	})
}

func quote(s string) string { return strconv.Quote(s) }
