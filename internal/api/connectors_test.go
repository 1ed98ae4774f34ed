package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// keySeq numbers the connectors TestTenancy creates.
var keySeq atomic.Int64

func (ta *testAPI) shopPath() string { return filepath.Join(ta.shopDir, ta.a.Slug, "shop.db") }

func mappingJSON(t *testing.T) string {
	b, err := json.Marshal(map[string]any{"tables": connector.SampleMapping()})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// connectorBody is a valid body for a connector route of TestTenancy.
func (ta *testAPI) connectorBody(t *testing.T, rest string) any {
	switch {
	case rest == "/connectors":
		return `{"key":"crm-` + strconv.FormatInt(keySeq.Add(1), 10) + `","kind":"sqlite","dsn":` + strconv.Quote(ta.shopPath()) + `}`
	case strings.HasSuffix(rest, "/tables"):
		return mappingJSON(t)
	case strings.HasSuffix(rest, "/identifiers"):
		return `{"identifiers":{"email":"alice@example.org"}}`
	case strings.HasSuffix(rest, "/clarify"):
		return `{"question":"Quel est votre numéro de client ?"}`
	case strings.HasSuffix(rest, "/assign"):
		return `{"assignee_id":0}`
	case strings.HasSuffix(rest, "/extend"):
		return `{"reason":"Volume"}`
	case strings.HasSuffix(rest, "/erase"):
		return `{"dry_run":true}`
	case strings.HasSuffix(rest, "/rectify"):
		return `{"corrections":[{"connector":"shop","table":"customers","column":"name","value":"Alice T."}]}`
	}
	return nil
}

// connectorOfA registers org A's shop connector the first time.
func (ta *testAPI) connectorOfA(t *testing.T) string {
	t.Helper()
	if _, _, err := ta.db.ConnectorDSN(context.Background(), ta.a.ID, "shop"); err == nil {
		return "shop"
	}
	officer := ta.tokens[privaq.RoleOfficer]
	ta.do(t, request{method: "POST", path: ta.orgPath("/connectors"), token: officer,
		body: `{"key":"shop","kind":"sqlite","dsn":` + strconv.Quote(ta.shopPath()) + `}`}).want(t, http.StatusCreated, "", "")
	ta.do(t, request{method: "PUT", path: ta.orgPath("/connectors/shop/tables"), token: officer, body: mappingJSON(t)}).want(t, http.StatusOK, "", "")
	return "shop"
}

// verifiedRequestOfA is a request of org A of the given type, its
// identity verified and alice's email as identifier, made the first time.
func (ta *testAPI) verifiedRequestOfA(t *testing.T, typ rights.Type) string {
	t.Helper()
	list, err := ta.db.Requests(context.Background(), ta.a.ID, rights.Filter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	staff := ta.tokens[privaq.RoleStaff]
	if len(list) == 0 {
		body := strings.Replace(requestJSON, `"type":"access"`, `"type":"`+string(typ)+`"`, 1)
		ta.do(t, request{method: "POST", path: ta.orgPath("/requests"), token: staff, body: body}).want(t, http.StatusCreated, "", "")
		list, _ = ta.db.Requests(context.Background(), ta.a.ID, rights.Filter{Type: typ})
	}
	r := list[0]
	id := strconv.FormatInt(int64(r.ID), 10)
	if r.Identity == nil {
		ta.do(t, request{method: "POST", path: ta.orgPath("/requests/" + id + "/verify-identity"), token: staff, body: `{"method":"document_seen"}`}).
			want(t, http.StatusOK, "", "")
	}
	if r.Identifiers["email"] != "alice@example.org" {
		ta.do(t, request{method: "PUT", path: ta.orgPath("/requests/" + id + "/identifiers"), token: staff,
			body: `{"identifiers":{"email":"alice@example.org"}}`}).want(t, http.StatusOK, "", "")
	}
	ta.connectorOfA(t)
	return id
}

// exportOfA and runOfA make an archive and a planned run on A's request.
func (ta *testAPI) exportOfA(t *testing.T) string {
	t.Helper()
	id := ta.verifiedRequestOfA(t, rights.TypeAccess)
	res := ta.do(t, request{method: "POST", path: ta.orgPath("/requests/" + id + "/collect"), token: ta.tokens[privaq.RoleStaff]})
	res.want(t, http.StatusCreated, "", "")
	return strconv.FormatInt(int64(res.decode(t)["id"].(float64)), 10)
}

func (ta *testAPI) runOfA(t *testing.T, kind string) string {
	t.Helper()
	typ := rights.TypeDeletion
	if kind == "rectify" {
		typ = rights.TypeRectification
	}
	id := ta.verifiedRequestOfA(t, typ)
	res := ta.do(t, request{method: "POST", path: ta.orgPath("/requests/" + id + "/" + kind), token: ta.tokens[privaq.RoleStaff],
		body: ta.connectorBody(t, "/"+kind)})
	res.want(t, http.StatusCreated, "", "")
	return strconv.FormatInt(int64(res.decode(t)["id"].(float64)), 10)
}

func TestConnectorsAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		officer, staff, auditor := ta.tokens[privaq.RoleOfficer], ta.tokens[privaq.RoleStaff], ta.tokens[privaq.RoleAuditor]
		base := ta.orgPath("/connectors")
		for _, c := range []struct {
			name, body, field string
			invalid           bool
		}{
			{"unknown kind", `{"key":"x","kind":"oracle","dsn":"x"}`, "kind", true},
			{"bad key", `{"key":"Shop DB","kind":"sqlite","dsn":"x"}`, "key", true},
			{"bad DSN", `{"key":"pg","kind":"postgres","dsn":"postgres://u:p@h:notaport/db"}`, "dsn", false},
			{"outside the directory", `{"key":"x","kind":"sqlite","dsn":"/etc/passwd"}`, "dsn", false},
		} {
			t.Run(c.name, func(t *testing.T) {
				ta.do(t, request{method: "POST", path: base, token: officer, body: c.body, invalid: c.invalid}).want(t, 422, privaq.EValidation, c.field)
			})
		}
		ta.do(t, request{method: "POST", path: base, token: staff, body: `{"key":"shop","kind":"sqlite","dsn":"x"}`}).want(t, 403, privaq.EForbidden, "")
		ta.connectorOfA(t)
		res := ta.do(t, request{method: "GET", path: base, token: auditor})
		res.want(t, 200, "", "")
		if strings.Contains(string(res.body), ta.shopDir) || strings.Contains(string(res.body), "dsn") {
			t.Errorf("the list shows the DSN: %s", res.body)
		}
		// A mapping to a missing column: 422 on its field, nothing stored.
		bad := connector.SampleMapping()
		bad[1].ForeignKey = "client_id"
		body, _ := json.Marshal(map[string]any{"tables": bad})
		ta.do(t, request{method: "PUT", path: base + "/shop/tables", token: officer, body: string(body)}).want(t, 422, privaq.EValidation, "tables[1].foreign_key")
		res = ta.do(t, request{method: "GET", path: base + "/shop/tables", token: auditor})
		res.want(t, 200, "", "")
		var mapping struct {
			Tables []connector.Table `json:"tables"`
			Report connector.Report  `json:"report"`
		}
		json.Unmarshal(res.body, &mapping)
		if len(mapping.Tables) != 6 || mapping.Tables[1].ForeignKey != "customer_id" {
			t.Fatalf("mapping after a refused change: %+v", mapping.Tables)
		}
		unindexed := map[string]bool{}
		for _, tr := range mapping.Report.Tables {
			unindexed[tr.Table] = !tr.Indexed
		}
		if !unindexed["order_items"] || unindexed["customers"] {
			t.Errorf("index report: %+v", mapping.Report.Tables)
		}
		res = ta.do(t, request{method: "POST", path: base + "/shop/test", token: officer})
		res.want(t, 200, "", "")
		if res.decode(t)["test_error"] != nil {
			t.Errorf("test: %s", res.body)
		}

		id := ta.verifiedRequestOfA(t, rights.TypeAccess)
		one := ta.orgPath("/requests/" + id)
		res = ta.do(t, request{method: "POST", path: one + "/collect", token: staff})
		res.want(t, 201, "", "")
		if rows := res.decode(t)["rows"].(float64); rows != 10 {
			t.Errorf("collected %v rows, want 10", rows)
		}
		export := strconv.FormatInt(int64(res.decode(t)["id"].(float64)), 10)
		res = ta.do(t, request{method: "GET", path: one + "/exports/" + export, token: auditor})
		res.want(t, 200, "", "")
		if _, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body))); err != nil {
			t.Errorf("the download is not a ZIP: %v", err)
		}
		ta.do(t, request{method: "GET", path: one + "/exports/999", token: auditor}).want(t, 404, privaq.ENotFound, "")

		// An access request erases nothing.
		ta.do(t, request{method: "POST", path: one + "/erase", token: staff, body: `{"dry_run":true}`}).want(t, 409, privaq.EConflict, "")
		one = ta.orgPath("/requests/" + ta.verifiedRequestOfA(t, rights.TypeDeletion))
		ta.do(t, request{method: "POST", path: one + "/collect", token: staff}).want(t, 409, privaq.EConflict, "")
		ta.do(t, request{method: "POST", path: one + "/erase", token: staff, body: `{"dry_run":false}`, invalid: true}).want(t, 422, privaq.EValidation, "dry_run")
		res = ta.do(t, request{method: "POST", path: one + "/erase", token: staff, body: `{"dry_run":true}`})
		res.want(t, 201, "", "")
		run := res.decode(t)
		if run["status"] != "planned" || len(run["plan"].([]any)) != 6 {
			t.Fatalf("dry run: %s", res.body)
		}
		runID := strconv.FormatInt(int64(run["id"].(float64)), 10)
		// No one erases alone, and a token is no one.
		ta.do(t, request{method: "POST", path: one + "/erase/" + runID + "/approve", token: officer}).want(t, 403, privaq.EForbidden, "")
		ta.do(t, request{method: "POST", path: one + "/rectify/" + runID + "/approve", token: officer}).want(t, 404, privaq.ENotFound, "")
		res = ta.do(t, request{method: "GET", path: one + "/runs", token: auditor})
		res.want(t, 200, "", "")
		if !strings.Contains(string(res.body), `"planned"`) {
			t.Errorf("runs: %s", res.body)
		}
		one = ta.orgPath("/requests/" + ta.verifiedRequestOfA(t, rights.TypeRectification))
		ta.do(t, request{method: "POST", path: one + "/rectify", token: staff, body: `{"corrections":[{"connector":"crm","table":"customers","column":"name","value":"x"}]}`}).
			want(t, 422, privaq.EValidation, "corrections[0].connector")
		ta.do(t, request{method: "POST", path: one + "/rectify", token: staff, body: ta.connectorBody(t, "/rectify")}).want(t, 201, "", "")
		ta.do(t, request{method: "GET", path: ta.orgPath("/destructions"), token: auditor}).want(t, 200, "", "")
		ta.do(t, request{method: "DELETE", path: base + "/shop", token: officer}).want(t, 204, "", "")
		ta.do(t, request{method: "GET", path: base + "/shop", token: officer}).want(t, 404, privaq.ENotFound, "")
	})
}
