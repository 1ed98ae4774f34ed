package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"gopkg.in/yaml.v3"

	"privaq"
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

// The test client of api_test.go and tenancy_test.go: every request it
// sends and every response it gets is validated against the document, so
// the document is proved to describe what the handlers really do.

// openAPIRouter finds operations in the served document; it is read-only,
// so the tests share one.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	for _, mt := range []string{"application/yaml", "application/x-yaml", "text/yaml"} {
		openapi3filter.RegisterBodyDecoder(mt, decodeYAMLBody)
	}
	doc, err := openapi3.NewLoader().LoadFromData((&API{}).OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// invalidKey marks, in a request's context, a request the document must reject.
type invalidKey struct{}

// decodeYAMLBody makes the validator read YAML bodies the way privaq's
// inventory.Date does: kin-openapi's decoder (like yaml.v3 into any) turns
// an unquoted date such as adopted_on: 2024-05-02 into a time.Time, which no
// JSON Schema string matches, although the same date is a string in JSON.
func decodeYAMLBody(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var n yaml.Node
	if err := yaml.NewDecoder(body).Decode(&n); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	v, err := yamlValue(&n)
	if err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return v, nil
}

func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	}
	if n.ShortTag() == "!!timestamp" {
		return n.Value, nil
	}
	var v any
	err := n.Decode(&v)
	return v, err
}

// checker is the test client's transport: it validates every request and
// every response against the OpenAPI document. A request marked invalid
// must be one the document rejects (bad input is refused by the contract
// as well as by the server); its response must still match the document.
type checker struct {
	t      *testing.T
	router routers.Router
}

func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer pq_") {
		return errors.New("no bearer token")
	}
	return nil
}

func (c checker) RoundTrip(req *http.Request) (*http.Response, error) {
	t := c.t
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	ctx := req.Context()
	out := req.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	check := req.Clone(ctx)
	check.Body = io.NopCloser(bytes.NewReader(body))
	where := req.Method + " " + req.URL.RequestURI()
	route, params, err := c.router.FindRoute(check)
	if err != nil {
		t.Errorf("%s: got no operation in the OpenAPI document (%v), want one", where, err)
		return http.DefaultTransport.RoundTrip(out)
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerAuth}}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	switch invalid := ctx.Value(invalidKey{}) != nil; {
	case invalid && reqErr == nil:
		t.Errorf("%s: got a request the OpenAPI document accepts, want one it rejects", where)
	case !invalid && reqErr != nil:
		t.Errorf("%s: the request does not match the OpenAPI document: %v", where, reqErr)
	}
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(rb))
	if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(rb)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}); err != nil {
		t.Errorf("%s: the %d response does not match the OpenAPI document: %v\n%s", where, res.StatusCode, err, rb)
	}
	return res, nil
}

// request is one call of the API by a test.
type request struct {
	method, path string
	token        string
	body         any    // string or []byte as is; anything else as JSON
	contentType  string // application/json when there is a body
	invalid      bool   // the OpenAPI document rejects this request
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (ta *testAPI) do(t *testing.T, r request) response {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	ctx := context.Background()
	if r.invalid {
		ctx = context.WithValue(ctx, invalidKey{}, true)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, ta.srv.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := (&http.Client{Transport: checker{t, ta.router}}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, data}
}

// want checks the status, and the error code and field of an error answer.
func (r response) want(t *testing.T, status int, code privaq.Code, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d (%s)", r.status, status, r.body)
	}
	if status < 400 {
		return
	}
	var e struct{ Error errorBody }
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if e.Error.Code != code || e.Error.Field != field {
		t.Errorf("error: got code %q field %q, want code %q field %q (%s)", e.Error.Code, e.Error.Field, code, field, e.Error.Message)
	}
}

func (r response) decode(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}
