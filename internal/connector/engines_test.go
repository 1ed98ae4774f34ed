package connector

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// The tests reach real servers (storetest, which does the same for
// privaq's own database, would be an import cycle here): PostgreSQL in a
// schema of its own,
// MariaDB in a database of its own, SQLite in a temporary file. Without a
// server the engine is skipped, or fails under REQUIRE_POSTGRES=1 /
// REQUIRE_MYSQL=1 (as in CI).

const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultMySQL    = "root@tcp(127.0.0.1:3306)/test"
)

// engine is a fresh empty database of one kind.
type engine struct {
	kind Kind
	// dsn reaches the fresh database; admin runs the fixture's SQL.
	dsn   string
	admin *sql.DB
}

func random() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func postgresEngine(t *testing.T) engine {
	base := os.Getenv("PRIVAQ_TEST_POSTGRES")
	if base == "" {
		base = defaultPostgres
	}
	root, err := sql.Open("pgx", base)
	if err == nil {
		err = root.Ping()
	}
	if err != nil {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required (REQUIRE_POSTGRES=1): %v", base, err)
		}
		t.Skipf("PostgreSQL unavailable, skipping (set REQUIRE_POSTGRES=1 to fail instead): %v", err)
	}
	schema := "connector_test_" + random()
	if _, err := root.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		root.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		root.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return engine{kind: KindPostgres, dsn: u.String(), admin: admin}
}

func mysqlEngine(t *testing.T) engine {
	base := os.Getenv("PRIVAQ_TEST_MYSQL")
	if base == "" {
		base = defaultMySQL
	}
	root, err := sql.Open("mysql", base)
	if err == nil {
		err = root.Ping()
	}
	if err != nil {
		if os.Getenv("REQUIRE_MYSQL") == "1" {
			t.Fatalf("MySQL/MariaDB at %s is required (REQUIRE_MYSQL=1): %v", base, err)
		}
		t.Skipf("MySQL/MariaDB unavailable, skipping (set REQUIRE_MYSQL=1 to fail instead): %v", err)
	}
	name := "connector_test_" + random()
	if _, err := root.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		root.Exec("DROP DATABASE " + name)
		root.Close()
	})
	cfg, _ := mysql.ParseDSN(base)
	cfg.DBName = name
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	cfg.MultiStatements = false
	return engine{kind: KindMySQL, dsn: cfg.FormatDSN(), admin: admin}
}

func sqliteEngine(t *testing.T) engine {
	path := filepath.Join(t.TempDir(), "shop.db")
	admin, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return engine{kind: KindSQLite, dsn: path, admin: admin}
}

// eachEngine runs fn on each engine with the sample shop loaded.
func eachEngine(t *testing.T, fn func(t *testing.T, e engine, c *Conn)) {
	for _, k := range []struct {
		name string
		mk   func(*testing.T) engine
	}{{"postgres", postgresEngine}, {"mysql", mysqlEngine}, {"sqlite", sqliteEngine}} {
		t.Run(k.name, func(t *testing.T) {
			e := k.mk(t)
			loadShop(t, e)
			c, err := Open(context.Background(), Config{Key: "shop", Kind: e.kind, DSN: e.dsn})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			t.Cleanup(func() { c.Close() })
			fn(t, e, c)
		})
	}
}
