package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery bounds how long an informational line waits in memory.
const logFlushEvery = 100 * time.Millisecond

// logBuffer batches log lines into few writes: one write system call per
// request line cost about a sixth of the server's time under load. Lines
// at warning level and above are written at once, the rest within
// logFlushEvery, and everything on Close.
type logBuffer struct {
	mu    sync.Mutex
	w     *bufio.Writer
	dirty bool
	stop  chan struct{}
	done  chan struct{}
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dirty = true
	return b.w.Write(p)
}

func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirty {
		b.w.Flush()
		b.dirty = false
	}
}

func (b *logBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
		case <-b.stop:
			b.Flush()
			return
		}
	}
}

// Close writes what is buffered and stops the flusher.
func (b *logBuffer) Close() {
	close(b.stop)
	<-b.done
}

// flushAtWarn writes a buffer out after each record of warning level or
// above, so that problems reach the log at once.
type flushAtWarn struct {
	slog.Handler
	buf *logBuffer
}

func (h flushAtWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushAtWarn) WithAttrs(as []slog.Attr) slog.Handler {
	return flushAtWarn{h.Handler.WithAttrs(as), h.buf}
}

func (h flushAtWarn) WithGroup(name string) slog.Handler {
	return flushAtWarn{h.Handler.WithGroup(name), h.buf}
}

// newBufferedLogger is newLogger over a logBuffer; the caller closes it.
func newBufferedLogger(format string, w io.Writer) (*slog.Logger, *logBuffer) {
	buf := newLogBuffer(w)
	return slog.New(flushAtWarn{newLogger(format, buf).Handler(), buf}), buf
}
