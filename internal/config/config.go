// Package config reads privaq's settings: defaults, then PRIVAQ_* variables,
// then command-line flags (SPEC §2). It is imported by cmd only; everything
// else receives what it needs as arguments.
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"privaq/internal/keys"
)

// Config is the whole configuration.
type Config struct {
	Addr        string
	Data        string
	DatabaseURL string
	BaseURL     string
	SMTPURL     string
	MasterKey   string // base64; empty means DATA/keys/master.key
	LogFormat   string // text or json
	Demo        bool
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on a
	// separate listener: keep it on loopback.
	DebugAddr string
	// BenchHello adds GET /bench/hello, a bare handler outside every
	// middleware: the hello-world baseline of bench/run.sh, served by the
	// same binary and process as the API it is compared with.
	BenchHello bool
	// ConnectorDir is the only directory where SQLite connectors may open
	// a file (default DATA/connectors).
	ConnectorDir string
}

// Default returns the defaults.
func Default() Config {
	return Config{Addr: ":8080", Data: "./privaq-data", LogFormat: "text"}
}

// FromEnv applies the PRIVAQ_* variables over c.
func (c *Config) FromEnv(getenv func(string) string) {
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"PRIVAQ_ADDR", &c.Addr}, {"PRIVAQ_DATA", &c.Data}, {"PRIVAQ_DATABASE_URL", &c.DatabaseURL},
		{"PRIVAQ_BASE_URL", &c.BaseURL}, {"PRIVAQ_SMTP_URL", &c.SMTPURL}, {"PRIVAQ_MASTER_KEY", &c.MasterKey},
		{"PRIVAQ_LOG_FORMAT", &c.LogFormat}, {"PRIVAQ_DEBUG_ADDR", &c.DebugAddr}, {"PRIVAQ_CONNECTOR_DIR", &c.ConnectorDir},
	} {
		if s := getenv(v.name); s != "" {
			*v.dst = s
		}
	}
	c.BenchHello = getenv("PRIVAQ_BENCH_HELLO") == "1"
}

// StorageFlags registers the flags every command that opens the database takes.
func (c *Config) StorageFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory (SQLite database and keys) [PRIVAQ_DATA]")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres://… to use PostgreSQL; empty for SQLite in the data directory [PRIVAQ_DATABASE_URL]")
}

// ServeFlags registers the flags of `privaq serve`.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.StorageFlags(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address [PRIVAQ_ADDR]")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of this instance, e.g. https://privacy.example.org [PRIVAQ_BASE_URL]")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "create the demo organization if absent and print its sign-in details")
	fs.StringVar(&c.ConnectorDir, "connector-dir", c.ConnectorDir, "the only directory where SQLite connectors may open a file (default DATA/connectors) [PRIVAQ_CONNECTOR_DIR]")
}

// Validate checks the values and fills derived ones.
func (c *Config) Validate() error {
	if c.Data == "" {
		return fmt.Errorf("the data directory (--data, PRIVAQ_DATA) must not be empty")
	}
	if c.ConnectorDir == "" {
		c.ConnectorDir = filepath.Join(c.Data, "connectors")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("PRIVAQ_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url must start with postgres:// (leave it empty for SQLite)")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--base-url must be an http(s) URL such as https://privacy.example.org, not %q", c.BaseURL)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return fmt.Errorf("PRIVAQ_SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
		}
	}
	return nil
}

// Master returns the master key: PRIVAQ_MASTER_KEY when set, else the key
// file in DATA/keys, created on first start.
func (c *Config) Master() (keys.Key, error) {
	if c.MasterKey != "" {
		k, err := keys.ParseMaster(c.MasterKey)
		if err != nil {
			return k, fmt.Errorf("PRIVAQ_MASTER_KEY: %w", err)
		}
		return k, nil
	}
	return keys.LoadOrCreateMaster(filepath.Join(c.Data, "keys"))
}

// Load returns defaults overlaid with the environment.
func Load() Config {
	c := Default()
	c.FromEnv(os.Getenv)
	return c
}
