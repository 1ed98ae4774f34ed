package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/rights"
)

// TestRequestPages follows a request in the admin: the list with its due
// date, the file, the identity check, a refusal without its articles
// refused, the answer, the letter's PDF; in both languages, with the
// other organization's officer kept out.
func TestRequestPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		svc := &rights.Service{Store: s.db, Inventory: s.db, Orgs: s.db, Clock: privaq.SystemClock{}}
		rq, err := svc.Create(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rights.Input{Type: rights.TypeAccess,
			Requester: rights.Person{Name: "Élise Tremblay", Email: "elise@exemple.qc.ca"}, Channel: rights.ChannelMail})
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(int64(rq.ID), 10)
		file := "/admin/o/demo/requests/" + id
		b := s.browser(t)
		b.login("staff@demo.test")
		for _, lang := range []string{"fr", "en"} {
			for _, p := range []string{"/admin/o/demo/requests", file} {
				code, body := b.get(p + "?lang=" + lang)
				if code != http.StatusOK {
					t.Fatalf("%s (%s): got %d, want 200", p, lang, code)
				}
				if m := missingKeyRE.FindString(body); m != "" {
					t.Errorf("%s (%s): missing catalog key %s", p, lang, m)
				}
				if !strings.Contains(body, rq.Reference) {
					t.Errorf("%s (%s): no %s", p, lang, rq.Reference)
				}
			}
		}
		tok := b.csrf(file)
		code, body, _ := b.post(file+"/answer?lang=fr", url.Values{"_csrf": {tok}, "outcome": {"refused"}, "reasons_fr": {"Tiers."}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "disposition") {
			t.Fatalf("refusal without articles: got %d, want 422 naming the provision", code)
		}
		code, body, _ = b.post(file+"/answer?lang=fr", url.Values{"_csrf": {tok}, "outcome": {"granted"}})
		if code != http.StatusConflict || !strings.Contains(body, "identité") {
			t.Fatalf("grant before identity: got %d, want 409", code)
		}
		code, _, h := b.post(file+"/verify", url.Values{"_csrf": {tok}, "method": {"document_seen"}})
		if code != http.StatusSeeOther || h.Get("Location") != file+"?done=1" {
			t.Fatalf("verify: got %d to %s", code, h.Get("Location"))
		}
		if code, _, _ = b.post(file+"/answer", url.Values{"_csrf": {tok}, "outcome": {"partial"}, "reasons_fr": {"Une partie vise un tiers."},
			"articles": {"P 40"}}); code != http.StatusSeeOther {
			t.Fatalf("answer: got %d, want 303", code)
		}
		_, body = b.get(file + "?lang=fr")
		if !strings.Contains(body, "Réponse à votre demande") || !strings.Contains(body, "acceptée en partie") {
			t.Fatalf("file after answer lacks the answer letter")
		}
		got, err := svc.Get(context.Background(), privaq.System(s.demo.ID), s.demo.ID, rq.ID)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", b.base+file+"/letters/"+strconv.FormatInt(got.Letters[1].ID, 10), nil)
		code, pdf, hdr := b.do(req)
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF") {
			t.Fatalf("letter PDF: got %d %s", code, hdr.Get("Content-Type"))
		}
		if code, _, _ = b.post(file+"/note", url.Values{"_csrf": {"forged"}, "note": {"x"}}); code != http.StatusForbidden {
			t.Fatalf("forged CSRF: got %d, want 403", code)
		}

		outsider := s.browser(t)
		outsider.login("outsider@other.test")
		if code, _ := outsider.get(file); code != http.StatusNotFound {
			t.Fatalf("outsider on the file: got %d, want 404", code)
		}
	})
}
