package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/inventory"
)

func (a *API) handleInventoryGet(w http.ResponseWriter, r *http.Request, c *call) error {
	doc, rev, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "yaml" {
		return privaq.FieldError("format", "format must be json or yaml")
	}
	var buf bytes.Buffer
	if err := doc.Encode(&buf, format); err != nil {
		return err
	}
	ct := "application/json; charset=utf-8"
	if format == "yaml" {
		ct = "application/yaml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", etag(rev))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

func (a *API) handleInventoryPut(w http.ResponseWriter, r *http.Request, c *call) error {
	data, mt, err := readBody(w, r, maxImport, "application/json", "application/yaml", "application/x-yaml", "text/yaml")
	if err != nil {
		return err
	}
	format := "yaml"
	if mt == "application/json" {
		format = "json"
	}
	doc, err := inventory.Parse(data, format)
	if err != nil {
		return err
	}
	rev, err := a.Inventory.Replace(r.Context(), c.actor, c.org.ID, doc)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(rev))
	return a.handleInventoryGet(w, r, c)
}

// section is one of the document's single-valued parts.
type section struct {
	path  string
	get   func(*inventory.Document) any
	empty func() any
	set   func(a *API, r *http.Request, c *call, v any) (int64, error)
}

var sections = []section{
	{"profile", func(d *inventory.Document) any { return d.Org }, func() any { return new(inventory.Profile) },
		func(a *API, r *http.Request, c *call, v any) (int64, error) {
			return a.Inventory.SetProfile(r.Context(), c.actor, c.org.ID, *v.(*inventory.Profile))
		}},
	{"officer", func(d *inventory.Document) any { return d.Officer }, func() any { return new(inventory.Officer) },
		func(a *API, r *http.Request, c *call, v any) (int64, error) {
			return a.Inventory.SetOfficer(r.Context(), c.actor, c.org.ID, *v.(*inventory.Officer))
		}},
	{"policy-settings", func(d *inventory.Document) any { return d.Policy }, func() any { return new(inventory.PolicySettings) },
		func(a *API, r *http.Request, c *call, v any) (int64, error) {
			return a.Inventory.SetPolicy(r.Context(), c.actor, c.org.ID, *v.(*inventory.PolicySettings))
		}},
}

func (a *API) handleSectionGet(s section) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		doc, rev, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(rev))
		writeJSON(w, http.StatusOK, s.get(doc))
		return nil
	}
}

func (a *API) handleSectionPut(s section) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		data, _, err := readBody(w, r, maxBody, "application/json")
		if err != nil {
			return err
		}
		v := s.empty()
		if err := inventory.DecodeJSON(bytes.NewReader(data), v); err != nil {
			return err
		}
		if _, err := s.set(a, r, c, v); err != nil {
			return err
		}
		return a.handleSectionGet(s)(w, r, c)
	}
}

func (a *API) handleItemsList(coll inventory.Collection) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		doc, rev, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(rev))
		writeJSON(w, http.StatusOK, map[string]any{"items": coll.List(doc)})
		return nil
	}
}

func (a *API) handleItemGet(coll inventory.Collection) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		doc, rev, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
		if err != nil {
			return err
		}
		item, ok := coll.Get(doc, r.PathValue("key"))
		if !ok {
			return privaq.Errorf(privaq.ENotFound, "no item with key %q in %s", r.PathValue("key"), coll.Name())
		}
		w.Header().Set("ETag", etag(rev))
		writeJSON(w, http.StatusOK, item)
		return nil
	}
}

func (a *API) decodeItem(w http.ResponseWriter, r *http.Request, coll inventory.Collection) (any, string, error) {
	data, _, err := readBody(w, r, maxBody, "application/json")
	if err != nil {
		return nil, "", err
	}
	return coll.Decode(data)
}

func (a *API) handleItemCreate(coll inventory.Collection) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		item, key, err := a.decodeItem(w, r, coll)
		if err != nil {
			return err
		}
		if key == "" {
			return privaq.FieldError("key", "key is required")
		}
		if _, err := a.Inventory.Create(r.Context(), c.actor, c.org.ID, coll, item, key); err != nil {
			return err
		}
		w.Header().Set("Location", r.URL.Path+"/"+key)
		return a.writeStored(w, r, c, coll, key, http.StatusCreated)
	}
}

func (a *API) handleItemPut(coll inventory.Collection) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		item, newKey, err := a.decodeItem(w, r, coll)
		if err != nil {
			return err
		}
		key := r.PathValue("key")
		if newKey == "" {
			newKey = key
			coll.SetKey(item, key)
		}
		created, _, err := a.Inventory.Put(r.Context(), c.actor, c.org.ID, coll, key, item, newKey)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
			w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/"+key)+"/"+newKey)
		}
		return a.writeStored(w, r, c, coll, newKey, status)
	}
}

// writeStored answers with the item as stored (normalized), not as sent.
func (a *API) writeStored(w http.ResponseWriter, r *http.Request, c *call, coll inventory.Collection, key string, status int) error {
	doc, rev, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	item, ok := coll.Get(doc, key)
	if !ok {
		return privaq.Errorf(privaq.ENotFound, "no item with key %q in %s", key, coll.Name())
	}
	w.Header().Set("ETag", etag(rev))
	writeJSON(w, status, item)
	return nil
}

func (a *API) handleItemDelete(coll inventory.Collection) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if _, err := a.Inventory.Delete(r.Context(), c.actor, c.org.ID, coll, r.PathValue("key")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) handleChecks(w http.ResponseWriter, r *http.Request, c *call) error {
	findings, err := a.Inventory.Checks(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	counts := map[inventory.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": nonNil(findings), "counts": counts})
	return nil
}

func etag(rev int64) string { return `"inv-` + strconv.FormatInt(rev, 10) + `"` }
