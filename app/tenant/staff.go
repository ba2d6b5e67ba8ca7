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

// NewStaff is an operator account to create.
type NewStaff struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// StaffPatch changes an operator account; nil fields stay.
type StaffPatch struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// CreateStaff adds an operator account (admins only at the HTTP layer; the
// `waihu user create-operator` command calls it with a system context).
func (s *Service) CreateStaff(ctx context.Context, in NewStaff) (*store.Staff, error) {
	in.Email = NormalizeEmail(in.Email)
	var v apperr.Validator
	v.Check(validEmail(in.Email), "email", "is not a valid email address")
	v.Check(textLen(in.Name, 1, 64), "name", "must be 1 to 64 characters")
	v.Check(ValidStaffRole(in.Role), "role", "must be admin, sales, finance or support")
	if p := PasswordProblem(in.Password); p != "" {
		v.Check(false, "password", p)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	st := &store.Staff{Email: in.Email, Name: strings.TrimSpace(in.Name), Role: in.Role, PasswordHash: hash, Locale: "zh-CN"}
	pctx := store.AsPlatform(ctx)
	err = s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Create(st).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return apperr.Invalid("email", "is already registered")
			}
			return fmt.Errorf("create staff: %w", err)
		}
		return s.audit(pctx, tx, Entry{Action: "staff.create", Target: fmt.Sprintf("staff:%d", st.ID), Detail: map[string]any{"role": st.Role}})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// ListStaff lists operator accounts.
func (s *Service) ListStaff(ctx context.Context, p store.Page) ([]store.Staff, uint64, error) {
	var rows []store.Staff
	if err := p.Apply(s.db.With(store.AsPlatform(ctx)).Model(&store.Staff{}), "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list staff: %w", err)
	}
	out, next := store.Trim(p, rows, func(st store.Staff) uint64 { return st.ID })
	return out, next, nil
}

// UpdateStaff changes an operator account. The last active admin cannot be
// demoted or disabled, so the back office can never lock itself out.
func (s *Service) UpdateStaff(ctx context.Context, id uint64, in StaffPatch) (*store.Staff, error) {
	var v apperr.Validator
	if in.Name != nil {
		v.Check(textLen(*in.Name, 1, 64), "name", "must be 1 to 64 characters")
	}
	if in.Role != nil {
		v.Check(ValidStaffRole(*in.Role), "role", "must be admin, sales, finance or support")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var st store.Staff
		if err := tx.First(&st, id).Error; err != nil {
			return store.Translate(err)
		}
		updates, detail := map[string]any{}, map[string]any{}
		if in.Name != nil {
			updates["name"] = strings.TrimSpace(*in.Name)
		}
		if in.Role != nil && *in.Role != st.Role {
			updates["role"] = *in.Role
			detail["role"] = map[string]string{"from": st.Role, "to": *in.Role}
		}
		if in.Disabled != nil && *in.Disabled != st.Disabled {
			updates["disabled"] = *in.Disabled
			detail["disabled"] = *in.Disabled
		}
		losesAdmin := st.Role == store.StaffAdmin && !st.Disabled && ((in.Role != nil && *in.Role != store.StaffAdmin) || (in.Disabled != nil && *in.Disabled))
		if losesAdmin {
			var admins int64
			if err := tx.Model(&store.Staff{}).Where("role = ? AND disabled = ? AND id <> ?", store.StaffAdmin, false, id).Count(&admins).Error; err != nil {
				return err
			}
			if admins == 0 {
				return apperr.Invalid("role", "this is the last active admin")
			}
		}
		if len(updates) == 0 {
			return nil
		}
		if err := tx.Model(&store.Staff{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return fmt.Errorf("update staff: %w", err)
		}
		if in.Disabled != nil && *in.Disabled {
			if err := tx.Where("kind = ? AND user_id = ?", store.SessionStaff, id).Delete(&store.Session{}).Error; err != nil {
				return err
			}
		}
		action := "staff.update"
		if _, ok := detail["role"]; ok {
			action = "staff.role_change"
		}
		return s.audit(pctx, tx, Entry{Action: action, Target: fmt.Sprintf("staff:%d", id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	var st store.Staff
	if err := s.db.With(pctx).First(&st, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &st, nil
}

// SetStaffPassword resets an operator's password (CLI recovery path).
func (s *Service) SetStaffPassword(ctx context.Context, email, password string) error {
	if p := PasswordProblem(password); p != "" {
		return apperr.Invalid("password", p)
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return err
	}
	pctx := store.AsPlatform(ctx)
	res := s.db.With(pctx).Model(&store.Staff{}).Where("email = ?", NormalizeEmail(email)).
		Updates(map[string]any{"password_hash": hash, "failed_logins": 0, "locked_until": nil})
	if res.Error != nil {
		return fmt.Errorf("set password: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("staff %s: %w", email, apperr.ErrNotFound)
	}
	return s.audit(pctx, nil, Entry{Action: "staff.password_reset", Target: NormalizeEmail(email)})
}

// GetStaff returns one operator account.
func (s *Service) GetStaff(ctx context.Context, id uint64) (*store.Staff, error) {
	var st store.Staff
	if err := s.db.With(store.AsPlatform(ctx)).First(&st, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &st, nil
}
