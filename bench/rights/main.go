// Command rights measures what a rights request costs an organization's
// own database when privaq reaches it through internal/connector: the
// access collection of one person, the access archive, the dry run of an
// erasure and the erasure itself, on a shop of 1,000,000 customers and
// 5,000,000 orders in the local PostgreSQL, first without an index on the
// lookup columns (customers.email, orders.customer_id), then with one.
//
// It loads its own schema (bench_rights by default) with server-side
// INSERT … SELECT FROM generate_series, so that the data are the same on
// every run, and drops it at the end unless -keep is given; -keep also
// reuses a schema that an earlier -keep run left loaded with the same
// sizes. Run:
//
//	go run ./bench/rights                 1,000,000 customers, 5,000,000 orders
//	go run ./bench/rights -short          20,000 customers, 100,000 orders
//	go run ./bench/rights -pg URL -runs 9 -keep
//
// The server is PRIVAQ_TEST_POSTGRES, or -pg, or the local default.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for the admin connection

	"privaq/internal/connector"
)

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// goal is what issue 6 asks of an access collection on an indexed base.
const goal = time.Second

type options struct {
	pg                string
	schema            string
	customers, orders int64
	runs, runsNoIndex int
	eraseRunsNoIndex  int
	loadWorkers       int
	keep, short       bool
	timeout           time.Duration
	chunkRows         int64
}

func main() {
	var o options
	flag.StringVar(&o.pg, "pg", "", "PostgreSQL URL (default: $PRIVAQ_TEST_POSTGRES, else "+defaultPostgres+")")
	flag.StringVar(&o.schema, "schema", "bench_rights", "schema the benchmark creates and drops")
	flag.Int64Var(&o.customers, "customers", 1_000_000, "customers to load")
	flag.Int64Var(&o.orders, "orders", 5_000_000, "orders to load, spread over the customers")
	flag.IntVar(&o.runs, "runs", 5, "runs of each measurement with the indexes")
	flag.IntVar(&o.runsNoIndex, "runs-noindex", 3, "runs of the collection without the indexes (each reads both tables whole)")
	flag.IntVar(&o.eraseRunsNoIndex, "erase-runs-noindex", 2, "runs of the dry run and of the erasure without the indexes")
	flag.IntVar(&o.loadWorkers, "load-workers", 2, "connections that load the tables side by side")
	flag.BoolVar(&o.keep, "keep", false, "reuse the schema if an earlier -keep run left it loaded with these sizes, and leave it at the end")
	flag.BoolVar(&o.short, "short", false, "quick smoke run: 20,000 customers and 100,000 orders unless -customers or -orders say otherwise")
	flag.DurationVar(&o.timeout, "timeout", time.Hour, "give up after this long")
	flag.Parse()
	if o.short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["customers"] {
			o.customers = 20_000
		}
		if !set["orders"] {
			o.orders = 100_000
		}
	}
	if o.pg == "" {
		o.pg = os.Getenv("PRIVAQ_TEST_POSTGRES")
	}
	if o.pg == "" {
		o.pg = defaultPostgres
	}
	o.chunkRows = 250_000
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "rights:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "rights:", err)
		os.Exit(1)
	}
}

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func (o options) check() error {
	switch {
	case !schemaRE.MatchString(o.schema):
		return fmt.Errorf("-schema %q: use lowercase letters, digits and _", o.schema)
	case o.customers < 10:
		return errors.New("-customers: at least 10")
	case o.orders < 1:
		return errors.New("-orders: at least 1")
	case o.orders > 3_000_000_000:
		// The order-to-customer hash multiplies the order id by a 32-bit
		// constant within a bigint.
		return errors.New("-orders: at most 3,000,000,000")
	case o.runs < 1 || o.runsNoIndex < 1 || o.eraseRunsNoIndex < 0:
		return errors.New("-runs and -runs-noindex: at least 1; -erase-runs-noindex: at least 0")
	case o.loadWorkers < 1:
		return errors.New("-load-workers: at least 1")
	}
	// Erasures take distinct people from two ranges of a quarter of the
	// customers each.
	if int64(o.eraseRunsNoIndex+o.runs)*7 > o.customers/4 {
		return errors.New("too many erasure runs for so few customers")
	}
	return nil
}

