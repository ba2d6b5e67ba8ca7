package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// NewUser is a sub-account to create.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// UserPatch changes a sub-account; nil fields stay.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// actorRole returns the acting tenant user's role ("" for others).
func actorRole(ctx context.Context) string {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.Role
	}
	return ""
}

// ListUsers lists the context tenant's users.
func (s *Service) ListUsers(ctx context.Context, p store.Page) ([]store.User, uint64, error) {
	var rows []store.User
	if err := p.Apply(s.db.With(ctx).Model(&store.User{}), "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	out, next := store.Trim(p, rows, func(u store.User) uint64 { return u.ID })
	return out, next, nil
}

// GetUser returns one of the context tenant's users.
func (s *Service) GetUser(ctx context.Context, id uint64) (*store.User, error) {
	var u store.User
	if err := s.db.With(ctx).First(&u, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &u, nil
}

// CreateUser adds a sub-account to the context tenant. Nobody can create a
// role above their own, and there is one owner per tenant.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*store.User, error) {
	in.Email = NormalizeEmail(in.Email)
	var v apperr.Validator
	v.Check(validEmail(in.Email), "email", "is not a valid email address")
	v.Check(textLen(in.Name, 1, 64), "name", "must be 1 to 64 characters")
	v.Check(ValidTenantRole(in.Role) && in.Role != store.RoleOwner, "role", "must be admin, manager, agent or viewer")
	if p := PasswordProblem(in.Password); p != "" {
		v.Check(false, "password", p)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !AtLeast(actorRole(ctx), in.Role) {
		return nil, fmt.Errorf("create a %s: %w", in.Role, apperr.ErrForbidden)
	}
	hash, err := HashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u := &store.User{Email: in.Email, Name: strings.TrimSpace(in.Name), Role: in.Role, PasswordHash: hash, Locale: "zh-CN"}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return apperr.Invalid("email", "is already registered")
			}
			return fmt.Errorf("create user: %w", err)
		}
		return s.audit(ctx, tx, Entry{Action: "user.create", Target: fmt.Sprintf("user:%d", u.ID), Detail: map[string]any{"role": u.Role}})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser changes a sub-account's name, role or disabled flag. The owner's
// role cannot change here and nobody can raise a role above their own.
func (s *Service) UpdateUser(ctx context.Context, id uint64, in UserPatch) (*store.User, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	var v apperr.Validator
	if in.Name != nil {
		v.Check(textLen(*in.Name, 1, 64), "name", "must be 1 to 64 characters")
	}
	if in.Role != nil {
		v.Check(ValidTenantRole(*in.Role) && *in.Role != store.RoleOwner, "role", "must be admin, manager, agent or viewer")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	me, _ := PrincipalFrom(ctx)
	if u.Role == store.RoleOwner && (in.Role != nil || (in.Disabled != nil && *in.Disabled)) {
		return nil, apperr.Invalid("role", "the owner's role cannot be changed or disabled")
	}
	if !AtLeast(actorRole(ctx), u.Role) || (in.Role != nil && !AtLeast(actorRole(ctx), *in.Role)) {
		return nil, fmt.Errorf("change a %s: %w", u.Role, apperr.ErrForbidden)
	}
	if me != nil && me.Kind == ActorUser && me.ID == u.ID && in.Disabled != nil && *in.Disabled {
		return nil, apperr.Invalid("disabled", "you cannot disable yourself")
	}
	updates := map[string]any{}
	detail := map[string]any{}
	if in.Name != nil {
		updates["name"] = strings.TrimSpace(*in.Name)
	}
	if in.Role != nil && *in.Role != u.Role {
		updates["role"] = *in.Role
		detail["role"] = map[string]string{"from": u.Role, "to": *in.Role}
	}
	if in.Disabled != nil && *in.Disabled != u.Disabled {
		updates["disabled"] = *in.Disabled
		detail["disabled"] = *in.Disabled
	}
	if len(updates) == 0 {
		return u, nil
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.User{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if in.Disabled != nil && *in.Disabled {
			// A disabled user's sessions end now, not at expiry.
			if err := tx.Where("kind = ? AND user_id = ?", store.SessionTenant, id).Delete(&store.Session{}).Error; err != nil {
				return err
			}
		}
		action := "user.update"
		if _, ok := detail["role"]; ok {
			action = "user.role_change"
		}
		return s.audit(ctx, tx, Entry{Action: action, Target: fmt.Sprintf("user:%d", id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, id)
}
