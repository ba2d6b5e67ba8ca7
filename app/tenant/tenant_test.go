package tenant_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func TestPasswordHashUsesOWASPArgon2id(t *testing.T) {
	ctx := context.Background()
	h, err := tenant.HashPassword(ctx, "correct horse 1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with OWASP parameters", h)
	}
	p, salt, key, err := tenant.ParseHash(h)
	if err != nil {
		t.Fatal(err)
	}
	// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
	if p.MemoryKiB != 19456 || p.Iterations != 2 || p.Parallelism != 1 || len(salt) < 16 || len(key) < 32 {
		t.Fatalf("params %+v salt %d key %d", p, len(salt), len(key))
	}
	if ok, rehash, err := tenant.VerifyPassword(ctx, h, "correct horse 1"); !ok || rehash || err != nil {
		t.Fatalf("verify right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	if ok, _, _ := tenant.VerifyPassword(ctx, h, "correct horse 2"); ok {
		t.Fatal("wrong password verified")
	}
	h2, _ := tenant.HashPassword(ctx, "correct horse 1")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if _, _, err := tenant.VerifyPassword(ctx, bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func newService(db *store.DB, now func() time.Time) *tenant.Service {
	return tenant.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), tenant.Options{Now: now})
}

func TestSignupValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(db, nil)
		ctx := context.Background()
		good := tenant.SignupInput{CompanyName: "深圳示例科技", ContactName: "张三", Email: "Zhang@Example.com", Phone: "13800138000", Password: "abc12345"}
		cases := []struct {
			name  string
			edit  func(*tenant.SignupInput)
			field string
		}{
			{"short company", func(in *tenant.SignupInput) { in.CompanyName = "x" }, "company_name"},
			{"newline company", func(in *tenant.SignupInput) { in.CompanyName = "ab\ncd" }, "company_name"},
			{"long company", func(in *tenant.SignupInput) { in.CompanyName = strings.Repeat("公", 129) }, "company_name"},
			{"no contact", func(in *tenant.SignupInput) { in.ContactName = "" }, "contact_name"},
			{"bad email", func(in *tenant.SignupInput) { in.Email = "not-an-email" }, "email"},
			{"sql email", func(in *tenant.SignupInput) { in.Email = "a'; DROP TABLE users;--@x.com" }, "email"},
			{"bad phone", func(in *tenant.SignupInput) { in.Phone = "12345" }, "phone"},
			{"short password", func(in *tenant.SignupInput) { in.Password = "a1" }, "password"},
			{"no digit", func(in *tenant.SignupInput) { in.Password = "abcdefghij" }, "password"},
		}
		for _, c := range cases {
			in := good
			c.edit(&in)
			_, _, err := s.Signup(ctx, in)
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Errorf("%s: got %v, want a validation error on %s", c.name, err, c.field)
			}
		}
		tn, u, err := s.Signup(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Status != store.TenantPending || u.Role != store.RoleOwner || u.Email != "zhang@example.com" || tn.ContactPhone != "+8613800138000" {
			t.Fatalf("tenant %+v user %+v", tn, u)
		}
		if _, _, err := s.Signup(ctx, good); err == nil || !strings.Contains(err.Error(), "already registered") {
			t.Fatalf("duplicate sign-up: %v", err)
		}
		// Nothing half-written: one tenant, one user.
		var tenants, users int64
		db.With(store.AsPlatform(ctx)).Model(&store.Tenant{}).Count(&tenants)
		db.With(store.AsPlatform(ctx)).Model(&store.User{}).Count(&users)
		if tenants != 1 || users != 1 {
			t.Fatalf("after a failed duplicate sign-up: %d tenants, %d users", tenants, users)
		}
	})
}

func TestLoginLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
		s := newService(db, func() time.Time { return now })
		ctx := context.Background()
		tn, _, err := s.Signup(ctx, tenant.SignupInput{CompanyName: "Acme", ContactName: "A", Email: "a@acme.test", Phone: "+14155550100", Password: "secret123"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "a@acme.test", "secret123"); !errors.Is(err, tenant.ErrTenantPending) {
			t.Fatalf("pending login: %v", err)
		}
		if _, err := s.ActivateTenant(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		res, err := s.Login(ctx, "A@acme.test", "secret123")
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		p, err := s.Authenticate(ctx, store.SessionTenant, res.Token)
		if err != nil || p.TenantID != tn.ID || p.CSRFToken == "" {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		// A tenant token is not a staff token.
		if _, err := s.Authenticate(ctx, store.SessionStaff, res.Token); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("tenant token as staff: %v", err)
		}
		// Suspension ends sessions at once.
		if _, err := s.SuspendTenant(ctx, tn.ID, "unpaid"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, store.SessionTenant, res.Token); err == nil {
			t.Fatal("session survived suspension")
		}
		if _, err := s.Login(ctx, "a@acme.test", "secret123"); !errors.Is(err, tenant.ErrTenantSuspended) {
			t.Fatalf("suspended login: %v", err)
		}
		if _, err := s.ActivateTenant(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		// Lockout after five failures, for fifteen minutes, even with the right password.
		for i := range 4 {
			if _, err := s.Login(ctx, "a@acme.test", "wrong"); !errors.Is(err, tenant.ErrInvalidCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		_, err = s.Login(ctx, "a@acme.test", "wrong")
		var ce *apperr.CodedError
		if !errors.As(err, &ce) || ce.Code != "account_locked" || ce.RetryAfter != 15*time.Minute {
			t.Fatalf("fifth failure: %v", err)
		}
		if _, err := s.Login(ctx, "a@acme.test", "secret123"); !errors.As(err, &ce) || ce.Code != "account_locked" {
			t.Fatalf("login while locked: %v", err)
		}
		now = now.Add(16 * time.Minute)
		res, err = s.Login(ctx, "a@acme.test", "secret123")
		if err != nil {
			t.Fatalf("login after lockout: %v", err)
		}
		// Sessions expire after the idle TTL.
		now = now.Add(13 * time.Hour)
		if _, err := s.Authenticate(ctx, store.SessionTenant, res.Token); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("expired session: %v", err)
		}
		// Unknown email: same error as a wrong password.
		if _, err := s.Login(ctx, "nobody@acme.test", "secret123"); !errors.Is(err, tenant.ErrInvalidCredentials) {
			t.Fatalf("unknown email: %v", err)
		}
		var audits []store.AuditLog
		db.With(store.AsPlatform(ctx)).Order("id").Find(&audits)
		seen := map[string]bool{}
		for _, a := range audits {
			seen[a.Action] = true
		}
		for _, want := range []string{"tenant.signup", "tenant.activate", "tenant.suspend", "auth.login", "auth.login_failed", "auth.account_locked", "auth.login_locked"} {
			if !seen[want] {
				t.Errorf("audit log lacks %s", want)
			}
		}
	})
}

func TestRolesAndAPIKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(db, nil)
		ctx := context.Background()
		tn, owner, err := s.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Acme", ContactName: "A", Email: "o@acme.test", Phone: "13800138000", Password: "secret123"}, true)
		if err != nil {
			t.Fatal(err)
		}
		ownerCtx := tenant.WithPrincipal(ctx, &tenant.Principal{Kind: tenant.ActorUser, ID: owner.ID, TenantID: tn.ID, Role: store.RoleOwner})
		mgr, err := s.CreateUser(ownerCtx, tenant.NewUser{Email: "m@acme.test", Name: "M", Role: store.RoleManager, Password: "secret123"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ownerCtx, tenant.NewUser{Email: "x@acme.test", Name: "X", Role: store.RoleOwner, Password: "secret123"}); err == nil {
			t.Fatal("created a second owner")
		}
		mgrCtx := tenant.WithPrincipal(ctx, &tenant.Principal{Kind: tenant.ActorUser, ID: mgr.ID, TenantID: tn.ID, Role: store.RoleManager})
		if _, err := s.CreateUser(mgrCtx, tenant.NewUser{Email: "y@acme.test", Name: "Y", Role: store.RoleAdmin, Password: "secret123"}); !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("manager created an admin: %v", err)
		}
		role := store.RoleAdmin
		if _, err := s.UpdateUser(mgrCtx, mgr.ID, tenant.UserPatch{Role: &role}); !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("manager promoted self: %v", err)
		}
		if _, err := s.UpdateUser(ownerCtx, mgr.ID, tenant.UserPatch{Role: &role}); err != nil {
			t.Fatal(err)
		}
		k, secret, err := s.CreateAPIKey(ownerCtx, "crm sync")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "wh_") || k.Hash == secret || strings.Contains(k.Hash, secret) {
			t.Fatalf("secret %q stored as %q", secret, k.Hash)
		}
		p, err := s.AuthenticateAPIKey(ctx, secret)
		if err != nil || p.TenantID != tn.ID {
			t.Fatalf("API key auth: %+v %v", p, err)
		}
		if err := s.RevokeAPIKey(ownerCtx, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, secret); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("revoked key: %v", err)
		}
		var roleChanges int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action = ?", "user.role_change").Count(&roleChanges)
		if roleChanges != 1 {
			t.Fatalf("role changes audited: %d", roleChanges)
		}
	})
}

func TestLastAdminCannotBeDemoted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(db, nil)
		ctx := context.Background()
		st, err := s.CreateStaff(ctx, tenant.NewStaff{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"})
		if err != nil {
			t.Fatal(err)
		}
		sales := store.StaffSales
		if _, err := s.UpdateStaff(ctx, st.ID, tenant.StaffPatch{Role: &sales}); err == nil {
			t.Fatal("demoted the last admin")
		}
		if _, err := s.StaffLogin(ctx, "root@op.test", "secret123"); err != nil {
			t.Fatal(err)
		}
	})
}
