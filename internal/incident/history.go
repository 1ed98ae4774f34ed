package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// diff lists the fields whose value differs between two versions of an
// incident's details, as people read them: dates as written, lists joined,
// texts whole. The history keeps the values themselves, so that the
// register can show what the incident said at any time (sealed at rest,
// as the details are).
func diff(old, new Details) []Change {
	a, b := flatten(old.Input()), flatten(new.Input())
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []Change
	for _, k := range keys {
		if a[k] != b[k] {
			out = append(out, Change{Field: k, From: a[k], To: b[k]})
		}
	}
	return out
}

// flatten maps each field of an input, nested ones by dotted path, to its
// value as text; empty values are left out.
func flatten(in Input) map[string]string {
	data, _ := json.Marshal(in)
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // counts stay as written, not 1e+07
	dec.Decode(&m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			if len(parts) > 0 {
				out[prefix] = strings.Join(parts, ", ")
			}
		case nil:
		case bool:
			if x {
				out[prefix] = "true"
			}
		case string:
			if x != "" {
				out[prefix] = x
			}
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", m)
	return out
}
