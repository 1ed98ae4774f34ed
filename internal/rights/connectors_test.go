package rights_test

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/connector"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/rights"
)

// shop registers the sample shop as the organization's SQLite connector.
func (f *fixture) shop(t *testing.T) string {
	t.Helper()
	f.svc.SQLiteDir = t.TempDir()
	dir := filepath.Join(f.svc.SQLiteDir, f.a.Slug)
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, "shop.db")
	if err := connector.CreateSample(ctx, path); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateConnector(ctx, f.officer, f.a.ID, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: path}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetTables(ctx, f.officer, f.a.ID, "shop", connector.SampleMapping()); err != nil {
		t.Fatal(err)
	}
	return path
}

// verified is a staff-entered request by alice, identity verified.
func (f *fixture) verified(t *testing.T, typ rights.Type) rights.Request {
	t.Helper()
	in := input()
	in.Type, in.Requester.Email, in.Channel = typ, "alice@example.org", rights.ChannelEmail
	r, err := f.svc.Create(ctx, f.staff, f.a.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.svc.VerifyIdentity(ctx, f.staff, f.a.ID, r.ID, "document_seen", "", "staff@alpha.test"); err != nil {
		t.Fatal(err)
	}
	return r
}

func count(t *testing.T, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConnectorRegistration(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		f.svc.SQLiteDir = t.TempDir()
		dir := filepath.Join(f.svc.SQLiteDir, f.a.Slug)
		os.Mkdir(dir, 0o700)
		f.svc.Protected = []string{filepath.Join(dir, "privaq.db")}
		// Another organization's directory is out of reach too.
		other := filepath.Join(f.svc.SQLiteDir, f.b.Slug)
		os.Mkdir(other, 0o700)
		connector.CreateSample(ctx, filepath.Join(other, "shop.db"))
		path := filepath.Join(dir, "shop.db")
		connector.CreateSample(ctx, path)
		os.WriteFile(filepath.Join(dir, "privaq.db"), nil, 0o600)
		outside := filepath.Join(t.TempDir(), "other.db")
		connector.CreateSample(ctx, outside)
		os.Symlink(outside, filepath.Join(dir, "link.db"))
		for _, tc := range []struct {
			name  string
			actor privaq.Actor
			in    rights.ConnectorInput
			code  privaq.Code
		}{
			{"staff", f.staff, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: path}, privaq.EForbidden},
			{"other org", f.bOfficer, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: path}, privaq.ENotFound},
			{"outside the directory", f.officer, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: outside}, privaq.EValidation},
			{"link out of the directory", f.officer, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: filepath.Join(dir, "link.db")}, privaq.EValidation},
			{"privaq's own file", f.officer, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: filepath.Join(dir, "privaq.db")}, privaq.EValidation},
			{"another organization's directory", f.officer, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: filepath.Join(other, "shop.db")}, privaq.EValidation},
			{"bad kind", f.officer, rights.ConnectorInput{Key: "shop", Kind: "oracle", DSN: path}, privaq.EValidation},
		} {
			if _, err := f.svc.CreateConnector(ctx, tc.actor, f.a.ID, tc.in); !privaq.IsCode(err, tc.code) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
			}
		}
		if cs, _ := f.svc.Connectors(ctx, f.officer, f.a.ID); len(cs) != 0 {
			t.Fatalf("refused connectors were stored: %+v", cs)
		}
		if _, err := f.svc.CreateConnector(ctx, f.officer, f.a.ID, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: path}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateConnector(ctx, f.officer, f.a.ID, rights.ConnectorInput{Key: "shop", Kind: connector.KindSQLite, DSN: path}); !privaq.IsCode(err, privaq.EConflict) {
			t.Errorf("same key twice: got %v, want conflict", err)
		}
		// A mapping to a missing column is refused and nothing is stored.
		bad := connector.SampleMapping()
		bad[1].ForeignKey = "client_id"
		if _, err := f.svc.SetTables(ctx, f.officer, f.a.ID, "shop", bad); !privaq.IsCode(err, privaq.EValidation) {
			t.Errorf("missing column: got %v, want validation_failed", err)
		}
		c, err := f.svc.Connector(ctx, f.auditor, f.a.ID, "shop")
		if err != nil || len(c.Tables) != 0 {
			t.Fatalf("after a refused mapping: %+v, %v", c, err)
		}
		if c, err = f.svc.SetTables(ctx, f.officer, f.a.ID, "shop", connector.SampleMapping()); err != nil || len(c.Report.Tables) != 6 {
			t.Fatalf("set tables: %+v, %v", c, err)
		}
		if c, err = f.svc.TestConnector(ctx, f.officer, f.a.ID, "shop"); err != nil || c.TestedAt == nil || c.TestError != "" {
			t.Fatalf("test: %+v, %v", c, err)
		}
		// The DSN is sealed at rest: the path is nowhere in the database
		// file in clear.
		if _, err := f.svc.Connector(ctx, f.bOfficer, f.b.ID, "shop"); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("another organization sees the connector: %v", err)
		}
		// A connector that cannot connect records the failure.
		os.Remove(path)
		c, err = f.svc.TestConnector(ctx, f.officer, f.a.ID, "shop")
		if err == nil || !strings.Contains(c.TestError, "no SQLite database file") {
			t.Errorf("test of a missing file: %+v, %v", c, err)
		}
		if err := f.svc.DeleteConnector(ctx, f.officer, f.a.ID, "shop"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCollectAndDownload(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		f.shop(t)
		r := f.verified(t, rights.TypeAccess)
		if _, err := f.svc.Collect(ctx, f.auditor, f.a.ID, r.ID); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("auditor collect: got %v, want forbidden", err)
		}
		x, err := f.svc.Collect(ctx, f.staff, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.Rows != 10 {
			t.Errorf("collected %d rows, want 10", x.Rows)
		}
		_, data, err := f.svc.ExportData(ctx, f.staff, f.a.ID, r.ID, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, file := range z.File {
			names = append(names, file.Name)
		}
		if joined := strings.Join(names, " "); !strings.Contains(joined, "shop/orders.json") || !strings.Contains(joined, "LISEZMOI.txt") {
			t.Errorf("archive files: %v", names)
		}
		// Other organizations cannot reach the archive.
		if _, _, err := f.svc.ExportData(ctx, f.bOfficer, f.b.ID, r.ID, x.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("another organization reads the archive: %v", err)
		}
		entries, _ := f.db.ListAudit(ctx, f.a.ID, audit.Filter{Limit: 200, Action: "request."})
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		if !seen["request.collect"] || !seen["request.export.read"] {
			t.Errorf("collection and reading not audited: %v", seen)
		}
		// Past its expiry, the daily job destroys the archive's data and
		// keeps its record.
		f.clock.Add(rights.ExportFor + time.Hour)
		if _, err := (&rights.Reminder{Service: f.svc, Users: f.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.ExportData(ctx, f.staff, f.a.ID, r.ID, x.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("an expired archive: got %v, want not_found", err)
		}
		if list, _ := f.svc.Exports(ctx, f.staff, f.a.ID, r.ID); len(list) != 1 || list[0].Size != 0 || list[0].Rows != 10 {
			t.Errorf("the expired archive's record: %+v", list)
		}
	})
}

func TestEraseNeedsSecondPerson(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		path := f.shop(t)
		r := f.verified(t, rights.TypeDeletion)
		run, err := f.svc.PlanErase(ctx, f.staff, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != rights.RunPlanned || len(run.Plan) != 6 || len(run.Samples) == 0 {
			t.Fatalf("dry run: %+v", run)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM support_tickets`); n != 2 {
			t.Fatalf("the dry run changed the shop: %d tickets", n)
		}
		if _, err := f.svc.Approve(ctx, f.staff, f.a.ID, r.ID, run.ID, run.Kind); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("approval by its planner: got %v, want forbidden", err)
		}
		if _, err := f.svc.Approve(ctx, f.integration, f.a.ID, r.ID, run.ID, run.Kind); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("approval by a token: got %v, want forbidden", err)
		}
		if _, err := f.svc.Approve(ctx, f.bOfficer, f.b.ID, r.ID, run.ID, run.Kind); err == nil {
			t.Fatal("another organization approved the run")
		}
		if n := count(t, path, `SELECT COUNT(*) FROM support_tickets`); n != 2 {
			t.Fatalf("a refused approval changed the shop: %d tickets", n)
		}
		done, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, run.Kind)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != rights.RunDone || done.ApprovedBy == "" {
			t.Errorf("after approval: %+v", done)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM support_tickets WHERE requester_email = 'alice@example.org'`); n != 0 {
			t.Errorf("%d of alice's tickets remain", n)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM audit_log WHERE customer_id = 1`); n != 2 {
			t.Errorf("the legal hold lost rows: %d", n)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, run.Kind); !privaq.IsCode(err, privaq.EConflict) {
			t.Errorf("a second approval: got %v, want conflict", err)
		}
		log, err := f.svc.Destructions(ctx, f.auditor, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		tables := map[string]int64{}
		for _, d := range log {
			tables[d.Table] = d.Rows
			if d.Reference != r.Reference || d.PlannedBy == "" || d.ApprovedBy == "" {
				t.Errorf("destruction entry %+v", d)
			}
		}
		if tables["order_items"] != 3 || tables["customers"] != 1 || tables["audit_log"] != 0 {
			t.Errorf("destruction log tables = %v", tables)
		}
		blob, _ := os.ReadFile(path)
		if bytes.Contains(blob, []byte("Alice Tremblay")) {
			t.Log("note: SQLite may keep erased text in free pages until VACUUM")
		}
	})
}

func TestRectifyRun(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		path := f.shop(t)
		r := f.verified(t, rights.TypeRectification)
		cors := []rights.Correction{{Connector: "shop", Table: "customers", Column: "name", Value: "Alice Tremblay-Roy"}}
		if _, err := f.svc.PlanRectify(ctx, f.staff, f.a.ID, r.ID, []rights.Correction{{Connector: "crm", Table: "customers", Column: "name", Value: "x"}}); !privaq.IsCode(err, privaq.EValidation) {
			t.Errorf("unknown connector: got %v, want validation_failed", err)
		}
		run, err := f.svc.PlanRectify(ctx, f.staff, f.a.ID, r.ID, cors)
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Plan) != 1 || run.Plan[0].Rows != 1 {
			t.Fatalf("plan %+v", run.Plan)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, run.Kind); err != nil {
			t.Fatal(err)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM customers WHERE name = 'Alice Tremblay-Roy'`); n != 1 {
			t.Errorf("rectified %d rows, want 1", n)
		}
	})
}

// An approval carries out what the dry run showed, nothing else: a
// changed identifier or mapping sends the run back to a new dry run.
func TestApprovalOfAStalePlan(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		path := f.shop(t)
		r := f.verified(t, rights.TypeDeletion)
		run, err := f.svc.PlanErase(ctx, f.staff, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetIdentifiers(ctx, f.staff, f.a.ID, r.ID, map[string]string{"email": "bob@example.org"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, rights.RunErase); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("approval after the identifiers changed: got %v, want conflict", err)
		}
		f.svc.SetIdentifiers(ctx, f.staff, f.a.ID, r.ID, map[string]string{"email": "alice@example.org"})
		m := connector.SampleMapping()
		m[4].Erasure, m[4].Reason = connector.ErasureKeep, "Consent records"
		if _, err := f.svc.SetTables(ctx, f.officer, f.a.ID, "shop", m); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, rights.RunErase); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("approval after the mapping changed: got %v, want conflict", err)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM support_tickets`); n != 2 {
			t.Fatalf("a stale approval changed the shop: %d tickets", n)
		}
		// Planned anew, it goes through.
		run, err = f.svc.PlanErase(ctx, f.staff, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, rights.RunErase); err != nil {
			t.Fatal(err)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM newsletter`); n != 2 {
			t.Errorf("the newsletter, now kept, lost rows: %d", n)
		}
	})
}