// figure is one line of the summary.
type figure struct {
	name  string
	times []time.Duration
	note  string
}

type bench struct {
	o       options
	admin   *sql.DB
	conn    *connector.Conn
	tables  []connector.Table
	hashKey []byte
	summary []figure
	// erased are the customers already erased in this schema (by -keep
	// runs too): the erasure runs take others.
	erased map[int64]bool
}

func run(ctx context.Context, o options) error {
	started := time.Now()
	fmt.Printf("bench/rights: access and erasure through internal/connector on PostgreSQL\n")
	fmt.Printf("command     %s\n", strings.TrimSpace("go run ./bench/rights "+strings.Join(os.Args[1:], " ")))
	fmt.Printf("started     %s\n", started.UTC().Format(time.RFC3339))
	fmt.Printf("load avg    %s (start)\n", loadavg())
	fmt.Printf("machine     %d CPUs (runtime.NumCPU), GOMAXPROCS %d, %s memory, %s %s/%s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), runtime.Version(), runtime.GOOS, runtime.GOARCH)

	admin, err := sql.Open("pgx", o.pg)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", redact(o.pg), err)
	}
	defer admin.Close()
	admin.SetMaxOpenConns(o.loadWorkers + 1)

	var version string
	if err := admin.QueryRowContext(ctx, `SELECT version()`).Scan(&version); err != nil {
		return err
	}
	fmt.Printf("postgresql  %s\n", version)
	settings, err := pgSettings(ctx, admin)
	if err != nil {
		return err
	}
	fmt.Printf("settings    %s\n", settings)
	fmt.Printf("server      %s, schema %s\n", redact(o.pg), o.schema)
	fmt.Printf("data        %d customers, %d orders\n\n", o.customers, o.orders)

	b := &bench{o: o, admin: admin, hashKey: []byte("bench/rights hash key"), tables: mapping()}
	if err := b.load(ctx); err != nil {
		return err
	}
	if !o.keep {
		defer func() {
			if _, err := admin.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+o.schema+` CASCADE`); err != nil {
				fmt.Fprintln(os.Stderr, "rights: drop schema:", err)
			} else {
				fmt.Printf("schema %s dropped (give -keep to leave it loaded for the next run)\n", o.schema)
			}
		}()
	}
	fmt.Printf("load avg    %s (after the load)\n\n", loadavg())

	dsn, err := withSearchPath(o.pg, o.schema)
	if err != nil {
		return err
	}
	b.conn, err = connector.Open(ctx, connector.Config{Key: "shop", Kind: connector.KindPostgres, DSN: dsn})
	if err != nil {
		return fmt.Errorf("connector.Open: %w", err)
	}
	defer b.conn.Close()

	if err := b.phase(ctx, false); err != nil {
		return err
	}
	if err := b.index(ctx); err != nil {
		return err
	}
	if err := b.phase(ctx, true); err != nil {
		return err
	}

	end := loadavg()
	fmt.Printf("== summary: %d customers, %d orders; %d CPUs; PostgreSQL %s\n", o.customers, o.orders, runtime.NumCPU(), shortVersion(version))
	fmt.Printf("%-26s %4s  %10s  %10s  %10s  %s\n", "operation", "runs", "min", "median", "max", "")
	medians := map[string]time.Duration{}
	for _, f := range b.summary {
		medians[f.name] = stats(f.times).median
	}
	for _, f := range b.summary {
		s := stats(f.times)
		note := f.note
		if without, ok := medians[strings.Replace(f.name, "(indexed)", "(no index)", 1)]; ok && strings.HasSuffix(f.name, "(indexed)") &&
			!strings.HasPrefix(f.name, "archive") && s.median > 0 {
			note = strings.TrimPrefix(note+"; ", "; ") + fmt.Sprintf("median %.0fx below the no-index one", float64(without)/float64(s.median))
		}
		fmt.Printf("%-26s %4d  %10s  %10s  %10s  %s\n", f.name, len(f.times), ms(s.min), ms(s.median), ms(s.max), note)
	}
	fmt.Printf("\nload avg    %s (end)\n", end)
	fmt.Printf("total       %s\n", time.Since(started).Round(time.Second))
	return nil
}

