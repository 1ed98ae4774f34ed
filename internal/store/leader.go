package store

import (
	"context"
	"database/sql"
	"sync"
)

// Leader elects the node that runs the background jobs (SPEC §11): on
// PostgreSQL, the node holding a session-level advisory lock on one pooled
// connection; on SQLite, which serves a single machine, always this one.
// When the connection breaks the lock is gone, and another node's next
// try takes it.
type Leader struct {
	db   *DB
	key  int64
	mu   sync.Mutex
	conn *sql.Conn
}

// jobsLockKey is the advisory lock of the background jobs.
const jobsLockKey = 7241004

// Leader returns the election of the background-jobs node.
func (db *DB) Leader() *Leader { return &Leader{db: db, key: jobsLockKey} }

// Lead reports whether this node runs the jobs now, trying to become the
// one if no node is.
func (l *Leader) Lead(ctx context.Context) bool {
	if l.db.dialect != enginePostgres {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if l.conn.PingContext(ctx) == nil {
			return true
		}
		l.conn.Close()
		l.conn = nil
	}
	conn, err := l.db.w.Conn(ctx)
	if err != nil {
		return false
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return false
	}
	l.conn = conn
	return true
}

// Close gives the lead up.
func (l *Leader) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		// The connection goes back to the pool: the session lock must be
		// released explicitly or it would stay with it.
		l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, l.key)
		l.conn.Close()
		l.conn = nil
	}
}
