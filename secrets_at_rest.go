package main

import (
	"context"
	"fmt"
	"io"

	"qunfa/models"
	"qunfa/views/i18n"
)

// openDatabase opens the database with the key that seals the secrets in Settings:
// QUNFA_SECRET_KEY when set, else the key file beside the database (created 0600 on first run).
func openDatabase(cfg Config) (*models.Store, error) {
	if cfg.SecretKey == "" {
		return models.Open(cfg.DB)
	}
	key, err := models.ParseSecretKey(cfg.SecretKey) // checked by validateSettings
	if err != nil {
		return nil, err
	}
	return models.OpenWithKey(cfg.DB, key)
}

// secretsLostMessage says, in both languages, that the stored secrets cannot be decrypted and
// must be entered again.
func secretsLostMessage(cfg Config) string {
	where := models.KeyPath(cfg.DB)
	if cfg.SecretKey != "" {
		where = "QUNFA_SECRET_KEY"
	}
	return i18n.Both("startup.secrets_lost", where)
}

// warnSecretsLost tells the operator at start-up, on stderr, when the stored secrets cannot be
// decrypted (completeConfig then treats the account as not configured).
func warnSecretsLost(ctx context.Context, cfg Config, store *models.Store, stderr io.Writer) {
	if s, err := store.Settings(ctx); err == nil && s.SecretsUnreadable {
		fmt.Fprintf(stderr, "\n%s\n\n", secretsLostMessage(cfg))
	}
}
