package connector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"privaq"
)

// A connector that cannot connect says why, in words the officer can act
// on, and never repeats the DSN's password.
func TestOpenErrors(t *testing.T) {
	const secret = "s3cret-Pa55"
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("not a database, only a long enough text file to be read"), 0o600)
	pg, my := postgresEngine(t), mysqlEngine(t)
	myBase, _, _ := strings.Cut(my.dsn, "@")
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"postgres unknown user", Config{Key: "a", Kind: KindPostgres, DSN: "postgres://nobody_here:" + secret + "@127.0.0.1:5432/test?sslmode=disable"}, "user name or password"},
		{"postgres unreachable", Config{Key: "a", Kind: KindPostgres, DSN: "postgres://u:" + secret + "@127.0.0.1:1/test?sslmode=disable"}, "cannot be reached"},
		{"postgres no database", Config{Key: "a", Kind: KindPostgres, DSN: strings.Replace(pg.dsn, "/test?", "/no_such_db_here?", 1)}, "does not exist"},
		{"mysql wrong password", Config{Key: "a", Kind: KindMySQL, DSN: myBase + ":" + secret + "@tcp(127.0.0.1:3306)/test"}, "user name or password"},
		{"mysql unreachable", Config{Key: "a", Kind: KindMySQL, DSN: "u:" + secret + "@tcp(127.0.0.1:1)/test"}, "cannot be reached"},
		{"mysql no database", Config{Key: "a", Kind: KindMySQL, DSN: myBase + "@tcp(127.0.0.1:3306)/no_such_db_here"}, "does not exist"},
		{"sqlite missing file", Config{Key: "a", Kind: KindSQLite, DSN: filepath.Join(dir, "missing.db")}, "no SQLite database file"},
		{"sqlite not a database", Config{Key: "a", Kind: KindSQLite, DSN: notDB}, "not a SQLite database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(ctx, tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the password: %v", err)
			}
			if privaq.ErrorCode(err) != privaq.EValidation || fieldOf(err) != "dsn" {
				t.Errorf("code %s field %q, want validation_failed on dsn", privaq.ErrorCode(err), fieldOf(err))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("opening a missing SQLite file created it")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Key: "Shop DB", Kind: KindSQLite, DSN: "/tmp/x.db"}, "key"},
		{Config{Key: "shop", Kind: "oracle", DSN: "x"}, "kind"},
		{Config{Key: "shop", Kind: KindPostgres}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@host:notaport/db"}, "dsn"},
		{Config{Key: "shop", Kind: KindMySQL, DSN: "mysql://u:p@host/db"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "host=db.example dbname=shop user=u"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@db.example/shop?passfile=/root/.pgpass"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@db.example/shop?host=127.0.0.1"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@a.example,b.example/shop"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@db.example/"}, "dsn"},
		{Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://db.example/shop"}, "dsn"},
		{Config{Key: "shop", Kind: KindMySQL, DSN: "u:p@tcp(host:3306)/"}, "dsn"},
	} {
		if f := fieldOf(tc.cfg.Validate()); f != tc.field {
			t.Errorf("%+v: got field %q, want %q", tc.cfg, f, tc.field)
		}
	}
	if err := (Config{Key: "shop", Kind: KindMySQL, DSN: "u:p@tcp(host:3306)/shop"}).Validate(); err != nil {
		t.Errorf("a good MySQL DSN: %v", err)
	}
	if err := (Config{Key: "shop", Kind: KindPostgres, DSN: "postgres://u:p@db.example:5433/shop?sslmode=require&search_path=crm"}).Validate(); err != nil {
		t.Errorf("a good PostgreSQL DSN: %v", err)
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"postgres://u:p@LOCALHOST/privaq", "postgres://postgres@127.0.0.1:5432/privaq?sslmode=disable", true},
		{"postgres://u:p@[::1]:5432/privaq", "postgres://postgres@localhost/privaq", true},
		{"postgres://u:p@db.example/privaq", "postgres://postgres@DB.example:5432/privaq", true},
		{"postgres://u:p@db.example/shop", "postgres://postgres@db.example/privaq", false},
		{"postgres://u:p@db.example:5433/privaq", "postgres://postgres@db.example/privaq", false},
	} {
		if got := SamePostgres(c.a, c.b); got != c.same {
			t.Errorf("SamePostgres(%s, %s) = %v", c.a, c.b, got)
		}
	}
	// The MySQL driver must never let the server read privaq's files.
	dsn, _ := dialects[KindMySQL].dsn("u:p@tcp(host:3306)/shop?allowAllFiles=true&multiStatements=true")
	if strings.Contains(dsn, "allowAllFiles=true") || strings.Contains(dsn, "multiStatements=true") {
		t.Errorf("unsafe options kept: %s", dsn)
	}
}
