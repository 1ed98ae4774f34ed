package connector

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"privaq"
)

var ctx = context.Background()

func TestCheck(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		rep, err := Check(ctx, c, SampleMapping())
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		if rep.Version == "" {
			t.Error("no server version")
		}
		indexed := map[string]bool{}
		for _, tr := range rep.Tables {
			indexed[tr.Table] = tr.Indexed
		}
		// InnoDB indexes every foreign key column itself; order_items has
		// no declared foreign key, so no engine indexes it.
		want := map[string]bool{"customers": true, "orders": true, "order_items": false, "support_tickets": false, "newsletter": true, "audit_log": false}
		for table, w := range want {
			if indexed[table] != w {
				t.Errorf("%s indexed = %v, want %v", table, indexed[table], w)
			}
		}
		if _, err := e.admin.Exec(`CREATE INDEX items_order ON order_items (order_id)`); err != nil {
			t.Fatal(err)
		}
		rep, _ = Check(ctx, c, SampleMapping())
		if !rep.Tables[2].Indexed {
			t.Error("order_items.order_id still reported without an index after CREATE INDEX")
		}
		if len(rep.Tables[0].PrimaryKey) != 1 || rep.Tables[0].PrimaryKey[0] != "id" {
			t.Errorf("customers primary key = %v", rep.Tables[0].PrimaryKey)
		}

		for _, tc := range []struct {
			name  string
			edit  func(m []Table) []Table
			field string
		}{
			{"missing column", func(m []Table) []Table { m[1].ForeignKey = "client_id"; return m }, "tables[1].foreign_key"},
			{"missing parent key", func(m []Table) []Table { m[2].ParentKey = "order_no"; return m }, "tables[2].parent_key"},
			{"missing table", func(m []Table) []Table { m[4].Name = "subscribers"; return m }, "tables[4].name"},
			{"missing rule column", func(m []Table) []Table { m[0].Columns[0].Column = "full_name"; return m }, "tables[0].columns[0].column"},
			{"hash on a number", func(m []Table) []Table { m[0].Columns[0] = ColumnRule{Column: "id", Rule: RuleHash}; return m }, "tables[0].columns[0].column"},
			{"year on a number", func(m []Table) []Table { m[0].Columns[0] = ColumnRule{Column: "id", Rule: RuleYear}; return m }, "tables[0].columns[0].column"},
			{"unmapped parent", func(m []Table) []Table { m[2].Parent = "invoices"; return m }, "tables[2].parent"},
			{"cycle", func(m []Table) []Table {
				m[0].SubjectColumn, m[0].Identifier, m[0].Parent, m[0].ForeignKey, m[0].ParentKey = "", "", "orders", "id", "customer_id"
				return m
			}, "tables[0].parent"},
			{"keep without reason", func(m []Table) []Table { m[5].Reason = " "; return m }, "tables[5].reason"},
			{"unknown rule", func(m []Table) []Table { m[0].Columns[0].Rule = "scramble"; return m }, "tables[0].columns[0].rule"},
			{"both ways", func(m []Table) []Table { m[1].SubjectColumn = "email"; return m }, "tables[1].subject_column"},
			{"injection", func(m []Table) []Table { m[3].SubjectColumn = "email; DROP TABLE customers"; return m }, "tables[3].subject_column"},
			{"twice", func(m []Table) []Table { return append(m, m[4]) }, "tables[6].name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := Check(ctx, c, tc.edit(SampleMapping()))
				if f := fieldOf(err); f != tc.field {
					t.Fatalf("got field %q (%v), want %q", f, err, tc.field)
				}
				if privaq.ErrorCode(err) != privaq.EValidation {
					t.Errorf("code %s, want validation_failed", privaq.ErrorCode(err))
				}
			})
		}
	})
}

func fieldOf(err error) string {
	var v privaq.ValidationErrors
	if errors.As(err, &v) && len(v) > 0 {
		return v[0].Field
	}
	var pe *privaq.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}

