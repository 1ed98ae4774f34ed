package inventory

import (
	"slices"
	"strings"
	"testing"

	"privaq"
)

func collection(t *testing.T, name string) Collection {
	t.Helper()
	c, ok := CollectionByName(name)
	if !ok {
		t.Fatalf("no collection %s", name)
	}
	return c
}

func TestRenameKeepsReferences(t *testing.T) {
	tests := []struct {
		coll, from, to string
		refs           func(d *Document) []string // every reference of that collection
	}{
		{"purposes", "day-camps", "camps", func(d *Document) []string { return flat(d, func(a Activity) []string { return a.Purposes }) }},
		{"data_categories", "identity", "contact", func(d *Document) []string { return flat(d, func(a Activity) []string { return a.DataCategories }) }},
		{"subject_categories", "children", "kids", func(d *Document) []string { return flat(d, func(a Activity) []string { return a.Subjects }) }},
		{"systems", "crm", "civicrm", func(d *Document) []string { return flat(d, func(a Activity) []string { return a.Systems }) }},
		{"recipients", "nuagique", "host", func(d *Document) []string { return flat(d, func(a Activity) []string { return a.Recipients }) }},
		{"retention_rules", "camp-records", "camps", func(d *Document) []string {
			return flat(d, func(a Activity) []string { return []string{a.Retention} })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.coll, func(t *testing.T) {
			d := Demo()
			c := collection(t, tt.coll)
			before := d.ReferencesTo(tt.coll, tt.from)
			if len(before) == 0 {
				t.Fatalf("got no references to %s, want some", tt.from)
			}
			item, ok := c.Get(d, tt.from)
			if !ok {
				t.Fatalf("got no item %s", tt.from)
			}
			setKey(item, tt.to)
			if created := c.Put(d, tt.from, item); created {
				t.Errorf("got created, want a replacement")
			}
			if got := d.ReferencesTo(tt.coll, tt.to); !slices.Equal(got, before) {
				t.Errorf("got references %q, want %q", got, before)
			}
			if got := d.ReferencesTo(tt.coll, tt.from); len(got) != 0 {
				t.Errorf("got %q still referring to %s, want none", got, tt.from)
			}
			if slices.Contains(tt.refs(d), tt.from) {
				t.Errorf("got %s still referenced", tt.from)
			}
			if errs := d.Validate(); len(errs) > 0 {
				t.Errorf("got %v, want a valid document after the rename", errs)
			}
			if i := slices.Index(c.Keys(d), tt.to); i < 0 {
				t.Errorf("got keys %q, want %s in place", c.Keys(d), tt.to)
			}
		})
	}
}

func flat(d *Document, f func(Activity) []string) []string {
	var out []string
	for _, a := range d.Activities {
		out = append(out, f(a)...)
	}
	return out
}

func setKey(item any, key string) {
	fieldValue(item, "key").SetString(key)
}

func TestPutAndDelete(t *testing.T) {
	d := Demo()
	c := collection(t, "purposes")
	n := len(d.Purposes)
	item, _, err := c.Decode([]byte(`{"key":"research","name":{"fr":"Recherche","en":"Research"},"consent":"express"}`))
	if err != nil {
		t.Fatal(err)
	}
	if created := c.Put(d, "research", item); !created || len(d.Purposes) != n+1 || d.Purposes[n].Key != "research" {
		t.Fatalf("got created=%v, %d purposes, want the item appended", created, len(d.Purposes))
	}
	if got, ok := c.Get(d, "research"); !ok || got.(*Purpose).Name.EN != "Research" {
		t.Errorf("got %v, %v, want the new purpose", got, ok)
	}
	// Get returns a copy: changing it must not change the document.
	got, _ := c.Get(d, "research")
	got.(*Purpose).Name.FR = "changé"
	if d.Purposes[n].Name.FR != "Recherche" {
		t.Errorf("got %q, want Get to return a copy", d.Purposes[n].Name.FR)
	}
	if !c.Delete(d, "research") || c.Delete(d, "research") || len(d.Purposes) != n {
		t.Errorf("got %d purposes, want delete once", len(d.Purposes))
	}
	refs := d.ReferencesTo("purposes", "newsletter")
	if want := []string{"newsletter"}; !slices.Equal(refs, want) {
		t.Errorf("got %q, want %q", refs, want)
	}
	c.Delete(d, "newsletter")
	if got := fields(d.Validate()); !slices.Equal(got, []string{"activities[9].purposes[0]"}) {
		t.Errorf("got %q, want the dangling reference reported", got)
	}
}

func TestDecodeItem(t *testing.T) {
	c := collection(t, "cookies")
	_, _, err := c.Decode([]byte(`{"key":"x","colour":"red"}`))
	if !privaq.IsCode(err, privaq.EValidation) {
		t.Errorf("got %v, want validation_failed for an unknown field", err)
	}
}

func TestReferencesTo(t *testing.T) {
	d := Demo()
	tests := []struct {
		coll, key string
		want      []string
	}{
		{"purposes", "day-camps", []string{"camp-registration", "camp-lottery"}},
		{"data_categories", "banking", []string{"online-donations"}},
		{"subject_categories", "volunteers", []string{"volunteer-screening", "volunteer-scheduling"}},
		{"systems", "mailchimp", []string{"newsletter"}},
		{"recipients", "meta", []string{"social-ads"}},
		{"retention_rules", "web-statistics", []string{"web-analytics", "social-ads"}},
		{"retention_rules", "nope", nil},
		{"cookies", "ga", nil},
	}
	for _, tt := range tests {
		t.Run(tt.coll+"/"+tt.key, func(t *testing.T) {
			if got := d.ReferencesTo(tt.coll, tt.key); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	d := &Document{Activities: []Activity{{Key: "a"}}, Org: Profile{Name: " untrimmed "}}
	d.Normalize()
	var b strings.Builder
	if err := d.Encode(&b, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("got %s, want no null", b.String())
	}
	if d.Activities[0].Purposes == nil || d.Measures == nil || d.Org.Languages == nil {
		t.Errorf("got nil lists after Normalize")
	}
	if d.Org.Name != " untrimmed " {
		t.Errorf("got %q, want the name untouched", d.Org.Name)
	}
}
