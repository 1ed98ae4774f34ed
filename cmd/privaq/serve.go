package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"privaq"
	"privaq/internal/api"
	"privaq/internal/banner"
	"privaq/internal/config"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/public"
	"privaq/internal/rights"
	"privaq/internal/server"
	"privaq/internal/web"
	"privaq/internal/webhook"
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
	// mailInterval is how often the outbox is looked at when nothing
	// wakes the worker (retries, and mail queued by another node).
	mailInterval = 15 * time.Second
	// webhookInterval is how often the webhook outbox is looked at: the
	// longest a withdrawal waits before its first delivery attempt.
	webhookInterval = 2 * time.Second
	// reminderInterval is how often the leader looks for the day's
	// reminders of overdue incidents; each goes once a day whatever the
	// number of looks (incident.Reminder).
	reminderInterval = 10 * time.Minute
)

// mailSender returns the SMTP sender of PRIVAQ_SMTP_URL, or nil without
// one. The default sender address uses the instance's host name.
func mailSender(smtpURL, base string) (*mail.SMTP, error) {
	if smtpURL == "" {
		return nil, nil
	}
	host := "localhost"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return mail.NewSMTP(smtpURL, "privaq@"+host)
}

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
	log, logs := newBufferedLogger(cfg.LogFormat, stderr)
	defer logs.Close()

	db, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Log = log

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
	sender, err := mailSender(cfg.SMTPURL, base)
	if err != nil {
		ln.Close()
		return err
	}
	wake := mail.NewWake()
	orgs := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	inv := &inventory.Service{Store: db}
	policies := &policy.Service{Store: db, Subscribers: db, Inventory: inv, Clock: privaq.SystemClock{}, BaseURL: base, Wake: wake}
	// The ledger writer runs until the server has stopped, so in-flight
	// consents are committed.
	ledgerCtx, stopLedger := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLedger()
	writer := consent.NewWriter(db, privaq.SystemClock{}, log)
	go writer.Run(ledgerCtx)
	consents := &consent.Service{Store: db, Writer: writer, Sources: db, Audit: db, Clock: privaq.SystemClock{}}
	cookieBanner, err := banner.New(banner.Config{Orgs: db, Inventory: db, Ledger: consents, Attempts: db, Clock: privaq.SystemClock{}, Log: log, BaseURL: base})
	if err != nil {
		return fmt.Errorf("cookie banner: %w", err)
	}
	if err := os.MkdirAll(cfg.ConnectorDir, 0o700); err != nil {
		ln.Close()
		return fmt.Errorf("connectors directory: %w", err)
	}
	// No connector may reach privaq's own database or keys.
	protected := []string{cfg.DatabaseURL, filepath.Join(cfg.Data, "privaq.db"), filepath.Join(cfg.Data, "keys")}
	requests := &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: privaq.SystemClock{}, BaseURL: base, Wake: wake,
		Protected: protected, SQLiteDir: cfg.ConnectorDir}
	pub, err := public.New(public.Config{OrgStore: db, Policies: policies, Ledger: consents, Log: log, BaseURL: base, Banner: cookieBanner, Rights: requests})
	if err != nil {
		return fmt.Errorf("public pages: %w", err)
	}
	webhooks := &webhook.Service{Store: db, Clock: privaq.SystemClock{}}
	incidents := &incident.Service{Store: db, Inventory: db, Clock: privaq.SystemClock{}, Wake: wake}
	pages, err := web.New(web.Config{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: policies, Consents: consents, Audit: db, Log: log,
		Outbox: &mail.Outbox{Store: db, Audit: db}, MailConfigured: sender != nil, Webhooks: webhooks, Incidents: incidents, Rights: requests,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), BaseURL: base})
	if err != nil {
		return fmt.Errorf("admin pages: %w", err)
	}
	handler := server.New(server.Config{
		Log: log,
		DB:  db,
		API: &api.API{Orgs: orgs, OrgStore: db, Inventory: inv, Policies: policies, Consents: consents, Audit: db, Log: log,
			Webhooks: webhooks, Incidents: incidents, Rights: requests,
			BaseURL: base},
		Web:     pages,
		Public:  pub,
		Version: buildVersion(),
	})

	var demo *demoAccess
	if cfg.Demo {
		if demo, err = setupDemo(ctx, orgs, inv, policies, consents, incidents, requests, db); err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}

	if cfg.BenchHello {
		handler = benchHello(handler)
	}
	if cfg.DebugAddr != "" {
		stopDebug, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopDebug()
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
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	jobsDone := make(chan struct{})
	leader := db.Leader()
	if sender != nil {
		w := &mail.Worker{Store: db, Sender: sender, Clock: privaq.SystemClock{}, Log: log, Wake: wake}
		go func() { defer close(jobsDone); w.Run(jobsCtx, mailInterval, leader.Lead) }()
	} else {
		close(jobsDone)
		log.Warn("no_smtp_server", "hint", "without PRIVAQ_SMTP_URL, email stays in the outbox, shown in the admin")
	}
	hooksDone := make(chan struct{})
	hooks := &webhook.Worker{Store: db, Clock: privaq.SystemClock{}, Log: log}
	go func() { defer close(hooksDone); hooks.Run(jobsCtx, webhookInterval, leader.Lead) }()
	remindersDone := make(chan struct{})
	reminders := &incident.Reminder{Store: db, Inventory: db, Orgs: db, Clock: privaq.SystemClock{}, Log: log, BaseURL: base, Wake: wake}
	go func() { defer close(remindersDone); reminders.Run(jobsCtx, reminderInterval, leader.Lead) }()
	// Reminders of rights requests due in 7 and 2 days; each goes once.
	dueDone := make(chan struct{})
	due := &rights.Reminder{Service: requests, Users: db, Log: log}
	go func() { defer close(dueDone); due.Run(jobsCtx, reminderInterval, leader.Lead) }()
	defer func() {
		stopJobs()
		<-jobsDone
		<-hooksDone
		<-remindersDone
		<-dueDone
		leader.Close()
	}()
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
