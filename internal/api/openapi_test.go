package api

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"privaq/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadOpenAPI parses and validates the served document.
func loadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData((&API{}).OpenAPI())
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi: got %q, want %q", got, want)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: got operationId %q, summary %q, tags %v; want all three", where, op.OperationID, op.Summary, op.Tags)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also used by %s", where, op.OperationID, prev)
			}
			ids[op.OperationID] = where
			public := op.Security != nil && len(*op.Security) == 0
			if got, want := public, path == "/api/v1/openapi.json"; got != want {
				t.Errorf("%s: got public %v, want %v", where, got, want)
			}
			if !public && op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s: got no 401 response, want one", where)
			}
		}
	}
}

// openAPIPath translates a ServeMux pattern into an OpenAPI path template.
func openAPIPath(pattern string) string {
	pattern = strings.TrimSuffix(pattern, "{$}")
	return regexp.MustCompile(`\{(\w+)\.\.\.\}`).ReplaceAllString(pattern, "{$1}")
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	var registered []string
	for _, r := range (&API{}).Routes(http.NewServeMux()) {
		registered = append(registered, r.Method+" "+openAPIPath(r.Pattern))
	}
	var described []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	for _, r := range registered {
		if !slices.Contains(described, r) {
			t.Errorf("route %s: got no operation in the document, want one", r)
		}
	}
	for _, d := range described {
		if !slices.Contains(registered, d) {
			t.Errorf("operation %s: got no registered route, want one", d)
		}
	}
	if got, want := len(described), len(registered); got != want {
		t.Errorf("got %d operations, want %d (one per route)", got, want)
	}
}

// TestOpenAPIItemSchemas proves the schemas derived from the field
// descriptors name exactly the JSON fields of the Go types.
func TestOpenAPIItemSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, c := range inventory.Collections {
		typ := reflect.TypeOf(c.Empty()).Elem()
		t.Run(c.Name(), func(t *testing.T) {
			s := doc.Components.Schemas[typ.Name()]
			if s == nil {
				t.Fatalf("got no schema %s, want one", typ.Name())
			}
			var got, want []string
			for name := range s.Value.Properties {
				got = append(got, name)
			}
			for i := range typ.NumField() {
				name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
				want = append(want, name)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("properties: got %v, want %v", got, want)
			}
		})
	}
}

// TestOpenAPIPatterns checks the document's patterns against the values the
// inventory accepts and refuses.
func TestOpenAPIPatterns(t *testing.T) {
	doc := loadOpenAPI(t)
	props := func(schema, field string) *openapi3.Schema {
		return doc.Components.Schemas[schema].Value.Properties[field].Value
	}
	for _, tc := range []struct {
		schema, field, value string
		ok                   bool
	}{
		{"RetentionRule", "period", "P7Y", true},
		{"RetentionRule", "period", "P1Y6M", true},
		{"RetentionRule", "period", "PT12H", true},
		{"RetentionRule", "period", "P1DT2H30M", true},
		{"RetentionRule", "period", "P", false},
		{"RetentionRule", "period", "P1DT", false},
		{"RetentionRule", "period", "7 years", false},
		{"RetentionRule", "period", "session", false},
		{"Cookie", "duration", "session", true},
		{"Cookie", "duration", "P13M", true},
		{"Cookie", "duration", "forever", false},
		{"System", "location", "CA-QC", true},
		{"System", "location", "US", true},
		{"System", "location", "ca", false},
		{"Purpose", "key", "marketing_2024", true},
		{"Purpose", "key", "-bad", false},
		{"Purpose", "key", "Bad", false},
	} {
		err := props(tc.schema, tc.field).VisitJSON(tc.value, openapi3.EnableJSONSchema2020())
		if got := err == nil; got != tc.ok {
			t.Errorf("%s.%s = %q: got valid %v, want %v (%v)", tc.schema, tc.field, tc.value, got, tc.ok, err)
		}
		if tc.field == "period" || tc.field == "duration" {
			if got, want := inventory.Duration(tc.value).Valid() || (tc.field == "duration" && tc.value == "session"), tc.ok; got != want {
				t.Errorf("inventory.Duration(%q): got valid %v, want %v", tc.value, got, want)
			}
		}
	}
}

func TestOpenAPIGolden(t *testing.T) {
	got := (&API{}).OpenAPI()
	golden := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read %s (run go test -update to create it): %v", golden, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the OpenAPI document differs from %s; if the change is intended, run go test ./internal/api -run TestOpenAPIGolden -update and review the diff", golden)
	}
}