func TestCollect(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		got, err := Collect(ctx, c, SampleMapping(), alice)
		if err != nil {
			t.Fatalf("collect: %v", err)
		}
		counts := map[string]int{}
		for _, tr := range got {
			counts[tr.Table] = len(tr.Rows)
		}
		want := map[string]int{"customers": 1, "orders": 2, "order_items": 3, "support_tickets": 1, "newsletter": 1, "audit_log": 2}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Fatalf("rows per table = %v, want %v", counts, want)
		}
		cust := got[0]
		row := map[string]any{}
		for i, col := range cust.Columns {
			row[col] = cust.Rows[0][i]
		}
		if row["email"] != "alice@example.org" || row["name"] != "Alice Tremblay" {
			t.Errorf("customer row = %v", row)
		}
		if s := fmt.Sprint(row["birth_date"]); !strings.HasPrefix(s, "1984-06-15") {
			t.Errorf("birth_date = %q, want 1984-06-15…", s)
		}

		// An identifier the request lacks skips the tables matched on it.
		got, err = Collect(ctx, c, SampleMapping(), Identifiers{"customer_id": "1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range got {
			if tr.Skipped == "" || len(tr.Rows) != 0 {
				t.Errorf("%s: skipped %q with %d rows, want skipped", tr.Table, tr.Skipped, len(tr.Rows))
			}
		}

		// The archive.
		got, _ = Collect(ctx, c, SampleMapping(), alice)
		var buf bytes.Buffer
		at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
		if err := WriteArchive(&buf, "fr", ArchiveMeta{Reference: "REQ-2026-001", Organization: "Thé Boréal", GeneratedAt: at},
			[]Source{{Connector: "shop", Tables: got}}); err != nil {
			t.Fatal(err)
		}
		files := unzip(t, buf.Bytes())
		var m manifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		if m.TotalRows != 10 || len(m.Files) != 6 || m.Reference != "REQ-2026-001" {
			t.Errorf("manifest = %+v", m)
		}
		var orders []map[string]any
		if err := json.Unmarshal(files["shop/orders.json"], &orders); err != nil || len(orders) != 2 {
			t.Fatalf("orders.json: %v, %d objects", err, len(orders))
		}
		if orders[0]["shipping_address"] != "12 rue des Pins, Montréal" {
			t.Errorf("orders.json = %v", orders[0])
		}
		recs, err := csv.NewReader(bytes.NewReader(files["shop/order_items.csv"])).ReadAll()
		if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != "id,order_id,sku,qty" {
			t.Errorf("order_items.csv = %v, %v", recs, err)
		}
		if readme := string(files["LISEZMOI.txt"]); !strings.Contains(readme, "REQ-2026-001") || !strings.Contains(readme, "Commission d'accès") ||
			!strings.Contains(readme, "shop / orders : 2 lignes") {
			t.Errorf("LISEZMOI.txt =\n%s", readme)
		}

		// A value a spreadsheet would run as a formula is defused in the
		// CSV and exact in the JSON.
		got, _ = Collect(ctx, c, SampleMapping(), Identifiers{"email": "=cmd@example.org"})
		buf.Reset()
		WriteArchive(&buf, "en", ArchiveMeta{Reference: "REQ-2026-002", Organization: "Thé Boréal", GeneratedAt: at}, []Source{{Connector: "shop", Tables: got}})
		files = unzip(t, buf.Bytes())
		if _, ok := files["README.txt"]; !ok {
			t.Error("no README.txt in an English archive")
		}
		if s := string(files["shop/customers.csv"]); !strings.Contains(s, `'=HYPERLINK`) {
			t.Errorf("customers.csv does not defuse a formula:\n%s", s)
		}
		if s := string(files["shop/customers.json"]); !strings.Contains(s, `"=HYPERLINK(\"x\")"`) {
			t.Errorf("customers.json altered the value:\n%s", s)
		}
	})
}

func unzip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range z.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		out[f.Name] = b
	}
	return out
}

// snapshot reads every row of the shop, to prove what changed and what
// did not.
func snapshot(t *testing.T, e engine) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"customers", "orders", "order_items", "support_tickets", "newsletter", "audit_log"} {
		rows, err := e.admin.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i := range vals {
				vals[i] = value(vals[i])
			}
			out[table] = append(out[table], fmt.Sprint(vals))
		}
		rows.Close()
	}
	return out
}

func TestPlanErase(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		before := snapshot(t, e)
		plan, err := PlanErase(ctx, c, SampleMapping(), alice, 5)
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		got := map[string]string{}
		for _, o := range plan.Tables {
			got[o.Table] = fmt.Sprintf("%s %d", o.Action, o.Rows)
		}
		want := map[string]string{"customers": "anonymize 1", "orders": "anonymize 2", "order_items": "delete 3",
			"support_tickets": "delete 1", "newsletter": "delete 1", "audit_log": "keep 2"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("plan = %v, want %v", got, want)
		}
		if plan.Tables[0].Table != "order_items" {
			t.Errorf("first table %s, want order_items (children first)", plan.Tables[0].Table)
		}
		for _, o := range plan.Tables {
			switch {
			case o.Action == "keep" && (len(o.Sample) != 0 || o.Reason == ""):
				t.Errorf("%s: a kept table shows its reason and no sample: %+v", o.Table, o)
			case o.Action != "keep" && len(o.Sample) != int(o.Rows):
				t.Errorf("%s: sample of %d rows, want %d", o.Table, len(o.Sample), o.Rows)
			}
		}
		if after := snapshot(t, e); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("the dry run changed the database:\nbefore %v\nafter  %v", before, after)
		}
	})
}

