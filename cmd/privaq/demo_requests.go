package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// recordDemoRequests gives the demo a customer database to act on and two
// requests to work, unless it has requests already: the sample shop as a
// SQLite connector, an access request whose identity is verified (ready
// for its archive), and a deletion request just received.
func recordDemoRequests(ctx context.Context, requests *rights.Service, org privaq.OrgID) error {
	actor := privaq.System(org)
	list, err := requests.List(ctx, actor, org, rights.Filter{})
	if err != nil || len(list) > 0 {
		return err
	}
	dir, err := requests.SQLiteDirOf(ctx, org)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	shop := filepath.Join(dir, "shop.db")
	if err := connector.CreateSample(ctx, shop); err != nil {
		return err
	}
	if _, err := requests.CreateConnector(ctx, actor, org, rights.ConnectorInput{Key: "boutique", Kind: connector.KindSQLite, DSN: shop}); err != nil &&
		!privaq.IsCode(err, privaq.EConflict) {
		return err
	}
	if _, err := requests.SetTables(ctx, actor, org, "boutique", connector.SampleMapping()); err != nil {
		return err
	}
	now := time.Now().UTC()
	access, err := requests.Create(ctx, actor, org, rights.Input{Type: rights.TypeAccess, Channel: rights.ChannelEmail, Lang: "fr",
		ReceivedAt: now.AddDate(0, 0, -9).Format(time.DateOnly),
		Requester:  rights.Person{Name: "Alice Tremblay", Email: "alice@example.org"},
		Details:    "Je souhaite obtenir une copie de tous les renseignements que vous détenez sur moi, y compris mes commandes."})
	if err != nil {
		return err
	}
	if _, err := requests.VerifyIdentity(ctx, actor, org, access.ID, "email_match", "Courriel identique à celui du compte client.", "Démo Personnel"); err != nil {
		return err
	}
	_, err = requests.Create(ctx, actor, org, rights.Input{Type: rights.TypeDeletion, Channel: rights.ChannelMail, Lang: "en",
		ReceivedAt: now.AddDate(0, 0, -2).Format(time.DateOnly),
		Requester:  rights.Person{Name: "Bob Gagnon", Email: "bob@example.org"},
		Details:    "Please close my account and delete my information, except what you must keep."})
	return err
}
