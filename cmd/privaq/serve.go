package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"privaq"
	"privaq/internal/api"
	"privaq/internal/config"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/public"
	"privaq/internal/server"
	"privaq/internal/web"
)

// HTTP timeouts. Reads allow a 10 MiB import on a slow link; the header
// timeout is short because slow headers are how idle connections are held
// open on purpose (Slowloris).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 120 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 30 * time.Second
)

// runServe runs the web server until ctx is cancelled (SIGINT or SIGTERM in
// main), then lets in-flight requests finish.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("serve", "serve [--addr :8080] [--data ./privaq-data] [--database-url URL] [--base-url URL] [--demo]",
		"Runs the admin pages (/admin) and the JSON API (/api/v1). Migrations run at\nstart. Stops gracefully on SIGINT or SIGTERM, letting requests finish.", stdout, stderr)
	cfg.ServeFlags(fs.FlagSet)
	if _, err := fs.parseExact(args, 0); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, stderr)

	db, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	orgs := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	inv := &inventory.Service{Store: db}
	policies := &policy.Service{Store: db, Inventory: inv, Clock: privaq.SystemClock{}}
	pub, err := public.New(public.Config{OrgStore: db, Policies: policies, Log: log, BaseURL: cfg.BaseURL})
	if err != nil {
		return fmt.Errorf("public pages: %w", err)
	}
	pages, err := web.New(web.Config{Orgs: orgs, OrgStore: db, Inventory: inv, Audit: db, Log: log,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), BaseURL: cfg.BaseURL})
	if err != nil {
		return fmt.Errorf("admin pages: %w", err)
	}
	handler := server.New(server.Config{
		Log:     log,
		DB:      db,
		API:     &api.API{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: policies, Audit: db, Log: log, BaseURL: cfg.BaseURL},
		Web:     pages,
		Public:  pub,
		Version: buildVersion(),
	})

	// Listen before printing, so that the URL shown is one that answers
	// (and carries the real port when --addr asks for port 0).
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := cfg.BaseURL
	if base == "" {
		base = localURL(ln.Addr())
	}
	var demo *demoAccess
	if cfg.Demo {
		if demo, err = setupDemo(ctx, orgs, inv, policies, db); err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", base, "engine", db.Engine(), "version", buildVersion())
	fmt.Fprintf(stdout, "privaq %s listening on %s (%s)\n", buildVersion(), base, db.Engine())
	if demo != nil {
		demo.print(stdout, base)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting_down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// newLogger returns the one logger, writing to stderr in PRIVAQ_LOG_FORMAT.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// localURL is the URL to show when no --base-url is set: the listening
// address, with localhost for a wildcard host.
func localURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := "localhost"
	if !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
