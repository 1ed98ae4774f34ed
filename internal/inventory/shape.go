package inventory

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"privaq"
)

// The decoders of encoding/json and yaml.v3 say that a field is unknown or
// has the wrong type, but not where in the document: these walks compare the
// parsed tree with the Go types and name the path, as SPEC §4 requires.

var docType = reflect.TypeFor[Document]()

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func unknownField(path, name string) *privaq.Error {
	e := privaq.FieldError(joinPath(path, name), "Unknown field %q: remove it or check its spelling.", name)
	e.FR = fr(fmt.Sprintf("Champ inconnu « %s » : retirez-le ou vérifiez son orthographe.", name))
	return e
}

func wrongType(path string, t reflect.Type) *privaq.Error {
	e := privaq.FieldError(path, "This value has the wrong type: it must be %s.", typeWord(t))
	e.FR = fr("Cette valeur n’a pas le bon type pour ce champ.")
	return e
}

func typeWord(t reflect.Type) string {
	if t == reflect.TypeFor[Text]() {
		return "an object with fr and en texts"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	}
	return "a text"
}

// structField finds the field of struct type t that a document key names;
// fold matches case-insensitively, as encoding/json does.
func structField(t reflect.Type, tagKey, name string, fold bool) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get(tagKey), ",")
		if tag == name || (fold && strings.EqualFold(tag, name)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// findYAML returns the first place where n does not fit type t.
func findYAML(n *yaml.Node, t reflect.Type, path string) *privaq.Error {
	switch {
	case n.Kind == yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return findYAML(n.Content[0], t, path)
	case n.Kind == yaml.AliasNode:
		return nil // yaml.v3 expands and checks aliases itself, within limits
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return wrongType(path, t)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" {
				continue
			}
			f, ok := structField(t, "yaml", k.Value, false)
			if !ok {
				return unknownField(path, k.Value)
			}
			if e := findYAML(v, f.Type, joinPath(path, k.Value)); e != nil {
				return e
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return wrongType(path, t)
		}
		for i, c := range n.Content {
			if e := findYAML(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); e != nil {
				return e
			}
		}
	default:
		if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
			return wrongType(path, t)
		}
	}
	return nil
}

type jsonProblem struct {
	unknown string // the unknown field's name, or "" for a type error
	err     *privaq.Error
}

// findJSON lists the places where v, decoded with UseNumber, does not fit
// type t, visiting object keys in sorted order so the result is stable.
func findJSON(v any, t reflect.Type, path string) []jsonProblem {
	if v == nil {
		return nil
	}
	var out []jsonProblem
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return []jsonProblem{{err: wrongType(path, t)}}
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			f, ok := structField(t, "json", k, true)
			if !ok {
				out = append(out, jsonProblem{unknown: k, err: unknownField(path, k)})
				continue
			}
			out = append(out, findJSON(m[k], f.Type, joinPath(path, k))...)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return []jsonProblem{{err: wrongType(path, t)}}
		}
		for i, e := range l {
			out = append(out, findJSON(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return []jsonProblem{{err: wrongType(path, t)}}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return []jsonProblem{{err: wrongType(path, t)}}
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, 64); !ok || err != nil {
			return []jsonProblem{{err: wrongType(path, t)}}
		}
	}
	return out
}
