// Package storetest gives each test a fresh database on every engine:
// SQLite in a temporary directory, and PostgreSQL in a throwaway schema, so
// that the same suite proves both engines and parallel runs never collide.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"privaq/internal/keys"
	"privaq/internal/store"
)

// DefaultPostgres is the test server of the development machines and CI.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engine is one database engine to run a test on.
type Engine struct {
	Name string
	// URL returns a database URL for a fresh, empty database ("" for SQLite,
	// whose file then lives in the data directory), dropped at cleanup.
	URL func(t testing.TB) string
}

// Engines lists SQLite and PostgreSQL.
var Engines = []Engine{
	{Name: "sqlite", URL: func(testing.TB) string { return "" }},
	{Name: "postgres", URL: PostgresURL},
}

// Each runs fn once per engine, as subtests, with an open migrated DB.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) {
			fn(t, Open(t, e.URL(t)))
		})
	}
}

// Open opens a migrated database at dbURL (SQLite in a temp dir when empty)
// with a random master key, closed at cleanup.
func Open(t testing.TB, dbURL string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL, t.TempDir(), keys.Random())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates a schema of its own on the test server and returns a
// URL whose connections use it. Without a server the test is skipped, or
// fails when REQUIRE_POSTGRES=1 (as in CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PRIVAQ_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(context.Background())
	}
	if err != nil {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required (REQUIRE_POSTGRES=1): %v", base, err)
		}
		t.Skipf("PostgreSQL unavailable, skipping (set REQUIRE_POSTGRES=1 to fail instead): %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "privaq_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PRIVAQ_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
