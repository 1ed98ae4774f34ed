package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"privaq"
)

// dialect is the only place that knows which engine is underneath. The SQL
// elsewhere is the subset both engines share ($n placeholders, RETURNING,
// ON CONFLICT), so queries are written once.
type dialect string

const (
	engineSQLite   dialect = "sqlite"
	enginePostgres dialect = "postgres"
)

// openPools returns the writer and reader pools for a database URL. An empty
// URL means SQLite in dataDir/privaq.db. SQLite gets a single writer
// connection (SQLite allows one writer; queueing in Go beats busy-waiting in
// the engine) and a pool of readers; PostgreSQL uses one pool for both.
func openPools(dbURL, dataDir string) (w, r, ledger *sql.DB, d dialect, err error) {
	switch {
	case dbURL == "" || strings.HasPrefix(dbURL, "sqlite:") || strings.HasPrefix(dbURL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, nil, nil, "", fmt.Errorf("create data directory: %w", err)
			}
			path = filepath.Join(dataDir, "privaq.db")
		}
		// Create the file owner-only before SQLite does (it would use 0644);
		// its -wal and -shm files take the same mode.
		if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
			f.Close()
		}
		// busy_timeout must come before journal_mode: switching to WAL takes
		// a lock that may have to wait. synchronous(FULL) makes every
		// acknowledged commit durable, even across a power loss.
		pragmas := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
		// The writer never checkpoints the log itself: see checkpoints.
		w, err = sql.Open("sqlite", "file:"+path+pragmas+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, nil, nil, "", err
		}
		w.SetMaxOpenConns(1)
		r, err = sql.Open("sqlite", "file:"+path+pragmas)
		if err != nil {
			w.Close()
			return nil, nil, nil, "", err
		}
		// Idle connections are kept as many as may be open: under load,
		// closing and reopening them cost more than the queries.
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		return w, r, w, engineSQLite, nil
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		if _, err := url.Parse(dbURL); err != nil {
			return nil, nil, nil, "", fmt.Errorf("database URL: %w", err)
		}
		w, err = sql.Open("pgx", dbURL)
		if err != nil {
			return nil, nil, nil, "", err
		}
		w.SetMaxOpenConns(20)
		w.SetMaxIdleConns(20)
		if ledger, err = sql.Open("pgx", dbURL); err != nil {
			w.Close()
			return nil, nil, nil, "", err
		}
		// One node has one ledger writer, which commits one group at a time.
		ledger.SetMaxOpenConns(1)
		ledger.SetMaxIdleConns(1)
		return w, w, ledger, enginePostgres, nil
	}
	return nil, nil, nil, "", fmt.Errorf("unsupported database URL %q: use postgres://… or leave it empty for SQLite", redactURL(dbURL))
}

// mapError turns driver errors into coded errors: a missing row is
// not_found and a unique violation is conflict; anything else stays internal.
func (d dialect) mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return privaq.Errorf(privaq.ENotFound, "%s not found", what)
	}
	var pe *privaq.Error
	if errors.As(err, &pe) {
		return err
	}
	if d.isUnique(err) {
		return &privaq.Error{Code: privaq.EConflict, Message: what + " already exists", Err: err}
	}
	return &privaq.Error{Code: privaq.EInternal, Message: "database error", Err: err}
}

func (d dialect) isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// lockMigrations serializes migrations across nodes sharing a PostgreSQL
// database; SQLite's immediate transactions already do.
func (d dialect) lockMigrations() string {
	if d == enginePostgres {
		return "SELECT pg_advisory_xact_lock(7241003)"
	}
	return ""
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User(u.User.Username())
	return u.String()
}