func TestErase(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		before := snapshot(t, e)
		key := []byte("organization key")
		res, err := Erase(ctx, c, SampleMapping(), alice, key)
		if err != nil {
			t.Fatalf("erase: %v", err)
		}
		rows := map[string]int64{}
		for _, o := range res.Tables {
			rows[o.Table] = o.Rows
		}
		if rows["customers"] != 1 || rows["orders"] != 2 || rows["order_items"] != 3 || rows["audit_log"] != 2 {
			t.Errorf("result = %+v", res.Tables)
		}
		after := snapshot(t, e)
		var name, phone, email, birth any
		if err := e.admin.QueryRow(`SELECT name, phone, email, birth_date FROM customers WHERE id = 1`).Scan(&name, &phone, &email, &birth); err != nil {
			t.Fatal(err)
		}
		if name != nil || fmt.Sprint(value(phone)) != "anonymized" || !strings.HasPrefix(fmt.Sprint(value(email)), "anon-") ||
			!strings.HasPrefix(fmt.Sprint(value(birth)), "1984-01-01") {
			t.Errorf("alice after erasure: name %v, phone %v, email %v, birth %v", name, value(phone), value(email), value(birth))
		}
		var n int
		e.admin.QueryRow(`SELECT COUNT(*) FROM order_items WHERE order_id IN (10, 11)`).Scan(&n)
		if n != 0 {
			t.Errorf("%d of alice's order items remain", n)
		}
		e.admin.QueryRow(`SELECT COUNT(*) FROM orders WHERE customer_id = 1 AND shipping_address = 'anonymized'`).Scan(&n)
		if n != 2 {
			t.Errorf("%d of alice's orders anonymized, want 2", n)
		}
		if len(after["support_tickets"]) != 1 || len(after["newsletter"]) != 1 {
			t.Errorf("tickets %v, newsletter %v: want only bob's", after["support_tickets"], after["newsletter"])
		}
		if fmt.Sprint(after["audit_log"]) != fmt.Sprint(before["audit_log"]) {
			t.Errorf("the legal hold changed: %v", after["audit_log"])
		}
		// Bob is untouched, row for row.
		for table, list := range before {
			for _, r := range list {
				if strings.Contains(r, "bob@") || strings.Contains(r, "[12 ") || strings.Contains(r, "[103 ") {
					if !contains(after[table], r) {
						t.Errorf("%s: bob's row %s changed", table, r)
					}
				}
			}
		}
		// The same value hashes the same under one key: linkable, not
		// identifying.
		h1, _ := anonymized(ColumnRule{Rule: RuleHash}, "alice@example.org", key)
		if h1 != value(email) {
			t.Errorf("hash %v, stored %v", h1, value(email))
		}
		// Once erased, there is nothing left to find.
		plan, err := PlanErase(ctx, c, SampleMapping(), alice, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range plan.Tables {
			if o.Rows != 0 {
				t.Errorf("after erasure, %s still has %d rows for alice", o.Table, o.Rows)
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A failing table rolls back every table of the database.
func TestEraseRollsBack(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		m := SampleMapping()
		// Deleting customers while their orders stay is refused by the
		// orders foreign key, after tickets and newsletter were deleted.
		m[0].Erasure, m[0].Columns = ErasureDelete, nil
		m[1].Erasure, m[1].Columns, m[1].Reason = ErasureKeep, nil, "Tax records, 6 years"
		before := snapshot(t, e)
		for _, dry := range []bool{true, false} {
			var err error
			if dry {
				_, err = PlanErase(ctx, c, m, alice, 5)
			} else {
				_, err = Erase(ctx, c, m, alice, []byte("k"))
			}
			var pe *privaq.Error
			if !errors.As(err, &pe) || pe.Rule != "refused" || !strings.Contains(pe.Message, "foreign key") || !strings.Contains(pe.Message, "customers") {
				t.Fatalf("dry %v: got %v, want a foreign key refusal on customers", dry, err)
			}
			if strings.Contains(err.Error(), "alice") {
				t.Errorf("the error shows personal information: %v", err)
			}
		}
		if after := snapshot(t, e); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("a failed erasure left changes:\nbefore %v\nafter  %v", before, after)
		}
	})
}

func TestRectify(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		cors := []Correction{
			{Table: "customers", Column: "name", Value: "Alice Tremblay-Roy"},
			{Table: "customers", Column: "email", Value: "alice@example.net"},
			{Table: "customers", Column: "phone", Value: ""},
			{Table: "orders", Column: "shipping_address", Value: "40 rue Ontario, Montréal"},
		}
		before := snapshot(t, e)
		res, err := Rectify(ctx, c, SampleMapping(), alice, cors, true)
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if fmt.Sprint(res.Tables) != "[{orders rectify 2  [] []} {customers rectify 1  [] []}]" {
			t.Errorf("dry run = %v", res.Tables)
		}
		if after := snapshot(t, e); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Error("the dry run changed the database")
		}
		if _, err := Rectify(ctx, c, SampleMapping(), alice, cors, false); err != nil {
			t.Fatal(err)
		}
		var name, email string
		var phone any
		e.admin.QueryRow(`SELECT name, email, phone FROM customers WHERE id = 1`).Scan(&name, &email, &phone)
		if name != "Alice Tremblay-Roy" || email != "alice@example.net" || phone != nil {
			t.Errorf("after rectification: %q %q %v", name, email, phone)
		}
		var n int
		e.admin.QueryRow(`SELECT COUNT(*) FROM orders WHERE shipping_address = '40 rue Ontario, Montréal'`).Scan(&n)
		if n != 2 {
			t.Errorf("%d orders rectified, want 2", n)
		}

		for _, tc := range []struct {
			cor   Correction
			field string
		}{
			{Correction{Table: "invoices", Column: "x", Value: "y"}, "corrections[0].table"},
			{Correction{Table: "customers", Column: "nickname", Value: "y"}, "corrections"},
			{Correction{Table: "customers", Column: "name = 'x' --", Value: "y"}, "corrections[0].column"},
		} {
			if _, err := Rectify(ctx, c, SampleMapping(), alice, []Correction{tc.cor}, false); fieldOf(err) != tc.field {
				t.Errorf("%+v: got %v, want field %s", tc.cor, err, tc.field)
			}
		}
		// A value that does not fit is refused, nothing changed.
		before = snapshot(t, e)
		_, err = Rectify(ctx, c, SampleMapping(), Identifiers{"email": "alice@example.net"},
			[]Correction{{Table: "customers", Column: "name", Value: "ok"}, {Table: "customers", Column: "email", Value: "bob@example.org"}}, false)
		if pe := (*privaq.Error)(nil); !errors.As(err, &pe) || pe.Rule != "refused" || strings.Contains(err.Error(), "bob@") {
			t.Errorf("duplicate email: got %v, want a unique refusal without the value", err)
		}
		if after := snapshot(t, e); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Error("a refused rectification changed the database")
		}
	})
}

