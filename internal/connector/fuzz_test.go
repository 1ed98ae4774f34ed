package connector

import (
	"encoding/json"
	"regexp"
	"testing"
)

// sqlShape is what a generated condition may contain: quoted names,
// placeholders, IN subqueries. A mapping that validates can never put
// anything else in SQL.
var sqlShape = regexp.MustCompile(`^[A-Za-z0-9_$"\x60 .=?()]*$`)

// FuzzMapping feeds arbitrary mappings (as the API and the admin receive
// them) to the validation and, when it passes, to the SQL builder.
func FuzzMapping(f *testing.F) {
	seed, _ := json.Marshal(SampleMapping())
	f.Add(seed)
	f.Add([]byte(`[{"name":"t","subject_column":"a\"; DROP TABLE x; --","identifier":"email","erasure":"delete"}]`))
	f.Add([]byte(`[{"name":"a","parent":"b","foreign_key":"x","parent_key":"y","erasure":"delete"},{"name":"b","parent":"a","foreign_key":"x","parent_key":"y","erasure":"delete"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tables []Table
		if json.Unmarshal(data, &tables) != nil {
			return
		}
		for _, d := range dialects {
			if validate(d, tables) != nil {
				continue
			}
			p := &plan{d: d, tables: tables, byName: map[string]int{}, ids: Identifiers{"email": "x"}}
			for i, tb := range tables {
				p.byName[tb.Name] = i
			}
			for _, tb := range p.deepestFirst() {
				if p.missingIdentifier(tb) != "" {
					continue
				}
				a := &args{d: d}
				if w := p.where(tb, a) + d.table(tb.Name); !sqlShape.MatchString(w) {
					t.Fatalf("unexpected SQL %q from %s", w, data)
				}
			}
		}
	})
}