// mapping is what an officer would map for this shop: the customer found
// by email and anonymized, the orders found through the customer and
// deleted.
func mapping() []connector.Table {
	return []connector.Table{
		{Name: "customers", SubjectColumn: "email", Identifier: "email", Erasure: connector.ErasureAnonymize,
			Columns: []connector.ColumnRule{
				{Column: "name", Rule: connector.RuleNull},
				{Column: "phone", Rule: connector.RuleFixed, Value: "anonymized"},
				{Column: "email", Rule: connector.RuleHash},
				{Column: "birth_date", Rule: connector.RuleYear},
			}},
		{Name: "orders", Parent: "customers", ForeignKey: "customer_id", ParentKey: "id", Erasure: connector.ErasureDelete},
	}
}

func email(id int64) string { return "customer" + strconv.FormatInt(id, 10) + "@example.org" }

// The load. Every value derives from the row number, so that two loads of
// the same sizes hold the same rows. An order's customer is a
// multiplicative hash of its id (Knuth's 2654435761, modulo 2^32, then
// modulo the customer count): the orders of one customer are scattered
// through the table, as they are in a shop that has run for years, and
// each customer has about orders/customers of them (3 to 6 for 5 per
// customer at full size).
const (
	createSQL = `
CREATE TABLE %[1]s.customers (
	id bigint NOT NULL,
	email text NOT NULL,
	name text,
	phone text,
	birth_date date,
	created_at timestamptz
);
CREATE TABLE %[1]s.orders (
	id bigint NOT NULL,
	customer_id bigint NOT NULL,
	placed_at timestamptz,
	total numeric(10,2),
	shipping_address text
);
CREATE TABLE %[1]s.bench_meta (customers bigint NOT NULL, orders bigint NOT NULL, loaded_at timestamptz NOT NULL)`

	customersSQL = `INSERT INTO %s.customers (id, email, name, phone, birth_date, created_at)
SELECT g, 'customer' || g || '@example.org', 'Customer ' || g,
	'+1 514 555 ' || lpad((g %% 10000)::text, 4, '0'),
	date '1940-01-01' + ((g * 7919) %% 25000)::int,
	timestamptz '2019-01-01 00:00:00+00' + g * interval '17 seconds'
FROM generate_series($1::bigint, $2::bigint) g`

	ordersSQL = `INSERT INTO %s.orders (id, customer_id, placed_at, total, shipping_address)
SELECT g, 1 + (((g * 2654435761) & 4294967295) %% $3::bigint),
	timestamptz '2021-01-01 00:00:00+00' + g * interval '11 seconds',
	((g * 7) %% 50000 + 100) / 100.0,
	(g %% 997 + 1) || ' rue des Pins, Montréal'
FROM generate_series($1::bigint, $2::bigint) g`
)

