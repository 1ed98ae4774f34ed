package web

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"privaq"
	"privaq/internal/inventory"
)

// formField is one input of an inventory form, ready for the template.
type formField struct {
	Name     string
	Kind     inventory.FieldKind
	Label    string
	Help     string
	Required bool
	Value    string // key, string, enum, ref, location, duration, list
	FR, EN   string // text, longtext
	Checked  bool
	Options  []option
	Error    string
}

type option struct {
	Value, Label string
	Selected     bool
}

// fieldsFromItem fills the form from an item (new or existing).
func (w *Web) fieldsFromItem(q *req, coll inventory.Collection, doc *inventory.Document, item any) []formField {
	data, _ := json.Marshal(item)
	values := map[string]any{}
	json.Unmarshal(data, &values)
	form := url.Values{}
	for _, f := range coll.Fields() {
		v := values[f.Name]
		switch f.Kind {
		case inventory.KindText, inventory.KindLongText:
			m, _ := v.(map[string]any)
			form.Set(f.Name+".fr", str(m["fr"]))
			form.Set(f.Name+".en", str(m["en"]))
		case inventory.KindBool:
			if b, _ := v.(bool); b {
				form.Set(f.Name, "on")
			}
		case inventory.KindSet, inventory.KindRefs:
			list, _ := v.([]any)
			for _, x := range list {
				form.Add(f.Name, str(x))
			}
		case inventory.KindList:
			list, _ := v.([]any)
			lines := make([]string, len(list))
			for i, x := range list {
				lines[i] = str(x)
			}
			form.Set(f.Name, strings.Join(lines, "\n"))
		default:
			form.Set(f.Name, str(v))
		}
	}
	return w.fieldsFromForm(q, coll, doc, form)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// fieldsFromForm rebuilds the form from what the user sent, so that a
// rejected form shows exactly what they typed.
func (w *Web) fieldsFromForm(q *req, coll inventory.Collection, doc *inventory.Document, form url.Values) []formField {
	var out []formField
	for _, f := range coll.Fields() {
		labelKey := "field." + coll.Name() + "." + f.Name
		ff := formField{Name: f.Name, Kind: f.Kind, Label: q.T(labelKey), Required: f.Required}
		if help := labelKey + ".help"; w.cat.Has(help) {
			ff.Help = q.T(help)
		}
		switch f.Kind {
		case inventory.KindText, inventory.KindLongText:
			ff.FR, ff.EN = form.Get(f.Name+".fr"), form.Get(f.Name+".en")
		case inventory.KindBool:
			ff.Checked = form.Get(f.Name) != ""
		case inventory.KindEnum, inventory.KindSet:
			for _, o := range f.Options {
				// A value may need a field-specific wording ("public" as a
				// source is not "public" as a regime).
				label := "opt." + f.Name + "." + o
				if !w.cat.Has(label) {
					label = "opt." + o
				}
				ff.Options = append(ff.Options, option{Value: o, Label: q.T(label), Selected: has(form[f.Name], o)})
			}
		case inventory.KindRef, inventory.KindRefs:
			ref, _ := inventory.CollectionByName(f.Ref)
			for _, it := range ref.List(doc) {
				key, label := itemLabel(q.Page, ref, it)
				ff.Options = append(ff.Options, option{Value: key, Label: label, Selected: has(form[f.Name], key)})
			}
		default:
			ff.Value = form.Get(f.Name)
		}
		out = append(out, ff)
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// itemLabel gives an item's key and its name in the page's language.
func itemLabel(p *Page, coll inventory.Collection, item any) (key, label string) {
	data, _ := json.Marshal(item)
	var v struct {
		Key  string          `json:"key"`
		Name json.RawMessage `json:"name"`
		Text inventory.Text  `json:"text"`
	}
	json.Unmarshal(data, &v)
	var t inventory.Text
	if json.Unmarshal(v.Name, &t) != nil {
		var s string
		json.Unmarshal(v.Name, &s)
		t.FR = s
	}
	if t.IsZero() {
		t = v.Text
	}
	label = p.In(t)
	if label == "" {
		label = v.Key
	}
	return v.Key, label
}

// itemFromForm turns the posted form into JSON and decodes it into a typed
// item with the same strict decoder the API uses.
func itemFromForm(coll inventory.Collection, form url.Values) (any, string, error) {
	// Browsers send textarea line breaks as CRLF (HTML's form encoding); the
	// inventory stores LF, and rejects other control characters.
	crlf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
	for k, vs := range form {
		for i := range vs {
			form[k][i] = crlf.Replace(vs[i])
		}
	}
	m := map[string]any{}
	for _, f := range coll.Fields() {
		switch f.Kind {
		case inventory.KindText, inventory.KindLongText:
			t := map[string]string{"fr": strings.TrimSpace(form.Get(f.Name + ".fr"))}
			if en := strings.TrimSpace(form.Get(f.Name + ".en")); en != "" {
				t["en"] = en
			}
			m[f.Name] = t
		case inventory.KindBool:
			m[f.Name] = form.Get(f.Name) != ""
		case inventory.KindSet, inventory.KindRefs:
			list := []string{}
			for _, v := range form[f.Name] {
				if v != "" {
					list = append(list, v)
				}
			}
			m[f.Name] = list
		case inventory.KindList:
			list := []string{}
			for _, line := range strings.Split(form.Get(f.Name), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					list = append(list, line)
				}
			}
			m[f.Name] = list
		default:
			m[f.Name] = strings.TrimSpace(form.Get(f.Name))
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, "", err
	}
	return coll.Decode(data)
}

// fieldErrors spreads validation errors over the form's fields, in the
// page's language; it returns the errors that belong to no field.
func (w *Web) fieldErrors(q *req, fields []formField, err error) []string {
	list := errorList(err)
	if len(list) == 0 {
		return []string{q.T("error.internal")}
	}
	var rest []string
	for _, e := range list {
		msg := w.localize(q, e)
		name, _, _ := strings.Cut(e.Field, ".")
		name, _, _ = strings.Cut(name, "[")
		placed := false
		for i := range fields {
			if fields[i].Name == name && name != "" {
				if fields[i].Error != "" {
					fields[i].Error += " "
				}
				fields[i].Error += msg
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, msg)
		}
	}
	return rest
}

// localize shows an error in the page's language: a catalog text when the
// error names its rule, else the domain's French wording on French pages,
// else the domain's message.
func (w *Web) localize(q *req, e *privaq.Error) string {
	if e.Rule != "" {
		if key := "rule." + e.Rule; w.cat.Has(key) {
			return q.T(key)
		}
	}
	if e.Code == privaq.EConflict {
		return q.T("rule.conflict")
	}
	if q.Lang == "fr" && e.FR != "" {
		return e.FR
	}
	return e.Message
}

// errorList flattens an error into the coded errors it carries: every one
// of a ValidationErrors, or the single Error.
func errorList(err error) privaq.ValidationErrors {
	var list privaq.ValidationErrors
	var one *privaq.Error
	switch {
	case errors.As(err, &list):
		return list
	case errors.As(err, &one):
		return privaq.ValidationErrors{one}
	}
	return nil
}

// errorsByField localizes errors and groups them by field path, for forms
// whose inputs are named by path; errors of no field come back apart.
func (w *Web) errorsByField(q *req, err error) (map[string]string, []string) {
	byField := map[string]string{}
	var other []string
	for _, e := range errorList(err) {
		msg := w.localize(q, e)
		if e.Field == "" {
			other = append(other, msg)
		} else {
			byField[e.Field] = strings.TrimSpace(byField[e.Field] + " " + msg)
		}
	}
	return byField, other
}
