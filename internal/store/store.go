// Package store implements every domain's Store on SQLite (modernc, pure Go)
// and PostgreSQL (pgx) with one set of queries. It also seals personal
// information with the keys of package keys before it reaches the database.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/keys"
	"privaq/internal/org"
)

//go:embed migrations
var migrations embed.FS

// DB is privaq's database.
type DB struct {
	w, r    *sql.DB
	dialect dialect
	keys    *keyring
	index   *stateIndex // decisions in memory, see stateindex.go
	// The lookups every API request makes, see nodecache.go, and their
	// statements, prepared once (prepared.go).
	tokens    *nodeCache[string, org.Token]
	orgs      *nodeCache[string, org.Org]
	revisions *nodeCache[privaq.OrgID, [2]int64]
	pr        *prepared // on the read pool
	// ledger is the ledger writer's pool: on PostgreSQL its own
	// connection, so that a group commit never waits for one behind the
	// reads of the requests it will answer.
	ledger *sql.DB
	// stopCheckpoints ends SQLite's log checkpoints (checkpoint.go).
	stopCheckpoints func()
	// Log gets what the store's background work cannot return to a
	// caller; slog's default when nil.
	Log *slog.Logger
}

func (db *DB) log() *slog.Logger {
	if db.Log != nil {
		return db.Log
	}
	return slog.Default()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open connects to the database (SQLite in dataDir when dbURL is empty) and
// applies pending migrations.
func Open(ctx context.Context, dbURL, dataDir string, master keys.Key) (*DB, error) {
	w, r, ledger, d, err := openPools(dbURL, dataDir)
	if err != nil {
		return nil, err
	}
	db := &DB{w: w, r: r, ledger: ledger, dialect: d, keys: newKeyring(master),
		tokens: newNodeCache[string, org.Token](time.Now), orgs: newNodeCache[string, org.Org](time.Now),
		revisions: newNodeCache[privaq.OrgID, [2]int64](time.Now), pr: newPrepared(r)}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", d, err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.checkMasterKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.index = newStateIndex(db)
	if d == engineSQLite {
		db.stopCheckpoints = db.checkpoints()
	}
	return db, nil
}

const keyCheckPlain = "privaq master key check"

// checkMasterKey seals a constant with the master key on first start, and
// on later starts proves the key opens it.
func (db *DB) checkMasterKey(ctx context.Context) error {
	sealed := db.keys.master.Seal([]byte(keyCheckPlain), []byte("key_check"))
	if _, err := db.w.ExecContext(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	if err := db.w.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed); err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	if plain, err := db.keys.master.Open(sealed, []byte("key_check")); err != nil || string(plain) != keyCheckPlain {
		return fmt.Errorf("the master key is not the one this database was created with: set PRIVAQ_MASTER_KEY (or DATA/keys/master.key) to the original key")
	}
	return nil
}

// SchemaVersion returns the number of the last applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("database unreachable: %w", err)
	}
	return int(v.Int64), nil
}

// Close releases the connections.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
	}
	db.pr.close()
	err := db.w.Close()
	for _, p := range []*sql.DB{db.r, db.ledger} {
		if p != db.w {
			if perr := p.Close(); err == nil {
				err = perr
			}
		}
	}
	return err
}

// Engine names the database engine, for logs and /readyz.
func (db *DB) Engine() string { return string(db.dialect) }

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + string(db.dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, name, string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies the embedded migrations not applied yet, each in its own
// transaction, under a lock so that nodes starting together apply each once.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if lock := db.dialect.lockMigrations(); lock != "" {
				if _, err := tx.ExecContext(ctx, lock); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.version, m.name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// Ready reports whether the database answers and every migration is applied.
func (db *DB) Ready(ctx context.Context) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if want := ms[len(ms)-1].version; v != want {
		return fmt.Errorf("schema at version %d, want %d", v, want)
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil. The
// transaction is detached from the request's cancellation: a write that
// began is finished and committed (or rolled back by its own error), never
// cut in the middle by a client that hangs up.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.txOn(ctx, db.w, fn)
}

func (db *DB) txOn(ctx context.Context, pool *sql.DB, fn func(*sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullID[T ~int64](id T) sql.NullInt64 { return sql.NullInt64{Int64: int64(id), Valid: id != 0} }
