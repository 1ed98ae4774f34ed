package store_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var _ consent.ExportStore = (*store.DB)(nil)

// exportLedger is a ledger with records on two days, for export tests.
type exportLedger struct {
	db    *store.DB
	svc   *consent.Service
	clock *privaq.ManualClock
	a, b  org.Org
	staff privaq.Actor
}

const bulk = 2100 // more than one chunk of the store's export iterator

func newExportLedger(t *testing.T, db *store.DB) *exportLedger {
	t.Helper()
	l := &exportLedger{db: db, clock: privaq.NewManualClock(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))}
	orgs := &org.Service{Store: db, Clock: l.clock}
	inv := &inventory.Service{Store: db}
	for i, slug := range []string{"alpha", "beta"} {
		o, err := orgs.CreateOrg(ctx, privaq.System(0), slug, slug, inventory.RegimePrivate, "fr")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			l.a = o
		} else {
			l.b = o
		}
	}
	l.svc = consentService(t, db, l.clock)
	l.staff = privaq.Actor{Kind: privaq.ActorToken, TokenID: 7, OrgID: l.a.ID, Role: privaq.RoleStaff}

	// Day 1, 10:00: many grants for the newsletter, and one in beta.
	in := make([]consent.Input, bulk)
	for i := range in {
		in[i] = consent.Input{Subject: fmt.Sprintf("member-%04d", i), Purpose: "newsletter", Decision: consent.Granted,
			Mode: consent.Express, Channel: "web", GivenBy: consent.BySubject}
	}
	l.record(t, l.a, in...)
	l.record(t, l.b, in[0])
	// Day 2, 12:00: one person withdraws, and a parent registers a child.
	l.clock.Add(26 * time.Hour)
	exp := time.Date(2027, 4, 2, 12, 0, 0, 0, time.UTC)
	l.record(t, l.a,
		consent.Input{Subject: "=HYPERLINK(\"x\")", Purpose: "newsletter", Decision: consent.Withdrawn, Mode: consent.Express,
			Channel: "email", GivenBy: consent.BySubject, Evidence: json.RawMessage(`{"message_id": "m-1"}`)},
		consent.Input{Subject: "child-77", SubjectCategory: "children", Purpose: "day-camps", Decision: consent.Granted, Mode: consent.Express,
			Channel: "paper", GivenBy: consent.ByParentalAuthority, Representative: "Marie Tremblay", ExpiresAt: &exp})
	return l
}

func (l *exportLedger) record(t *testing.T, o org.Org, in ...consent.Input) {
	t.Helper()
	if _, err := l.svc.Record(ctx, privaq.System(o.ID), o.ID, in); err != nil {
		t.Fatal(err)
	}
}

// export runs an export to the end and returns its rows and its body.
func (l *exportLedger) export(t *testing.T, req consent.ExportRequest) (*consent.Export, []byte) {
	t.Helper()
	e, err := l.svc.PrepareExport(ctx, l.staff, l.a.ID, req, consent.ExportSite{Slug: l.a.Slug, BaseURL: "https://privacy.example.test"})
	if err != nil {
		t.Fatalf("%+v: %v", req, err)
	}
	var buf bytes.Buffer
	flushes := 0
	n, err := e.WriteTo(ctx, &buf, func() error { flushes++; return nil })
	if err != nil {
		t.Fatalf("%+v: %v", req, err)
	}
	if n != e.Rows || flushes == 0 {
		t.Errorf("%+v: wrote %d rows with %d flushes, counted %d", req, n, flushes, e.Rows)
	}
	return e, buf.Bytes()
}