// A run planned with a token is its creator's: they may not approve it.
func TestTokenPlannerCannotApprove(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		f.shop(t)
		orgs := &org.Service{Store: f.db, Clock: f.clock}
		_, tok, err := orgs.CreateToken(ctx, f.officer, f.a.ID, privaq.RoleStaff, "crm sync")
		if err != nil {
			t.Fatal(err)
		}
		viaToken := privaq.Actor{Kind: privaq.ActorToken, TokenID: tok.ID, OrgID: f.a.ID, Role: privaq.RoleStaff}
		r := f.verified(t, rights.TypeDeletion)
		run, err := f.svc.PlanErase(ctx, viaToken, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, rights.RunErase); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("approval by the token's creator: got %v, want forbidden", err)
		}
		if _, err := f.svc.Approve(ctx, f.staff, f.a.ID, r.ID, run.ID, rights.RunErase); err != nil {
			t.Fatalf("approval by another staff member: %v", err)
		}
	})
}

// A request made for someone else is not about the representative: no
// identifier is taken from their email.
func TestRepresentativeIsNotTheSubject(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		in := input()
		in.Represented = &rights.Represented{Name: "Léo Tremblay", Capacity: rights.CapacityParent}
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Identifiers) != 0 {
			t.Errorf("identifiers %v, want none until staff set the child's", r.Identifiers)
		}
	})
}

