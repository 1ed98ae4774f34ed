package config

import (
	"strings"
	"testing"
)

func TestEnvThenFlags(t *testing.T) {
	c := Default()
	c.FromEnv(func(k string) string {
		return map[string]string{"PRIVAQ_ADDR": ":9999", "PRIVAQ_DATA": "/var/lib/privaq", "PRIVAQ_LOG_FORMAT": "json"}[k]
	})
	if c.Addr != ":9999" || c.Data != "/var/lib/privaq" || c.LogFormat != "json" {
		t.Fatalf("got %+v, want the environment applied", c)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		mod  func(*Config)
		want string // substring of the error; empty for none
	}{
		{func(c *Config) {}, ""},
		{func(c *Config) { c.DatabaseURL = "postgres://u@h/db" }, ""},
		{func(c *Config) { c.DatabaseURL = "mysql://u@h/db" }, "postgres://"},
		{func(c *Config) { c.BaseURL = "privacy.example.org" }, "--base-url"},
		{func(c *Config) { c.BaseURL = "https://privacy.example.org/" }, ""},
		{func(c *Config) { c.LogFormat = "xml" }, "PRIVAQ_LOG_FORMAT"},
		{func(c *Config) { c.SMTPURL = "http://mail" }, "PRIVAQ_SMTP_URL"},
		{func(c *Config) { c.Data = "" }, "data directory"},
	}
	for i, tc := range cases {
		c := Default()
		tc.mod(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("case %d: got %v, want no error", i, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("case %d: got %v, want an error mentioning %q", i, err, tc.want)
		}
	}
	c := Default()
	c.BaseURL = "https://privacy.example.org/"
	c.Validate()
	if c.BaseURL != "https://privacy.example.org" {
		t.Errorf("base URL: got %q, want the trailing slash removed", c.BaseURL)
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	c := Default()
	c.MasterKey = "not-base64!"
	if _, err := c.Master(); err == nil || !strings.Contains(err.Error(), "PRIVAQ_MASTER_KEY") {
		t.Errorf("got %v, want an error naming PRIVAQ_MASTER_KEY", err)
	}
	c.MasterKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if k, err := c.Master(); err != nil || k[0] != 0 {
		t.Errorf("got %v, want the all-zero key", err)
	}
}
