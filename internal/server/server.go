// Package server assembles privaq's HTTP handler: the admin pages, the JSON
// API, health and metrics endpoints, and the middleware every request goes
// through (request id, panic recovery, logging, metrics, security headers).
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"privaq/internal/api"
)

// Readier reports whether the service can take traffic.
type Readier interface {
	Ready(ctx context.Context) error
}

// Config is what the server is built from.
type Config struct {
	Log     *slog.Logger
	DB      Readier
	API     *api.API
	Web     interface{ Routes(*http.ServeMux) }
	Public  interface{ Routes(*http.ServeMux) } // the pages under /o/{org}; optional
	Version string
}

// New returns the root handler.
func New(c Config) http.Handler {
	mux := http.NewServeMux()
	set := metrics.NewSet() // private registry: no global state (STYLE §3)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := c.DB.Ready(ctx); err != nil {
			c.Log.WarnContext(ctx, "not_ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		set.WritePrometheus(w)
		metrics.WriteProcessMetrics(w)
	})
	set.NewGauge(fmt.Sprintf(`privaq_build_info{version=%q}`, c.Version), func() float64 { return 1 })
	c.API.Routes(mux)
	c.Web.Routes(mux)
	if c.Public != nil {
		c.Public.Routes(mux)
	}
	return observe(c.Log, set, mux)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestIDRE accepts a caller's request id only if it is safe to log.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// observe gives each request an id, recovers panics as a 500, logs one line
// and records metrics labelled by route pattern (never the raw path, which
// would carry keys and slugs and explode the label set).
func observe(log *slog.Logger, set *metrics.Set, next http.Handler) http.Handler {
	m := &routeMetrics{set: set}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p) // the server's own way to abort a response
				}
				log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", fmt.Sprint(p), "route", r.Pattern)
				if sw.status == 0 {
					if strings.HasPrefix(r.URL.Path, "/api/") {
						sw.Header().Set("Content-Type", "application/json; charset=utf-8")
						sw.WriteHeader(http.StatusInternalServerError)
						fmt.Fprintln(sw, `{"error":{"code":"internal","message":"an internal error occurred; it has been logged"}}`)
					} else {
						http.Error(sw, "Erreur interne / Internal error", http.StatusInternalServerError)
					}
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			m.observe(route, sw.status, d)
			log.InfoContext(r.Context(), "http_request", "request_id", id, "method", r.Method, "route", route,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", d.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeMetrics keeps each route's histogram and counters once made: naming
// them for every request cost more than serving a small one.
type routeMetrics struct {
	set      *metrics.Set
	duration sync.Map // route → *metrics.PrometheusHistogram
	requests sync.Map // routeStatus → *metrics.Counter
}

type routeStatus struct {
	route  string
	status int
}

func (m *routeMetrics) observe(route string, status int, d time.Duration) {
	h, ok := m.duration.Load(route)
	if !ok {
		h, _ = m.duration.LoadOrStore(route, m.set.GetOrCreatePrometheusHistogram(fmt.Sprintf(`privaq_http_request_duration_seconds{route=%q}`, route)))
	}
	h.(*metrics.PrometheusHistogram).Update(d.Seconds())
	k := routeStatus{route, status}
	c, ok := m.requests.Load(k)
	if !ok {
		c, _ = m.requests.LoadOrStore(k, m.set.GetOrCreateCounter(fmt.Sprintf(`privaq_http_requests_total{route=%q,code="%d"}`, route, status)))
	}
	c.(*metrics.Counter).Inc()
}
