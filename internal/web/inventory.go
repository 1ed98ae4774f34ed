package web

import (
	"net/http"
	"net/url"
	"strings"

	"privaq"
	"privaq/internal/inventory"
)

type itemsView struct {
	*Page
	Coll  inventory.Collection
	Items []itemRow
}

type itemRow struct {
	Key, Label, Detail string
	MissingEN          bool
}

func (q *req) collection(r *http.Request) (inventory.Collection, error) {
	c, ok := inventory.CollectionByPath(r.PathValue("coll"))
	if !ok {
		return nil, privaq.Errorf(privaq.ENotFound, "no such collection")
	}
	q.Nav = c.Name()
	return c, nil
}

func (w *Web) handleItems(rw http.ResponseWriter, r *http.Request, q *req) error {
	c, err := q.collection(r)
	if err != nil {
		return err
	}
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v := &itemsView{Page: q.Page, Coll: c}
	for _, it := range c.List(doc) {
		key, label := itemLabel(q.Page, c, it)
		v.Items = append(v.Items, itemRow{Key: key, Label: label, Detail: w.itemDetail(q, c, it), MissingEN: missingEN(c, it)})
	}
	q.Title = q.T("coll." + c.Name())
	w.render(rw, r, "items", v)
	return nil
}

// itemDetail summarizes an item in one line for the list.
func (w *Web) itemDetail(q *req, c inventory.Collection, item any) string {
	var parts []string
	switch it := item.(type) {
	case *inventory.Purpose:
		parts = append(parts, q.T("opt."+string(it.Consent)))
	case *inventory.DataCategory:
		if it.Sensitive {
			parts = append(parts, q.T("field.data_categories.sensitive"))
		}
	case *inventory.SubjectCategory:
		if it.Minors {
			parts = append(parts, q.T("field.subject_categories.minors"))
		}
	case *inventory.System:
		parts = append(parts, it.Provider, it.Location)
	case *inventory.Recipient:
		parts = append(parts, q.T("opt."+string(it.Role)), it.Location)
	case *inventory.RetentionRule:
		parts = append(parts, string(it.Period), q.T("opt."+string(it.Action)))
	case *inventory.Activity:
		parts = append(parts, q.N("items.purposes_count", len(it.Purposes)), q.N("items.data_count", len(it.DataCategories)))
	case *inventory.Cookie:
		parts = append(parts, q.T("opt."+string(it.Category)), it.Service, string(it.Duration))
	case *inventory.Measure:
		parts = append(parts, q.T("opt."+string(it.Kind)))
	}
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " · ")
}

// missingEN reports a French text without its English translation.
func missingEN(c inventory.Collection, item any) bool {
	fields, _ := textFields(c, item)
	for _, t := range fields {
		if t.FR != "" && t.EN == "" {
			return true
		}
	}
	return false
}

func textFields(c inventory.Collection, item any) ([]inventory.Text, bool) {
	switch it := item.(type) {
	case *inventory.Purpose:
		return []inventory.Text{it.Name, it.Description, it.Exception}, true
	case *inventory.DataCategory:
		return []inventory.Text{it.Name, it.Examples}, true
	case *inventory.SubjectCategory:
		return []inventory.Text{it.Name}, true
	case *inventory.System:
		return []inventory.Text{it.Safeguards}, true
	case *inventory.Recipient:
		return []inventory.Text{it.Purpose}, true
	case *inventory.RetentionRule:
		return []inventory.Text{it.Name}, true
	case *inventory.Activity:
		return []inventory.Text{it.Name}, true
	case *inventory.Cookie:
		return []inventory.Text{it.Purpose}, true
	case *inventory.Measure:
		return []inventory.Text{it.Text}, true
	}
	return nil, false
}

type itemFormView struct {
	*Page
	Coll   inventory.Collection
	Key    string // empty for a new item
	Fields []formField
	Errors []string
	Refs   []string // activities that use this item
}

func (w *Web) handleItemForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	c, err := q.collection(r)
	if err != nil {
		return err
	}
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	item := c.Empty()
	if key != "" {
		var ok bool
		if item, ok = c.Get(doc, key); !ok {
			return privaq.Errorf(privaq.ENotFound, "no such item")
		}
	}
	v := &itemFormView{Page: q.Page, Coll: c, Key: key, Fields: w.fieldsFromItem(q, c, doc, item)}
	if key != "" {
		v.Refs = doc.ReferencesTo(c.Name(), key)
	}
	w.itemTitle(q, c, key)
	w.render(rw, r, "item", v)
	return nil
}

func (w *Web) itemTitle(q *req, c inventory.Collection, key string) {
	if key == "" {
		q.Title = q.T("new." + c.Name())
	} else {
		q.Title = q.T("coll."+c.Name()) + " — " + key
	}
}

func (w *Web) handleItemSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	c, err := q.collection(r)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	item, newKey, err := itemFromForm(c, r.PostForm)
	if err == nil {
		if key == "" {
			_, err = w.Inventory.Create(r.Context(), q.actor, q.org.ID, c, item, newKey)
		} else {
			_, _, err = w.Inventory.Put(r.Context(), q.actor, q.org.ID, c, key, item, newKey)
		}
	}
	if err == nil {
		http.Redirect(rw, r, q.orgURL("inventory", c.Path())+"?saved="+url.QueryEscape(newKey), http.StatusSeeOther)
		return nil
	}
	if !userError(err) {
		return err
	}
	doc, _, derr := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if derr != nil {
		return derr
	}
	v := &itemFormView{Page: q.Page, Coll: c, Key: key, Fields: w.fieldsFromForm(q, c, doc, r.PostForm)}
	v.Errors = w.fieldErrors(q, v.Fields, err)
	w.itemTitle(q, c, key)
	q.Status = http.StatusUnprocessableEntity
	w.render(rw, r, "item", v)
	return nil
}

// userError is an error the user can fix by changing the form.
func userError(err error) bool {
	switch privaq.ErrorCode(err) {
	case privaq.EValidation, privaq.EConflict, privaq.EInvalidJSON:
		return true
	}
	return false
}

func (w *Web) handleItemDelete(rw http.ResponseWriter, r *http.Request, q *req) error {
	c, err := q.collection(r)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	_, err = w.Inventory.Delete(r.Context(), q.actor, q.org.ID, c, key)
	if privaq.IsCode(err, privaq.EConflict) {
		http.Redirect(rw, r, q.orgURL("inventory", c.Path(), key)+"?inuse="+url.QueryEscape(key), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("inventory", c.Path())+"?deleted="+url.QueryEscape(key), http.StatusSeeOther)
	return nil
}