func (b *bench) load(ctx context.Context) error {
	o, db := b.o, b.admin
	if o.keep {
		var c, n int64
		err := db.QueryRowContext(ctx, `SELECT customers, orders FROM `+o.schema+`.bench_meta`).Scan(&c, &n)
		switch {
		case err == nil && c == o.customers && n == o.orders:
			fmt.Printf("== load: reusing schema %s (-keep), loaded earlier with the same sizes\n", o.schema)
			if err := b.loadErased(ctx); err != nil {
				return err
			}
			fmt.Printf("   %d customers already erased by earlier runs are left out of the erasure runs\n", len(b.erased))
			if err := b.dropIndexes(ctx); err != nil {
				return err
			}
			return b.sizes(ctx)
		case err == nil:
			fmt.Printf("== load: schema %s holds %d customers and %d orders, not these sizes: loading again\n", o.schema, c, n)
		default:
			fmt.Printf("== load: no loaded schema %s to reuse: loading\n", o.schema)
		}
	} else {
		fmt.Printf("== load\n")
	}
	b.erased = map[int64]bool{}
	total := time.Now()
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+o.schema+` CASCADE`); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+o.schema); err != nil {
		return err
	}
	for _, stmt := range strings.Split(fmt.Sprintf(createSQL, o.schema), ";") {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	}
	step := func(what string, fn func() error) error {
		t := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Printf("   %-44s %s\n", what, secs(time.Since(t)))
		return nil
	}
	if err := step(fmt.Sprintf("insert %d customers", o.customers), func() error {
		return b.chunks(ctx, fmt.Sprintf(customersSQL, o.schema), o.customers)
	}); err != nil {
		return err
	}
	if err := step(fmt.Sprintf("insert %d orders", o.orders), func() error {
		return b.chunks(ctx, fmt.Sprintf(ordersSQL, o.schema), o.orders, o.customers)
	}); err != nil {
		return err
	}
	// The primary keys are built once the rows are in, which is faster
	// than keeping them up to date row by row.
	for _, t := range []string{"customers", "orders"} {
		if err := step("primary key of "+t, func() error {
			_, err := db.ExecContext(ctx, `ALTER TABLE `+o.schema+`.`+t+` ADD PRIMARY KEY (id)`)
			return err
		}); err != nil {
			return err
		}
	}
	// VACUUM ANALYZE rather than ANALYZE alone: the planner gets its
	// statistics, and the rows their hint bits and visibility map, so the
	// first measured scan does not pay for writing them.
	for _, t := range []string{"customers", "orders"} {
		if err := step("vacuum analyze "+t, func() error {
			_, err := db.ExecContext(ctx, `VACUUM (ANALYZE) `+o.schema+`.`+t)
			return err
		}); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO `+o.schema+`.bench_meta VALUES ($1, $2, now())`, o.customers, o.orders); err != nil {
		return err
	}
	fmt.Printf("   %-44s %s\n", "load in all", secs(time.Since(total)))
	if err := b.sizes(ctx); err != nil {
		return err
	}
	return b.spread(ctx)
}

// chunks runs an INSERT … SELECT FROM generate_series($1, $2) over 1…n in
// chunks, on o.loadWorkers connections side by side; extra parameters
// follow $1 and $2.
func (b *bench) chunks(ctx context.Context, query string, n int64, extra ...any) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan [2]int64)
	go func() {
		defer close(next)
		for lo := int64(1); lo <= n; lo += b.o.chunkRows {
			select {
			case next <- [2]int64{lo, min(lo+b.o.chunkRows-1, n)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range b.o.loadWorkers {
		wg.Go(func() {
			for r := range next {
				if _, err := b.admin.ExecContext(ctx, query, append([]any{r[0], r[1]}, extra...)...); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func (b *bench) sizes(ctx context.Context) error {
	for _, t := range []string{"customers", "orders"} {
		var heap, total int64
		err := b.admin.QueryRowContext(ctx, `SELECT pg_relation_size($1::regclass), pg_total_relation_size($1::regclass)`,
			b.o.schema+"."+t).Scan(&heap, &total)
		if err != nil {
			return err
		}
		fmt.Printf("   %-44s %s table, %s with its indexes\n", "size of "+t, mib(heap), mib(total))
	}
	return nil
}

// spread reports how many orders the customers have.
func (b *bench) spread(ctx context.Context) error {
	var lo, hi int64
	var avg float64
	err := b.admin.QueryRowContext(ctx, `SELECT min(n), max(n), avg(n) FROM (SELECT count(*) AS n FROM `+b.o.schema+
		`.orders GROUP BY customer_id) s`).Scan(&lo, &hi, &avg)
	if err != nil {
		return err
	}
	var without int64
	if err := b.admin.QueryRowContext(ctx, `SELECT $1::bigint - count(DISTINCT customer_id) FROM `+b.o.schema+`.orders`,
		b.o.customers).Scan(&without); err != nil {
		return err
	}
	fmt.Printf("   %-44s %d to %d (mean %.2f); %d customers without an order\n", "orders per customer", lo, hi, avg, without)
	return nil
}

// loadErased finds the customers that earlier runs erased: their email is
// a hash.
func (b *bench) loadErased(ctx context.Context) error {
	b.erased = map[int64]bool{}
	rows, err := b.admin.QueryContext(ctx, `SELECT id FROM `+b.o.schema+`.customers WHERE email LIKE 'anon-%'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		b.erased[id] = true
	}
	return rows.Err()
}

