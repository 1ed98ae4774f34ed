package store

import (
	"context"
	"database/sql"
	"sync"
)

// prepared keeps the statements of the hottest reads prepared, once per
// pool: SQLite otherwise parses and plans each query text on every call,
// which cost more than running a decision's lookup. database/sql prepares
// a statement again on each connection that runs it, by itself.
type prepared struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
}

func newPrepared(pool *sql.DB) *prepared { return &prepared{pool: pool, m: map[string]*sql.Stmt{}} }

// stmt returns the prepared statement of a constant query text.
func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.m[query]; s != nil {
		return s, nil
	}
	s, err := p.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.m[query] = s
	return s, nil
}

// scanner is a row to read: *sql.Row, or the error of preparing it.
type scanner interface{ Scan(dest ...any) error }

type failedRow struct{ err error }

func (f failedRow) Scan(...any) error { return f.err }

// queryRow runs a prepared single-row query.
func (p *prepared) queryRow(ctx context.Context, query string, args ...any) scanner {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return failedRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

func (p *prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.m {
		s.Close()
	}
	clear(p.m)
}
