package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"privaq"
)

func TestStoredItemIsAnswered(t *testing.T) {
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		res := ta.do(t, request{method: "POST", path: ta.orgPath("/activities"), token: ta.tokens[privaq.RoleStaff],
			body: map[string]any{"key": "bare", "name": map[string]string{"fr": "Activité nue"}}})
		if res.status != http.StatusCreated {
			t.Fatalf("got %d %s, want 201", res.status, res.body)
		}
		var got map[string]any
		json.Unmarshal(res.body, &got)
		for _, f := range []string{"purposes", "sources", "systems"} {
			if _, ok := got[f].([]any); !ok {
				t.Errorf("%s: got %v, want [] as stored", f, got[f])
			}
		}
	})
}

func TestPutCannotCreateUnderAnotherKey(t *testing.T) {
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		res := ta.do(t, request{method: "PUT", path: ta.orgPath("/purposes/zzz"), token: ta.tokens[privaq.RoleStaff],
			body: map[string]any{"key": "yyy", "name": map[string]string{"fr": "Y"}, "consent": "implied"}})
		var e struct{ Error struct{ Code, Field string } }
		json.Unmarshal(res.body, &e)
		if res.status != http.StatusUnprocessableEntity || e.Error.Field != "key" {
			t.Fatalf("got %d %s, want 422 on key", res.status, res.body)
		}
		res = ta.do(t, request{method: "PUT", path: ta.orgPath("/purposes/zzz"), token: ta.tokens[privaq.RoleStaff],
			body: map[string]any{"key": "zzz", "name": map[string]string{"fr": "Z"}, "consent": "implied"}})
		if res.status != http.StatusCreated || !strings.HasSuffix(res.header.Get("Location"), "/purposes/zzz") {
			t.Errorf("create by PUT: got %d, Location %q; want 201 with Location", res.status, res.header.Get("Location"))
		}
	})
}

func TestWrongMethodIs405(t *testing.T) {
	ta := newTestAPI(t, "")
	req, _ := http.NewRequest("PATCH", ta.srv.URL+ta.orgPath("/purposes"), nil)
	req.Header.Set("Authorization", "Bearer "+ta.tokens[privaq.RoleOfficer])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST" || !strings.Contains(string(body), `"method_not_allowed"`) {
		t.Errorf("got %d Allow=%q %s; want 405, Allow: GET, POST and a JSON error", res.StatusCode, res.Header.Get("Allow"), body)
	}
	res, err = http.Get(ta.srv.URL + "/api/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown path: got %d %s, want a JSON 404", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
