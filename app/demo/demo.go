// Package demo seeds the embedded default (`waihu serve --demo`): a demo
// operator and a demo tenant with users, so a newcomer can log in at once.
// Seeding is idempotent: a restart finds the accounts and leaves them.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Credentials of the demo accounts (printed at start-up; documented in README).
const (
	Password      = "Demo1234!"
	OperatorEmail = "admin@demo.waihu.local"
	OwnerEmail    = "owner@demo.waihu.local"
	TenantName    = "演示科技有限公司"
)

// Extra demo users of the tenant, one per role below owner.
var demoUsers = []tenant.NewUser{
	{Email: "manager@demo.waihu.local", Name: "王经理", Role: store.RoleManager, Password: Password},
	{Email: "agent@demo.waihu.local", Name: "李坐席", Role: store.RoleAgent, Password: Password},
	{Email: "viewer@demo.waihu.local", Name: "赵访客", Role: store.RoleViewer, Password: Password},
}

// Result tells what the demo holds.
type Result struct {
	TenantID uint64
	OwnerID  uint64
}

// Seed creates the demo operator, tenant and users if they do not exist.
func Seed(ctx context.Context, db *store.DB, accounts *tenant.Service) (*Result, error) {
	pctx := store.AsPlatform(ctx)
	var n int64
	if err := db.With(pctx).Model(&store.Staff{}).Where("email = ?", OperatorEmail).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		if _, err := accounts.CreateStaff(ctx, tenant.NewStaff{Email: OperatorEmail, Name: "平台管理员", Role: store.StaffAdmin, Password: Password}); err != nil {
			return nil, fmt.Errorf("seed demo operator: %w", err)
		}
	}
	var owner store.User
	err := db.With(pctx).Where("email = ?", OwnerEmail).First(&owner).Error
	switch {
	case err == nil:
		return &Result{TenantID: owner.TenantID, OwnerID: owner.ID}, nil
	case !errors.Is(store.Translate(err), apperr.ErrNotFound):
		return nil, err
	}
	t, u, err := accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: TenantName, ContactName: "陈总", Email: OwnerEmail, Phone: "13800000000", Password: Password}, true)
	if err != nil {
		return nil, fmt.Errorf("seed demo tenant: %w", err)
	}
	octx := tenant.WithPrincipal(ctx, &tenant.Principal{Kind: tenant.ActorUser, ID: u.ID, TenantID: t.ID, Role: store.RoleOwner, Name: u.Name})
	for _, du := range demoUsers {
		if _, err := accounts.CreateUser(octx, du); err != nil {
			return nil, fmt.Errorf("seed demo user %s: %w", du.Email, err)
		}
	}
	return &Result{TenantID: t.ID, OwnerID: u.ID}, nil
}