// targets picks n customers not yet erased, from first on in steps of 7.
func (b *bench) targets(first int64, n int) []int64 {
	var out []int64
	for id := first; len(out) < n && id <= b.o.customers; id += 7 {
		if !b.erased[id] {
			out = append(out, id)
		}
	}
	return out
}

func (b *bench) dropIndexes(ctx context.Context) error {
	for _, ix := range []string{"customers_email_idx", "orders_customer_id_idx"} {
		if _, err := b.admin.ExecContext(ctx, `DROP INDEX IF EXISTS `+b.o.schema+`.`+ix); err != nil {
			return err
		}
	}
	return nil
}

// index creates the lookup indexes between the two phases.
func (b *bench) index(ctx context.Context) error {
	fmt.Printf("== indexes\n")
	total := time.Duration(0)
	for _, ix := range []struct{ name, table, col string }{
		{"customers_email_idx", "customers", "email"},
		{"orders_customer_id_idx", "orders", "customer_id"},
	} {
		t := time.Now()
		if _, err := b.admin.ExecContext(ctx, `CREATE INDEX `+ix.name+` ON `+b.o.schema+`.`+ix.table+` (`+ix.col+`)`); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
		d := time.Since(t)
		total += d
		var size int64
		if err := b.admin.QueryRowContext(ctx, `SELECT pg_relation_size($1::regclass)`, b.o.schema+"."+ix.name).Scan(&size); err != nil {
			return err
		}
		fmt.Printf("   %-44s %s (%s)\n", "create index on "+ix.table+" ("+ix.col+")", secs(d), mib(size))
		b.summary = append(b.summary, figure{name: "index " + ix.table + "." + ix.col, times: []time.Duration{d}, note: "CREATE INDEX, once"})
	}
	t := time.Now()
	if _, err := b.admin.ExecContext(ctx, `ANALYZE `+b.o.schema+`.customers, `+b.o.schema+`.orders`); err != nil {
		return err
	}
	fmt.Printf("   %-44s %s\n", "analyze", secs(time.Since(t)))
	fmt.Printf("   %-44s %s\n\n", "indexes in all", secs(total))
	return nil
}

