package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// APIKeyPrefix starts every API key secret, so leaked keys are recognisable
// by secret scanners.
const APIKeyPrefix = "wh_"

// ListAPIKeys lists the context tenant's API keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, p store.Page) ([]store.APIKey, uint64, error) {
	var rows []store.APIKey
	if err := p.Apply(s.db.With(ctx).Model(&store.APIKey{}), "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list API keys: %w", err)
	}
	out, next := store.Trim(p, rows, func(k store.APIKey) uint64 { return k.ID })
	return out, next, nil
}

// CreateAPIKey makes a key for the context tenant and returns its secret,
// which is shown this once and stored only hashed.
func (s *Service) CreateAPIKey(ctx context.Context, name string) (*store.APIKey, string, error) {
	if !textLen(name, 1, 64) {
		return nil, "", apperr.Invalid("name", "must be 1 to 64 characters")
	}
	me, _ := PrincipalFrom(ctx)
	if me == nil || me.Kind != ActorUser {
		return nil, "", fmt.Errorf("create API key: %w", apperr.ErrForbidden)
	}
	secret := APIKeyPrefix + randomToken(32)
	k := &store.APIKey{Name: strings.TrimSpace(name), Prefix: secret[:10], Hash: HashToken(secret), Role: store.RoleAdmin, CreatedBy: me.ID}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(k).Error; err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		return s.audit(ctx, tx, Entry{Action: "api_key.create", Target: fmt.Sprintf("api_key:%d", k.ID), Detail: map[string]any{"name": k.Name}})
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// RevokeAPIKey disables a key of the context tenant at once.
func (s *Service) RevokeAPIKey(ctx context.Context, id uint64) error {
	return s.db.Tx(ctx, func(tx *gorm.DB) error {
		var k store.APIKey
		if err := tx.First(&k, id).Error; err != nil {
			return store.Translate(err)
		}
		if k.RevokedAt != nil {
			return nil
		}
		if err := tx.Model(&store.APIKey{}).Where("id = ?", id).Update("revoked_at", s.opt.Now()).Error; err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		return s.audit(ctx, tx, Entry{Action: "api_key.revoke", Target: fmt.Sprintf("api_key:%d", id)})
	})
}

// AuthenticateAPIKey resolves a bearer secret into the key's principal.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) > 128 {
		return nil, apperr.ErrUnauthorized
	}
	pctx := store.AsPlatform(ctx)
	var k store.APIKey
	if err := s.db.With(pctx).Where("hash = ?", HashToken(secret)).First(&k).Error; err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return nil, apperr.ErrUnauthorized
		}
		return nil, fmt.Errorf("look up API key: %w", err)
	}
	if k.RevokedAt != nil {
		return nil, apperr.ErrUnauthorized
	}
	if err := s.checkTenantUsable(pctx, k.TenantID); err != nil {
		return nil, err
	}
	now := s.opt.Now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		_ = s.db.With(pctx).Model(&store.APIKey{}).Where("id = ?", k.ID).Update("last_used_at", now).Error
	}
	return &Principal{Kind: ActorAPIKey, ID: k.ID, TenantID: k.TenantID, Role: k.Role, Name: "api_key:" + k.Name}, nil
}