func TestYearOf(t *testing.T) {
	for in, want := range map[any]string{
		"1984-06-15": "1984-01-01", "1984-06-15 10:11:12": "1984-01-01 00:00:00", "1984": "1984",
		time.Date(1984, 6, 15, 10, 0, 0, 0, time.UTC): "1984-01-01 00:00:00 +0000 UTC",
	} {
		got, err := yearOf(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("yearOf(%v) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []any{"June", "84", int64(1984)} {
		if _, err := yearOf(bad); err == nil && bad != int64(1984) {
			t.Errorf("yearOf(%v): no error", bad)
		}
	}
}

// A deletion that would cascade to an unmapped table, or a table whose
// changes cannot be rolled back, is refused at mapping time.
func TestCheckRefusesHiddenChanges(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine, c *Conn) {
		ddl := `CREATE TABLE wishlist (id BIGINT PRIMARY KEY, customer_id BIGINT REFERENCES customers (id) ON DELETE CASCADE, sku VARCHAR(40))`
		if e.kind == KindMySQL {
			ddl = `CREATE TABLE wishlist (id BIGINT PRIMARY KEY, customer_id BIGINT, sku VARCHAR(40), FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`
		}
		if _, err := e.admin.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		m := SampleMapping()
		m[0].Erasure, m[0].Columns = ErasureDelete, nil
		if _, err := Check(ctx, c, m); fieldOf(err) != "tables[0].erasure" || !strings.Contains(err.Error(), "wishlist") {
			t.Fatalf("cascade to an unmapped table: got %v", err)
		}
		m = append(m, Table{Name: "wishlist", Parent: "customers", ForeignKey: "customer_id", ParentKey: "id", Erasure: ErasureDelete})
		if _, err := Check(ctx, c, m); err != nil {
			t.Fatalf("cascade to a mapped table: %v", err)
		}
		if e.kind != KindMySQL {
			return
		}
		if _, err := e.admin.Exec(`CREATE TABLE legacy_contacts (id BIGINT PRIMARY KEY, email VARCHAR(200)) ENGINE=MyISAM`); err != nil {
			t.Fatal(err)
		}
		m = append(SampleMapping(), Table{Name: "legacy_contacts", SubjectColumn: "email", Identifier: "email", Erasure: ErasureDelete})
		if _, err := Check(ctx, c, m); fieldOf(err) != "tables[6].name" || !strings.Contains(err.Error(), "MyISAM") {
			t.Fatalf("MyISAM table: got %v", err)
		}
	})
}
