package store

import (
	"context"
	"time"
)

// checkpointEvery is how often the SQLite write-ahead log is copied into
// the database file.
const checkpointEvery = 500 * time.Millisecond

// truncateFrames is the log's size, in pages, past which it is emptied:
// 16,384 pages of 4 KiB, 64 MiB.
const truncateFrames = 16384

// checkpoints copies the write-ahead log into the database file from a
// goroutine of its own, on a reading connection. SQLite would otherwise do
// it inside the commit that fills the log, with two more disk syncs, on
// the ledger writer's path while the requests of a whole group wait. A
// passive checkpoint never blocks the writer or the readers.
func (db *DB) checkpoints() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// A failure is retried at the next tick; the log only
				// grows meanwhile.
				var busy, frames, copied int
				err := db.r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
				// SQLite starts the log over only when no reader is in
				// it; under steady load that may never happen, and the
				// file would grow without end. Past a size, once a passive
				// checkpoint has copied nearly all of it, a truncating
				// one copies the rest (new writes wait for it, a few
				// milliseconds, as it has little left to copy) and
				// empties the file.
				if err == nil && frames >= truncateFrames && frames-copied < truncateFrames/16 {
					db.r.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}
