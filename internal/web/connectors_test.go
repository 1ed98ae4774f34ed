package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// TestConnectorPages registers the sample shop from the connectors page,
// maps it (a missing column refused), then erases a person from a
// request's file: the dry run by staff, the approval refused to its
// planner and given by the officer, the destruction log after.
func TestConnectorPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		officer := s.browser(t)
		officer.login("officer@demo.test")
		page := "/admin/o/demo/connectors"
		tok := officer.csrf(page)
		code, body, _ := officer.post(page+"?lang=fr", url.Values{"_csrf": {tok}, "key": {"shop"}, "kind": {"sqlite"}, "dsn": {"/etc/passwd"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "répertoire") && !strings.Contains(body, "fichier") {
			t.Fatalf("a file outside the directory: got %d", code)
		}
		if strings.Contains(body, "/etc/passwd") {
			t.Error("the refused DSN is shown back")
		}
		if code, _, _ = officer.post(page, url.Values{"_csrf": {tok}, "key": {"shop"}, "kind": {"sqlite"}, "dsn": {s.shop}}); code != http.StatusSeeOther {
			t.Fatalf("add: got %d, want 303", code)
		}
		bad := connector.SampleMapping()
		bad[1].ForeignKey = "client_id"
		js, _ := json.Marshal(bad)
		code, body, _ = officer.post(page+"/shop/tables?lang=en", url.Values{"_csrf": {tok}, "tables": {string(js)}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "client_id") {
			t.Fatalf("missing column: got %d", code)
		}
		if code, _, _ = officer.post(page+"/shop/tables", url.Values{"_csrf": {tok}, "tables": {"[{"}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("bad JSON: got %d", code)
		}
		js, _ = json.Marshal(connector.SampleMapping())
		if code, _, _ = officer.post(page+"/shop/tables", url.Values{"_csrf": {tok}, "tables": {string(js)}}); code != http.StatusSeeOther {
			t.Fatalf("mapping: got %d", code)
		}
		for _, lang := range []string{"fr", "en"} {
			code, body = officer.get(page + "?lang=" + lang)
			if code != 200 || !strings.Contains(body, "order_items") {
				t.Fatalf("connectors page (%s): %d", lang, code)
			}
			if m := missingKeyRE.FindString(body); m != "" {
				t.Errorf("connectors page (%s): missing catalog key %s", lang, m)
			}
			if strings.Contains(body, s.shop) {
				t.Errorf("the page shows the DSN")
			}
		}
		if !strings.Contains(body, "Without an index") {
			t.Error("no warning about the lookups without an index")
		}

		svc := &rights.Service{Store: s.db, Inventory: s.db, Orgs: s.db, Clock: privaq.SystemClock{}}
		rq, err := svc.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rights.Input{Type: rights.TypeDeletion,
			Requester: rights.Person{Name: "Alice Tremblay", Email: "alice@example.org"}, Channel: rights.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		file := "/admin/o/demo/requests/" + strconv.FormatInt(int64(rq.ID), 10)
		staff := s.browser(t)
		staff.login("staff@demo.test")
		stok := staff.csrf(file)
		if code, _, _ = staff.post(file+"/erase", url.Values{"_csrf": {stok}}); code != http.StatusConflict {
			t.Fatalf("erase before identity: got %d, want 409", code)
		}
		staff.post(file+"/verify", url.Values{"_csrf": {stok}, "method": {"email_match"}})
		if code, _, _ = staff.post(file+"/collect", url.Values{"_csrf": {stok}}); code != http.StatusConflict {
			t.Fatalf("collect on a deletion request: got %d, want 409", code)
		}
		if code, _, _ = staff.post(file+"/erase", url.Values{"_csrf": {stok}}); code != http.StatusSeeOther {
			t.Fatalf("dry run: got %d", code)
		}
		_, body = staff.get(file + "?lang=en")
		if !strings.Contains(body, "Another staff member must approve") || !strings.Contains(body, "Alice Tremblay") {
			t.Fatalf("file after the dry run lacks the plan, its sample or the approval note")
		}
		runs, _ := svc.Runs(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rq.ID)
		run := strconv.FormatInt(runs[0].ID, 10)
		if code, body, _ = staff.post(file+"/approve?lang=en", url.Values{"_csrf": {stok}, "run": {run}, "kind": {"erase"}}); code != http.StatusForbidden ||
			!strings.Contains(body, "Another staff member") {
			t.Fatalf("approval by its planner: got %d", code)
		}
		if code, _, _ = officer.post(file+"/approve", url.Values{"_csrf": {tok}, "run": {run}, "kind": {"erase"}}); code != http.StatusSeeOther {
			t.Fatalf("approval: got %d", code)
		}
		_, body = officer.get(page + "?lang=en")
		if !strings.Contains(body, rq.Reference) || !strings.Contains(body, "order_items") {
			t.Error("the destruction log lacks the erasure")
		}
		_, body = officer.get(file + "?lang=en")
		if !strings.Contains(body, "done") || strings.Contains(body, "Approve and carry out") {
			t.Error("the file does not show the run done")
		}
		// An access request's archive, downloaded by staff (audited).
		acc, err := svc.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rights.Input{Type: rights.TypeAccess,
			Requester: rights.Person{Name: "Bob Gagnon", Email: "bob@example.org"}, Channel: rights.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		file = "/admin/o/demo/requests/" + strconv.FormatInt(int64(acc.ID), 10)
		staff.post(file+"/verify", url.Values{"_csrf": {stok}, "method": {"email_match"}})
		_, body = staff.get(file + "?lang=fr")
		if !strings.Contains(body, "Produire l’archive") || strings.Contains(body, "Simuler l’effacement") {
			t.Error("an access request's file offers the wrong actions")
		}
		if code, _, _ = staff.post(file+"/collect", url.Values{"_csrf": {stok}}); code != http.StatusSeeOther {
			t.Fatalf("collect: got %d", code)
		}
		exports, _ := svc.Exports(context.Background(), privaq.System(s.demo.ID), s.demo.ID, acc.ID)
		req, _ := http.NewRequest("GET", officer.base+file+"/exports/"+strconv.FormatInt(exports[0].ID, 10), nil)
		code, zip, hdr := officer.do(req)
		if code != 200 || hdr.Get("Content-Type") != "application/zip" || !strings.HasPrefix(zip, "PK") {
			t.Errorf("export download: %d %s", code, hdr.Get("Content-Type"))
		}
		outsider := s.browser(t)
		outsider.login("outsider@other.test")
		if code, _ := outsider.get(page); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("outsider on the connectors page: got %d", code)
		}
	})
}

// TestRequestNewPage: staff enter a request received by mail; bad input
// is refused with every error and the input kept; an auditor cannot.
func TestRequestNewPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		staff := s.browser(t)
		staff.login("staff@demo.test")
		page := "/admin/o/demo/requests/new"
		for _, lang := range []string{"fr", "en"} {
			code, body := staff.get(page + "?lang=" + lang)
			if code != 200 {
				t.Fatalf("form (%s): %d", lang, code)
			}
			if m := missingKeyRE.FindString(body); m != "" {
				t.Errorf("form (%s): missing catalog key %s", lang, m)
			}
		}
		tok := staff.csrf(page)
		code, body, _ := staff.post(page+"?lang=fr", url.Values{"_csrf": {tok}, "type": {"erase"}, "name": {"Léa Roy"}, "email": {"lea@"},
			"channel": {"mail"}, "details": {"Lettre du 2 décembre."}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Lettre du 2 décembre.") || !strings.Contains(body, `value="Léa Roy"`) ||
			strings.Count(body, "<li>") < 2 {
			t.Fatalf("bad input: got %d", code)
		}
		if list, _ := s.db.Requests(context.Background(), s.demo.ID, rights.Filter{}); len(list) != 0 {
			t.Fatalf("a refused request was stored")
		}
		code, _, h := staff.post(page, url.Values{"_csrf": {tok}, "type": {"access"}, "name": {"Léa Roy"}, "email": {"lea@exemple.qc.ca"},
			"channel": {"mail"}, "received_at": {"2026-12-01"}, "lang": {"fr"}, "rep_name": {"Noé Roy"}, "rep_capacity": {"parent"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/o/demo/requests/") {
			t.Fatalf("create: got %d to %s", code, h.Get("Location"))
		}
		_, body = staff.get(strings.TrimSuffix(h.Get("Location"), "?done=1") + "?lang=fr")
		if !strings.Contains(body, "Noé Roy") || !strings.Contains(body, "1er\u00a0décembre\u00a02026") {
			t.Errorf("the file lacks the representative or the date of receipt")
		}
		auditor := s.browser(t)
		auditor.login("auditor@demo.test")
		if code, _ := auditor.get(page); code != http.StatusForbidden {
			t.Errorf("auditor on the form: got %d, want 403", code)
		}
	})
}

// TestRequestAssign: a request goes to a staff member of the organization,
// never to an auditor or someone outside it.
func TestRequestAssign(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		svc := &rights.Service{Store: s.db, Inventory: s.db, Orgs: s.db, Clock: privaq.SystemClock{}}
		rq, err := svc.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rights.Input{Type: rights.TypeAccess,
			Requester: rights.Person{Name: "Léa Roy"}, Channel: rights.ChannelPhone})
		if err != nil {
			t.Fatal(err)
		}
		members, _ := s.db.Members(context.Background(), s.demo.ID)
		ids := map[privaq.Role]string{}
		for _, m := range members {
			ids[m.Role] = strconv.FormatInt(int64(m.UserID), 10)
		}
		file := "/admin/o/demo/requests/" + strconv.FormatInt(int64(rq.ID), 10)
		officer := s.browser(t)
		officer.login("officer@demo.test")
		tok := officer.csrf(file)
		if code, _, _ := officer.post(file+"/assign", url.Values{"_csrf": {tok}, "assignee": {ids[privaq.RoleAuditor]}}); code != http.StatusUnprocessableEntity {
			t.Errorf("assign to an auditor: got %d, want 422", code)
		}
		if code, _, _ := officer.post(file+"/assign", url.Values{"_csrf": {tok}, "assignee": {ids[privaq.RoleStaff]}}); code != http.StatusSeeOther {
			t.Fatalf("assign to staff: got %d", code)
		}
		_, body := officer.get("/admin/o/demo/requests?lang=fr")
		if !strings.Contains(body, "staff@demo.test") {
			t.Error("the list does not show the assignee")
		}
		if !strings.Contains(body, "Demandes par mois et par type") || !strings.Contains(body, "<th scope=\"col\">Accéder à mes renseignements</th>") {
			t.Error("the list lacks the table of requests by month and type")
		}
		for filter, want := range map[string]bool{"?type=access": true, "?type=deletion": false, "?overdue=1": false} {
			if _, body = officer.get("/admin/o/demo/requests" + filter); strings.Contains(body, rq.Reference) != want {
				t.Errorf("filter %s: shows the request %v, want %v", filter, !want, want)
			}
		}
		// A request for clarification is a letter of the file.
		if code, _, _ := officer.post(file+"/clarify", url.Values{"_csrf": {tok}, "question": {""}}); code != http.StatusUnprocessableEntity {
			t.Errorf("an empty question: got %d, want 422", code)
		}
		if code, _, _ := officer.post(file+"/clarify", url.Values{"_csrf": {tok}, "question": {"Quel est votre numéro de membre ?"}}); code != http.StatusSeeOther {
			t.Fatalf("clarify: got %d", code)
		}
		if _, body = officer.get(file + "?lang=fr"); !strings.Contains(body, "Quel est votre numéro de membre") {
			t.Error("the file lacks the clarification letter")
		}
	})
}