// A run cut off mid-approval (a crash) is marked interrupted by the daily
// job instead of staying "running" forever.
func TestInterruptedRun(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		f.shop(t)
		r := f.verified(t, rights.TypeDeletion)
		run, err := f.svc.PlanErase(ctx, f.staff, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The claim an approval makes, never followed by its outcome.
		if _, err := f.db.ClaimRun(ctx, f.a.ID, r.ID, run.ID, f.clock.Now(), func(*rights.Run) error { return nil }); err != nil {
			t.Fatal(err)
		}
		rm := &rights.Reminder{Service: f.svc, Users: f.db}
		f.clock.Add(30 * time.Minute)
		rm.RunOnce(ctx)
		if got, _ := f.db.Run(ctx, f.a.ID, r.ID, run.ID); got.Status != "running" {
			t.Fatalf("after 30 minutes: %s, want still running", got.Status)
		}
		f.clock.Add(time.Hour)
		if _, err := rm.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := f.db.Run(ctx, f.a.ID, r.ID, run.ID)
		if got.Status != rights.RunFailed || !strings.Contains(got.Error, "interrupted") || got.FinishedAt == nil {
			t.Fatalf("after an hour and a half: %+v", got)
		}
		if _, err := f.svc.Approve(ctx, f.officer, f.a.ID, r.ID, run.ID, rights.RunErase); !privaq.IsCode(err, privaq.EConflict) {
			t.Errorf("approving an interrupted run: got %v, want conflict", err)
		}
	})
}
