package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"privaq"
)

// FieldKind says how a field of a collection item is entered and checked.
// The admin forms, the OpenAPI schemas and the API all read these descriptors,
// so the three stay in step with the Go types.
type FieldKind string

// Field kinds.
const (
	KindKey      FieldKind = "key"      // stable slug chosen by the user
	KindString   FieldKind = "string"   // one line of text, not translated
	KindText     FieldKind = "text"     // {fr, en}, one line
	KindLongText FieldKind = "longtext" // {fr, en}, paragraphs
	KindBool     FieldKind = "bool"
	KindEnum     FieldKind = "enum"     // one of Options
	KindSet      FieldKind = "set"      // several of Options
	KindRef      FieldKind = "ref"      // the key of an item of collection Ref
	KindRefs     FieldKind = "refs"     // keys of items of collection Ref
	KindLocation FieldKind = "location" // ISO 3166 code, CA-QC for Quebec
	KindDuration FieldKind = "duration" // ISO 8601 duration
	KindList     FieldKind = "list"     // free strings, one per line in forms
)

// Field describes one field of a collection item.
type Field struct {
	Name     string // JSON and YAML name
	Kind     FieldKind
	Required bool
	Options  []string // enum and set values
	Ref      string   // collection name for ref and refs
	Session  bool     // a duration that may also be "session"
}

// Collection describes one inventory collection.
type Collection interface {
	Name() string // document name, e.g. data_categories
	Path() string // URL segment, e.g. data-categories
	Fields() []Field
	// Keys lists the keys of the items in doc, in order.
	Keys(doc *Document) []string
	// Get returns the item with key, or false.
	Get(doc *Document, key string) (any, bool)
	// List returns the items in order.
	List(doc *Document) []any
	// Decode parses one item from JSON, rejecting unknown fields.
	Decode(data []byte) (item any, key string, err error)
	// Put replaces the item with key (keeping its place) or appends item.
	// The item's own key may differ from key: that renames it, and the
	// references to it are renamed too.
	Put(doc *Document, key string, item any) (created bool)
	// Delete removes the item with key, reporting whether it existed.
	Delete(doc *Document, key string) bool
	// Empty returns a zero item, for new-item forms.
	Empty() any
	// SetKey sets the key of an item made by Decode or Empty.
	SetKey(item any, key string)
}

type coll[T any] struct {
	name, path string
	fields     []Field
	items      func(*Document) *[]T
	key        func(*T) *string
}

func (c *coll[T]) Name() string    { return c.name }
func (c *coll[T]) Path() string    { return c.path }
func (c *coll[T]) Fields() []Field { return c.fields }
func (c *coll[T]) Empty() any      { return new(T) }

func (c *coll[T]) SetKey(item any, key string) { *c.key(item.(*T)) = key }

func (c *coll[T]) find(doc *Document, key string) int {
	return slices.IndexFunc(*c.items(doc), func(t T) bool { return *c.key(&t) == key })
}

func (c *coll[T]) Keys(doc *Document) []string {
	items := *c.items(doc)
	keys := make([]string, len(items))
	for i := range items {
		keys[i] = *c.key(&items[i])
	}
	return keys
}

func (c *coll[T]) Get(doc *Document, key string) (any, bool) {
	i := c.find(doc, key)
	if i < 0 {
		return nil, false
	}
	item := (*c.items(doc))[i]
	return &item, true
}