func jsonLines(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range bytes.Lines(body) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestExportFilters exports on both engines: everything in sequence order
// across several chunks, and each filter alone.
func TestExportFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newExportLedger(t, db)
		e, body := l.export(t, consent.ExportRequest{Format: "jsonl"})
		lines := jsonLines(t, body)
		if len(lines) != bulk+2 || e.Rows != bulk+2 || e.ContentType() != "application/x-ndjson" {
			t.Fatalf("everything: got %d lines, %d rows, %s; want %d", len(lines), e.Rows, e.ContentType(), bulk+2)
		}
		for i, m := range lines {
			if m["seq"] != float64(i+1) {
				t.Fatalf("line %d: got seq %v, want %d", i, m["seq"], i+1)
			}
		}
		last := lines[len(lines)-1]
		if last["subject"] != "child-77" || last["representative"] != "Marie Tremblay" || last["expires_at"] != "2027-04-02T12:00:00.000000Z" ||
			last["evidence"] != nil || len(last["hash"].(string)) != 64 || last["recorded_at"] != "2026-04-02T12:00:00.000000Z" {
			t.Errorf("last line: got %v", last)
		}
		if ev := lines[len(lines)-2]["evidence"].(map[string]any); ev["message_id"] != "m-1" {
			t.Errorf("evidence: got %v", ev)
		}

		for _, tc := range []struct {
			name string
			req  consent.ExportRequest
			want int
		}{
			{"purpose", consent.ExportRequest{Purpose: "day-camps"}, 1},
			{"subject", consent.ExportRequest{Subject: "member-0042"}, 1},
			{"subject of no record", consent.ExportRequest{Subject: "nobody"}, 0},
			{"from a date", consent.ExportRequest{From: "2026-04-02"}, 2},
			{"to a date, inclusive", consent.ExportRequest{To: "2026-04-01"}, bulk},
			{"a date-time range", consent.ExportRequest{From: "2026-04-01T10:00:00Z", To: "2026-04-02T12:00:00Z"}, bulk},
			{"an offset", consent.ExportRequest{From: "2026-04-02T07:59:59-04:00"}, 2},
			{"an offset whose + came as a space", consent.ExportRequest{To: "2026-04-02T13:00:00 01:00"}, bulk},
			{"all filters", consent.ExportRequest{Purpose: "newsletter", From: "2026-04-02", To: "2026-04-02", Subject: "=HYPERLINK(\"x\")"}, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.req.Format = "jsonl"
				e, body := l.export(t, tc.req)
				if got := len(jsonLines(t, body)); got != tc.want || e.Rows != int64(tc.want) {
					t.Errorf("got %d lines (%d counted), want %d", got, e.Rows, tc.want)
				}
			})
		}
	})
}

// TestExportCSV checks the header, one row per record, and that free
// text cannot be read as a spreadsheet formula.
func TestExportCSV(t *testing.T) {
	l := newExportLedger(t, storetest.Open(t, ""))
	e, body := l.export(t, consent.ExportRequest{From: "2026-04-02"})
	if e.Format != consent.FormatCSV || !strings.HasPrefix(e.ContentType(), "text/csv") {
		t.Errorf("default format: got %s %s, want csv", e.Format, e.ContentType())
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "id,seq,recorded_at,subject,subject_category,purpose,decision,mode,channel,given_by,representative,policy_version,expires_at,evidence,hash"
	if len(rows) != 3 || strings.Join(rows[0], ",") != want {
		t.Fatalf("got %d rows, header %v; want 3 and %s", len(rows), rows[0], want)
	}
	w := rows[1]
	if w[1] != fmt.Sprint(bulk+1) || w[3] != `'=HYPERLINK("x")` || w[6] != "withdrawn" || w[8] != "email" || w[13] != `{"message_id":"m-1"}` || len(w[14]) != 64 {
		t.Errorf("withdrawal row: got %q", w)
	}
	c := rows[2]
	if c[3] != "child-77" || c[4] != "children" || c[9] != "parental_authority" || c[10] != "Marie Tremblay" || c[12] != "2027-04-02T12:00:00.000000Z" || c[13] != "" {
		t.Errorf("child row: got %q", c)
	}
}

// TestExportISO27560 checks the mapping of a record to the shape of an
// ISO/IEC TS 27560 consent record.
func TestExportISO27560(t *testing.T) {
	l := newExportLedger(t, storetest.Open(t, ""))
	_, body := l.export(t, consent.ExportRequest{Format: "iso27560", Purpose: "day-camps"})
	lines := jsonLines(t, body)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	r := lines[0]
	str := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	proc := r["processing"].(map[string]any)
	purposes := proc["purposes"].([]any)
	p := purposes[0].(map[string]any)
	parties := r["parties"].([]any)
	ledger := r["ledger"].(map[string]any)
	if r["schema_version"] != consent.ISOSchema || r["record_id"] == "" || r["pii_principal_id"] != "child-77" ||
		r["pii_principal_category"] != "children" || proc["privacy_notice"] != nil || str(proc["language"]) != `["fr","en"]` ||
		len(purposes) != 1 || ledger["seq"] != float64(bulk+2) || len(ledger["hash"].(string)) != 64 || len(parties) != 1 {
		t.Errorf("record: got %s", str(r))
	}
	if p["purpose_id"] != "day-camps" || !strings.HasPrefix(p["purpose"].(string), "Inscription") || p["lawful_basis"] != "consent" ||
		p["collection_method"] != "paper" || str(p["pii_controllers"]) != `["org:alpha"]` || str(p["jurisdiction"]) != `["CA-QC"]` ||
		!strings.Contains(str(p["pii_information"]), `"sensitive":true`) {
		t.Errorf("purpose: got %s", str(p))
	}
	if party := parties[0].(map[string]any); party["party_id"] != "org:alpha" || party["party_name"] != "Entraide Jeunesse Rive-Sud inc." ||
		party["party_role"] != "pii_controller" || party["party_contact"] != "vieprivee@entraide-jeunesse.example.org" {
		t.Errorf("party: got %s", str(party))
	}
	events := r["events"].([]any)
	ev := events[0].(map[string]any)
	if len(events) != 1 || ev["event_time"] != "2026-04-02T12:00:00.000000Z" || ev["event_type"] != "explicitly_expressed_consent" ||
		ev["event_state"] != "consent_given" || ev["entity_id"] != "Marie Tremblay" || ev["entity_role"] != "parental_authority" ||
		ev["validity_duration"] != "P365D" || ev["valid_until"] != "2027-04-02T12:00:00.000000Z" {
		t.Errorf("event: got %s", str(events))
	}
}

// TestExportSnapshot: an export streams what it counted, even when
// records are added between the count and the last row.
func TestExportSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newExportLedger(t, db)
		e, err := l.svc.PrepareExport(ctx, l.staff, l.a.ID, consent.ExportRequest{Format: "jsonl"}, consent.ExportSite{Slug: "alpha"})
		if err != nil {
			t.Fatal(err)
		}
		l.record(t, l.a, consent.Input{Subject: "late", Purpose: "newsletter", Decision: consent.Granted, Mode: consent.Express, Channel: "web", GivenBy: consent.BySubject})
		var buf bytes.Buffer
		n, err := e.WriteTo(ctx, &buf, nil)
		if err != nil || n != bulk+2 || bytes.Contains(buf.Bytes(), []byte(`"late"`)) {
			t.Errorf("got %d rows, %v; want the %d counted, without the later record", n, err, bulk+2)
		}
	})
}