// phase measures everything once without the lookup indexes or with them.
func (b *bench) phase(ctx context.Context, indexed bool) error {
	label, runs, eraseRuns := "no index", b.o.runsNoIndex, b.o.eraseRunsNoIndex
	first := b.o.customers / 4
	if indexed {
		label, runs, eraseRuns = "indexed", b.o.runs, b.o.runs
		first = b.o.customers * 3 / 4
	} else if err := b.dropIndexes(ctx); err != nil {
		return err
	}
	fmt.Printf("== phase: %s (load avg %s)\n", map[bool]string{false: "without an index on customers.email and orders.customer_id", true: "with the indexes"}[indexed], loadavg())

	// Check.
	t := time.Now()
	rep, err := connector.Check(ctx, b.conn, b.tables)
	if err != nil {
		return fmt.Errorf("connector.Check: %w", err)
	}
	fmt.Printf("check (%s):\n", ms(time.Since(t)))
	var missing []string
	for _, tr := range rep.Tables {
		state := "indexed"
		if !tr.Indexed {
			state = "NOT indexed: every request reads the whole table"
			missing = append(missing, tr.Table+"."+tr.Lookup)
		}
		fmt.Printf("   %-10s lookup %-12s primary key %-4s %s\n", tr.Table, tr.Lookup, strings.Join(tr.PrimaryKey, ","), state)
	}
	if len(missing) == 0 {
		fmt.Printf("   every lookup has an index\n")
	} else {
		fmt.Printf("   lookups without an index: %s\n", strings.Join(missing, ", "))
	}
	if indexed != (len(missing) == 0) {
		return fmt.Errorf("check: expected the lookups to be %s, got missing indexes %v", label, missing)
	}

	person := b.o.customers / 2
	ids := connector.Identifiers{"email": email(person)}
	if err := b.explain(ctx, ids["email"]); err != nil {
		return err
	}

	// Collect and archive.
	fmt.Printf("collect customer %d (%s), %d runs:\n", person, ids["email"], runs)
	var collects, archives []time.Duration
	var size int
	for i := range runs {
		t := time.Now()
		rows, err := connector.Collect(ctx, b.conn, b.tables, ids)
		d := time.Since(t)
		if err != nil {
			return fmt.Errorf("connector.Collect: %w", err)
		}
		collects = append(collects, d)
		var buf bytes.Buffer
		t = time.Now()
		err = connector.WriteArchive(&buf, "en", connector.ArchiveMeta{Reference: "BENCH-" + strconv.Itoa(i+1),
			Organization: "Bench shop", GeneratedAt: time.Now()}, []connector.Source{{Connector: "shop", Tables: rows}})
		a := time.Since(t)
		if err != nil {
			return fmt.Errorf("connector.WriteArchive: %w", err)
		}
		archives = append(archives, a)
		size = buf.Len()
		var counts []string
		for _, tr := range rows {
			counts = append(counts, fmt.Sprintf("%s %d", tr.Table, len(tr.Rows)))
		}
		if len(rows) != 2 || len(rows[0].Rows) != 1 || len(rows[1].Rows) == 0 {
			return fmt.Errorf("collect found %s: expected one customer and their orders", strings.Join(counts, ", "))
		}
		fmt.Printf("   run %d: collect %10s (%s rows), archive %8s, %d bytes\n", i+1, ms(d), strings.Join(counts, ", "), ms(a), size)
	}
	note := ""
	if indexed {
		verdict := "met"
		if stats(collects).median >= goal {
			verdict = "NOT met"
		}
		note = "goal < 1 s: " + verdict
	}
	b.summary = append(b.summary,
		figure{name: "collect (" + label + ")", times: collects, note: note},
		figure{name: "archive (" + label + ")", times: archives, note: fmt.Sprintf("WriteArchive into a buffer, ZIP of %d bytes", size)})

	if eraseRuns == 0 {
		fmt.Println()
		return nil
	}

	// Dry run, on the collected person: it changes nothing.
	fmt.Printf("dry run (PlanErase, 5 sample rows) of customer %d, %d runs:\n", person, eraseRuns)
	var plans []time.Duration
	for i := range eraseRuns {
		t := time.Now()
		res, err := connector.PlanErase(ctx, b.conn, b.tables, ids, 5)
		d := time.Since(t)
		if err != nil {
			return fmt.Errorf("connector.PlanErase: %w", err)
		}
		plans = append(plans, d)
		fmt.Printf("   run %d: %10s  %s\n", i+1, ms(d), outcomes(res, true))
	}
	b.summary = append(b.summary, figure{name: "dry run (" + label + ")", times: plans, note: "PlanErase, rolled back"})

	// Erasure, a different person each run, so that each run changes rows.
	who := b.targets(first, eraseRuns)
	if len(who) < eraseRuns {
		return fmt.Errorf("not enough customers left to erase from %d on", first)
	}
	fmt.Printf("erase (Erase, committed), %d runs on customers %s:\n", eraseRuns, joinIDs(who))
	var erases []time.Duration
	for i, id := range who {
		var orders int64
		if err := b.admin.QueryRowContext(ctx, `SELECT count(*) FROM `+b.o.schema+`.orders WHERE customer_id = $1`, id).Scan(&orders); err != nil {
			return err
		}
		pid := connector.Identifiers{"email": email(id)}
		t := time.Now()
		res, err := connector.Erase(ctx, b.conn, b.tables, pid, b.hashKey)
		d := time.Since(t)
		if err != nil {
			return fmt.Errorf("connector.Erase: %w", err)
		}
		b.erased[id] = true
		erases = append(erases, d)
		if err := b.verifyErased(ctx, id, orders, res); err != nil {
			return err
		}
		fmt.Printf("   run %d: %10s  customer %d: %s; checked\n", i+1, ms(d), id, outcomes(res, false))
	}
	b.summary = append(b.summary, figure{name: "erase (" + label + ")", times: erases, note: "Erase, one customer and their orders each"})
	fmt.Println()
	return nil
}

