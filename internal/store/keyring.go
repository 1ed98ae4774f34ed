package store

import (
	"context"
	"fmt"
	"sync"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/keys"
)

// keyring derives the instance keys from the master key and caches the
// unwrapped organization keys (they never change once created).
type keyring struct {
	master     keys.Key
	instance   keys.Key // seals instance-wide personal information: staff accounts
	emailIndex keys.Key // blind index of staff emails
	limitIndex keys.Key // blind index of login-throttling keys
	mu         sync.RWMutex
	orgs       map[privaq.OrgID]keys.Key
	// ledger and signing cache what the consent ledger derives or opens
	// for each organization.
	ledger  map[privaq.OrgID]orgKeys
	signing map[privaq.OrgID]consent.SigningKey
}

func newKeyring(master keys.Key) *keyring {
	return &keyring{
		master:     master,
		instance:   master.Derive("instance-data"),
		emailIndex: master.Derive("user-email-index"),
		limitIndex: master.Derive("login-limit-index"),
		orgs:       map[privaq.OrgID]keys.Key{},

		ledger:  map[privaq.OrgID]orgKeys{},
		signing: map[privaq.OrgID]consent.SigningKey{},
	}
}

func orgKeyAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "org-key:%d", org) }

// newOrgKey makes and wraps the data key of a new organization.
func (k *keyring) newOrgKey(org privaq.OrgID) (keys.Key, []byte) {
	dek := keys.Random()
	return dek, k.master.Seal(dek[:], orgKeyAD(org))
}

// orgKey returns the unwrapped data key of org.
func (db *DB) orgKey(ctx context.Context, q querier, org privaq.OrgID) (keys.Key, error) {
	k := db.keys
	k.mu.RLock()
	dek, ok := k.orgs[org]
	k.mu.RUnlock()
	if ok {
		return dek, nil
	}
	var wrapped []byte
	if err := q.QueryRowContext(ctx, `SELECT wrapped FROM org_keys WHERE org_id = $1`, org).Scan(&wrapped); err != nil {
		return dek, db.dialect.mapError(err, "organization key")
	}
	raw, err := k.master.Open(wrapped, orgKeyAD(org))
	if err != nil || len(raw) != keys.Size {
		return dek, &privaq.Error{Code: privaq.EInternal, Message: "the organization key cannot be unwrapped: is PRIVAQ_MASTER_KEY the one this database was created with?", Err: err}
	}
	copy(dek[:], raw)
	k.mu.Lock()
	k.orgs[org] = dek
	k.mu.Unlock()
	return dek, nil
}