// TestExportRefused: bad requests name their field, integrations may not
// export, and an export is in the audit log without the subject.
func TestExportRefused(t *testing.T) {
	l := newExportLedger(t, storetest.Open(t, ""))
	site := consent.ExportSite{Slug: "alpha"}
	for _, tc := range []struct {
		req   consent.ExportRequest
		field string
	}{
		{consent.ExportRequest{Format: "xml"}, "format"},
		{consent.ExportRequest{From: "2026-13-01"}, "from"},
		{consent.ExportRequest{From: "yesterday"}, "from"},
		{consent.ExportRequest{To: "2026-04-01T25:00:00Z"}, "to"},
		{consent.ExportRequest{From: "2026-04-02", To: "2026-04-01"}, "to"},
		{consent.ExportRequest{Purpose: strings.Repeat("p", 64)}, "purpose"},
		{consent.ExportRequest{Subject: " padded"}, "subject"},
	} {
		_, err := l.svc.PrepareExport(ctx, l.staff, l.a.ID, tc.req, site)
		var pe *privaq.Error
		if !privaq.IsCode(err, privaq.EValidation) || !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%+v: got %v, want validation_failed on %s", tc.req, err, tc.field)
		}
	}
	integration := privaq.Actor{Kind: privaq.ActorToken, TokenID: 8, OrgID: l.a.ID, Role: privaq.RoleIntegration}
	if _, err := l.svc.PrepareExport(ctx, integration, l.a.ID, consent.ExportRequest{}, site); !privaq.IsCode(err, privaq.EForbidden) {
		t.Errorf("integration: got %v, want forbidden", err)
	}
	if _, err := l.svc.PrepareExport(ctx, l.staff, l.b.ID, consent.ExportRequest{}, site); !privaq.IsCode(err, privaq.ENotFound) {
		t.Errorf("another organization: got %v, want not_found", err)
	}
	l.export(t, consent.ExportRequest{Format: "jsonl", Subject: "child-77", From: "2026-04-02"})
	es, err := l.db.ListAudit(ctx, l.a.ID, audit.Filter{Action: "consent.export", Limit: 10})
	if err != nil || len(es) != 1 {
		t.Fatalf("audit: got %v, %v; want one entry", es, err)
	}
	d := es[0].Detail
	raw, _ := json.Marshal(d)
	if d["format"] != "jsonl" || d["rows"] != float64(1) || d["subject_filter"] != true || d["from"] != "2026-04-02T00:00:00Z" ||
		es[0].TokenID != 7 || bytes.Contains(raw, []byte("child-77")) {
		t.Errorf("audit entry: got %s", raw)
	}
}