// TestIdentityDocumentPage: the officer keeps a copy from the file; staff
// see that one is kept but cannot open it.
func TestIdentityDocumentPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		svc := &rights.Service{Store: s.db, Inventory: s.db, Orgs: s.db, Clock: privaq.SystemClock{}}
		rq, err := svc.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rights.Input{Type: rights.TypeAccess,
			Requester: rights.Person{Name: "Léa Roy"}, Represented: &rights.Represented{Name: "Paul Roy", Capacity: rights.CapacityHeir},
			Channel: rights.ChannelMail})
		if err != nil {
			t.Fatal(err)
		}
		file := "/admin/o/demo/requests/" + strconv.FormatInt(int64(rq.ID), 10)
		officer := s.browser(t)
		officer.login("officer@demo.test")
		tok := officer.csrf(file)
		upload := func(b *browser, content []byte) int {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("_csrf", tok)
			fw, _ := mw.CreateFormFile("file", "acte-de-deces.pdf")
			fw.Write(content)
			mw.Close()
			req, _ := http.NewRequest("POST", b.base+file+"/document", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			code, _, _ := b.do(req)
			return code
		}
		if code := upload(officer, []byte("not a document")); code != http.StatusUnprocessableEntity {
			t.Errorf("a text file: got %d, want 422", code)
		}
		pdf := []byte("%PDF-1.4\n% acte de décès\n")
		if code := upload(officer, pdf); code != http.StatusSeeOther {
			t.Fatalf("upload: got %d, want 303", code)
		}
		docs, _ := svc.Documents(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rq.ID)
		if len(docs) != 1 {
			t.Fatalf("%d copies kept, want 1", len(docs))
		}
		link := file + "/documents/" + strconv.FormatInt(docs[0].ID, 10)
		req, _ := http.NewRequest("GET", officer.base+link, nil)
		if code, got, _ := officer.do(req); code != 200 || got != string(pdf) {
			t.Errorf("officer download: %d", code)
		}
		staff := s.browser(t)
		staff.login("staff@demo.test")
		_, body := staff.get(file + "?lang=fr")
		if !strings.Contains(body, "acte-de-deces.pdf") || strings.Contains(body, link) {
			t.Error("staff should see the copy listed without a link")
		}
		req, _ = http.NewRequest("GET", staff.base+link, nil)
		if code, _, _ := staff.do(req); code != http.StatusForbidden {
			t.Errorf("staff download: got %d, want 403", code)
		}
		if code, _, _ := officer.post(file+"/documents_delete", url.Values{"_csrf": {tok}}); code != http.StatusSeeOther {
			t.Fatalf("destroy: got %d", code)
		}
		if docs, _ = svc.Documents(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rq.ID); len(docs) != 0 {
			t.Errorf("%d copies after destruction", len(docs))
		}
	})
}
