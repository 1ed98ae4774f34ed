package inventory

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 writes every string that holds a line break as a literal block,
// and its emitter loses or garbles some of them: a leading line break, a
// line starting with a tab or a space, trailing spaces. An export must
// read back exactly as it was, so Encode builds the YAML tree itself and
// writes those strings double-quoted, keeping readable literal blocks for
// ordinary paragraphs.

// yamlNode returns the YAML tree of v, following the yaml struct tags
// (name, omitempty, flow) as yaml.v3's own encoder does.
func yamlNode(v reflect.Value) *yaml.Node {
	if m, ok := v.Interface().(yaml.Marshaler); ok {
		if out, err := m.MarshalYAML(); err == nil {
			if n, ok := out.(*yaml.Node); ok {
				return n
			}
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		return yamlNode(v.Elem())
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t := v.Type()
		for i := range t.NumField() {
			name, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			fv := v.Field(i)
			if name == "" || name == "-" || (hasOpt(opts, "omitempty") && isEmpty(fv)) {
				continue
			}
			val := yamlNode(fv)
			if hasOpt(opts, "flow") {
				val.Style |= yaml.FlowStyle
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, val)
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range v.Len() {
			n.Content = append(n.Content, yamlNode(v.Index(i)))
		}
		return n
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	}
	return stringNode(v.String())
}

func hasOpt(opts, opt string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

func isEmpty(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		return z.IsZero()
	}
	if v.Kind() == reflect.Slice {
		return v.Len() == 0
	}
	return v.IsZero()
}

// base60 matches what YAML 1.1 reads as a sexagesimal number (1:30).
var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

func stringNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n"):
		n.Style = yaml.DoubleQuotedStyle
		if literalSafe(s) {
			n.Style = yaml.LiteralStyle
		}
	case base60.MatchString(s), isOldBool(s):
		// Quoted, as yaml.v3 does, so that YAML 1.1 readers see text.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func isOldBool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

// literalSafe reports whether yaml.v3 writes s as a literal block that
// reads back unchanged: no tab, no line starting or ending with a space,
// and no leading line break.
func literalSafe(s string) bool {
	if strings.ContainsRune(s, '\t') || strings.HasPrefix(s, "\n") {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
			return false
		}
	}
	return true
}