// verifyErased reads back an erased customer: anonymized as mapped, no
// order left.
func (b *bench) verifyErased(ctx context.Context, id, orders int64, res connector.Result) error {
	want := map[string]int64{"orders": orders, "customers": 1}
	for _, o := range res.Tables {
		if o.Rows != want[o.Table] {
			return fmt.Errorf("erase of customer %d: %s %d rows, expected %d", id, o.Table, o.Rows, want[o.Table])
		}
	}
	var name, phone sql.NullString
	var mail string
	var birth time.Time
	err := b.admin.QueryRowContext(ctx, `SELECT name, phone, email, birth_date FROM `+b.o.schema+`.customers WHERE id = $1`, id).
		Scan(&name, &phone, &mail, &birth)
	if err != nil {
		return err
	}
	if name.Valid || phone.String != "anonymized" || !strings.HasPrefix(mail, "anon-") || birth.Month() != 1 || birth.Day() != 1 {
		return fmt.Errorf("customer %d is not anonymized as mapped: name %v, phone %q, email %q, birth date %s",
			id, name, phone.String, mail, birth.Format(time.DateOnly))
	}
	var left int64
	if err := b.admin.QueryRowContext(ctx, `SELECT count(*) FROM `+b.o.schema+`.orders WHERE customer_id = $1`, id).Scan(&left); err != nil {
		return err
	}
	if left != 0 {
		return fmt.Errorf("customer %d still has %d orders", id, left)
	}
	return nil
}

// explain shows how PostgreSQL finds the person's orders: the query the
// connector sends for the orders table.
func (b *bench) explain(ctx context.Context, mail string) error {
	rows, err := b.admin.QueryContext(ctx, `EXPLAIN (COSTS OFF) SELECT * FROM `+b.o.schema+`.orders WHERE customer_id IN (SELECT id FROM `+
		b.o.schema+`.customers WHERE email = '`+strings.ReplaceAll(mail, "'", "''")+`')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Printf("plan of the orders lookup:\n")
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Printf("   | %s\n", line)
	}
	return rows.Err()
}

func outcomes(res connector.Result, sample bool) string {
	var parts []string
	for _, o := range res.Tables {
		s := fmt.Sprintf("%s %s %d", o.Table, o.Action, o.Rows)
		if sample {
			s += fmt.Sprintf(" (sample %d)", len(o.Sample))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func joinIDs(ids []int64) string {
	var s []string
	for _, id := range ids {
		s = append(s, strconv.FormatInt(id, 10))
	}
	return strings.Join(s, ", ")
}

type summaryStats struct{ min, median, max time.Duration }

func stats(ds []time.Duration) summaryStats {
	if len(ds) == 0 {
		return summaryStats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summaryStats{min: s[0], median: m, max: s[len(s)-1]}
}

// ms writes a duration in milliseconds below a second, else in seconds.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 10:
		return fmt.Sprintf("%.2f ms", f)
	case f < 1000:
		return fmt.Sprintf("%.1f ms", f)
	}
	return secs(d)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

func pgSettings(ctx context.Context, db *sql.DB) (string, error) {
	var parts []string
	for _, name := range []string{"shared_buffers", "work_mem", "maintenance_work_mem", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"} {
		var v string
		if err := db.QueryRowContext(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return "", err
		}
		parts = append(parts, name+"="+v)
	}
	return strings.Join(parts, " "), nil
}

// shortVersion is "15.20" out of "PostgreSQL 15.20 (Debian …) on …".
func shortVersion(v string) string {
	f := strings.Fields(v)
	if len(f) >= 2 {
		return f[1]
	}
	return v
}

// withSearchPath is the connector's DSN: the server URL with the
// benchmark's schema first on the search path.
func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact hides a password in a URL printed to the output.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