func (c *coll[T]) List(doc *Document) []any {
	items := *c.items(doc)
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func (c *coll[T]) Decode(data []byte) (any, string, error) {
	item := new(T)
	if err := DecodeJSON(bytes.NewReader(data), item); err != nil {
		return nil, "", err
	}
	return item, *c.key(item), nil
}

func (c *coll[T]) Put(doc *Document, key string, item any) bool {
	t := *item.(*T)
	items := c.items(doc)
	i := c.find(doc, key)
	if i < 0 {
		*items = append(*items, t)
		return true
	}
	(*items)[i] = t
	if newKey := *c.key(&t); newKey != key {
		renameRefs(doc, c.name, key, newKey)
	}
	return false
}

func (c *coll[T]) Delete(doc *Document, key string) bool {
	i := c.find(doc, key)
	if i < 0 {
		return false
	}
	*c.items(doc) = slices.Delete(*c.items(doc), i, i+1)
	return true
}

// renameRefs follows a renamed key into the activities that point at it.
func renameRefs(doc *Document, coll, from, to string) {
	for i := range doc.Activities {
		a := &doc.Activities[i]
		var refs *[]string
		switch coll {
		case "purposes":
			refs = &a.Purposes
		case "data_categories":
			refs = &a.DataCategories
		case "subject_categories":
			refs = &a.Subjects
		case "systems":
			refs = &a.Systems
		case "recipients":
			refs = &a.Recipients
		case "retention_rules":
			if a.Retention == from {
				a.Retention = to
			}
		}
		if refs != nil {
			for j, k := range *refs {
				if k == from {
					(*refs)[j] = to
				}
			}
		}
	}
}

var (
	consentOptions  = []string{string(ConsentExpress), string(ConsentImplied), string(ConsentNotRequired)}
	recipientRoles  = []string{string(RoleProcessor), string(RoleThirdParty), string(RolePublicBody), string(RolePartner)}
	triggers        = []string{string(TriggerCollection), string(TriggerEndOfRelationship), string(TriggerLastActivity), string(TriggerEvent)}
	actions         = []string{string(ActionDestroy), string(ActionAnonymize)}
	cookieCats      = []string{string(CookieNecessary), string(CookiePreferences), string(CookieStatistics), string(CookieMarketing)}
	parties         = []string{"first", "third"}
	measureKinds    = []string{string(MeasureGovernance), string(MeasureSecurity), string(MeasureTraining), string(MeasureConfidentiality)}
	keyField        = Field{Name: "key", Kind: KindKey, Required: true}
	requiredName    = Field{Name: "name", Kind: KindText, Required: true}
	requiredStrName = Field{Name: "name", Kind: KindString, Required: true}
)

// Collections lists the inventory collections in the order of the document.
var Collections = []Collection{
	&coll[Purpose]{name: "purposes", path: "purposes",
		fields: []Field{keyField, requiredName,
			{Name: "description", Kind: KindLongText},
			{Name: "consent", Kind: KindEnum, Required: true, Options: consentOptions},
			{Name: "exception", Kind: KindLongText}},
		items: func(d *Document) *[]Purpose { return &d.Purposes }, key: func(t *Purpose) *string { return &t.Key }},
	&coll[DataCategory]{name: "data_categories", path: "data-categories",
		fields: []Field{keyField, requiredName,
			{Name: "examples", Kind: KindText},
			{Name: "sensitive", Kind: KindBool}},
		items: func(d *Document) *[]DataCategory { return &d.DataCategories }, key: func(t *DataCategory) *string { return &t.Key }},
	&coll[SubjectCategory]{name: "subject_categories", path: "subject-categories",
		fields: []Field{keyField, requiredName, {Name: "minors", Kind: KindBool}},
		items:  func(d *Document) *[]SubjectCategory { return &d.SubjectCategories }, key: func(t *SubjectCategory) *string { return &t.Key }},
	&coll[System]{name: "systems", path: "systems",
		fields: []Field{keyField, requiredStrName,
			{Name: "provider", Kind: KindString},
			{Name: "location", Kind: KindLocation, Required: true},
			{Name: "safeguards", Kind: KindLongText}},
		items: func(d *Document) *[]System { return &d.Systems }, key: func(t *System) *string { return &t.Key }},
	&coll[Recipient]{name: "recipients", path: "recipients",
		fields: []Field{keyField, requiredStrName,
			{Name: "role", Kind: KindEnum, Required: true, Options: recipientRoles},
			{Name: "location", Kind: KindLocation, Required: true},
			{Name: "contract", Kind: KindBool},
			{Name: "pia", Kind: KindBool},
			{Name: "purpose", Kind: KindLongText}},
		items: func(d *Document) *[]Recipient { return &d.Recipients }, key: func(t *Recipient) *string { return &t.Key }},
	&coll[RetentionRule]{name: "retention_rules", path: "retention-rules",
		fields: []Field{keyField, requiredName,
			{Name: "period", Kind: KindDuration, Required: true},
			{Name: "trigger", Kind: KindEnum, Required: true, Options: triggers},
			{Name: "action", Kind: KindEnum, Required: true, Options: actions},
			{Name: "reference", Kind: KindString}},
		items: func(d *Document) *[]RetentionRule { return &d.RetentionRules }, key: func(t *RetentionRule) *string { return &t.Key }},
	&coll[Activity]{name: "activities", path: "activities",
		fields: []Field{keyField, requiredName,
			{Name: "purposes", Kind: KindRefs, Ref: "purposes"},
			{Name: "data_categories", Kind: KindRefs, Ref: "data_categories"},
			{Name: "subjects", Kind: KindRefs, Ref: "subject_categories"},
			{Name: "sources", Kind: KindSet, Options: Sources},
			{Name: "collection_means", Kind: KindSet, Options: CollectionMeans},
			{Name: "systems", Kind: KindRefs, Ref: "systems"},
			{Name: "recipients", Kind: KindRefs, Ref: "recipients"},
			{Name: "retention", Kind: KindRef, Ref: "retention_rules"},
			{Name: "automated_decision", Kind: KindBool},
			{Name: "profiling", Kind: KindBool}},
		items: func(d *Document) *[]Activity { return &d.Activities }, key: func(t *Activity) *string { return &t.Key }},
	&coll[Cookie]{name: "cookies", path: "cookies",
		fields: []Field{keyField, requiredStrName,
			{Name: "service", Kind: KindString},
			{Name: "provider", Kind: KindString},
			{Name: "category", Kind: KindEnum, Required: true, Options: cookieCats},
			{Name: "purpose", Kind: KindLongText},
			{Name: "duration", Kind: KindDuration, Required: true, Session: true},
			{Name: "party", Kind: KindEnum, Required: true, Options: parties},
			{Name: "patterns", Kind: KindList}},
		items: func(d *Document) *[]Cookie { return &d.Cookies }, key: func(t *Cookie) *string { return &t.Key }},
	&coll[Measure]{name: "measures", path: "measures",
		fields: []Field{keyField,
			{Name: "kind", Kind: KindEnum, Required: true, Options: measureKinds},
			{Name: "text", Kind: KindLongText, Required: true}},
		items: func(d *Document) *[]Measure { return &d.Measures }, key: func(t *Measure) *string { return &t.Key }},
}

// CollectionByPath finds a collection by its URL segment.
func CollectionByPath(path string) (Collection, bool) {
	for _, c := range Collections {
		if c.Path() == path {
			return c, true
		}
	}
	return nil, false
}

// CollectionByName finds a collection by its document name.
func CollectionByName(name string) (Collection, bool) {
	for _, c := range Collections {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}

// DecodeJSON decodes exactly one JSON value into v, rejecting unknown fields
// and trailing data, and turns decoder errors into coded errors with a field
// path where the decoder knows it.
func DecodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return privaq.Errorf(privaq.EInvalidJSON, "unexpected data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()), FR: fr(fmt.Sprintf("JSON mal formé à l’octet %d.", syn.Offset)), Err: err}
	case errors.As(err, &typ):
		return &privaq.Error{Code: privaq.EValidation, Field: typ.Field, Message: fmt.Sprintf("%s must be %s, not %s", fieldLabel(typ.Field), jsonTypeName(typ.Type.Kind().String()), typ.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: "the JSON document is empty or cut short", FR: "Le document JSON est vide ou tronqué."}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields; its message
		// format is stable and documented by DisallowUnknownFields.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &privaq.Error{Code: privaq.EValidation, Field: name, Message: fmt.Sprintf("unknown field %q", name), FR: fr(fmt.Sprintf("Champ inconnu « %s ».", name))}
	}
	var pe *privaq.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &privaq.Error{Code: privaq.EInvalidJSON, Message: "malformed JSON: " + err.Error(), Err: err}
}

func fieldLabel(f string) string {
	if f == "" {
		return "the document"
	}
	return f
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "of type " + kind
}
