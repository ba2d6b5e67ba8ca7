package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestMigrationsApplyAndAreIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(applied, store.MigrationIDs()) {
			t.Fatalf("applied %v, want %v", applied, store.MigrationIDs())
		}
		// A second run (a restart, or a second process) changes nothing.
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestConcurrentMigrateOnMySQL(t *testing.T) {
	spec := storetest.Spec(t, store.MySQL)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := store.Open(ctx, spec, "", storetest.Logger())
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.Migrate(ctx)
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
}

func TestTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bg := context.Background()
		platform := store.AsPlatform(bg)
		a := store.Tenant{Name: "A", Status: store.TenantActive}
		b := store.Tenant{Name: "B", Status: store.TenantActive}
		if err := db.With(platform).Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.With(platform).Create(&b).Error; err != nil {
			t.Fatal(err)
		}
		ctxA, ctxB := store.WithTenant(bg, a.ID), store.WithTenant(bg, b.ID)

		// Inserts are stamped with the context's tenant.
		na := store.Notification{Kind: "k", Title: "for A"}
		if err := db.With(ctxA).Create(&na).Error; err != nil {
			t.Fatal(err)
		}
		if na.TenantID != a.ID {
			t.Fatalf("insert stamped tenant %d, want %d", na.TenantID, a.ID)
		}
		// An insert claiming another tenant under A's scope is refused.
		forged := store.Notification{TenantOwned: store.TenantOwned{TenantID: b.ID}, Kind: "k", Title: "forged"}
		if err := db.With(ctxA).Create(&forged).Error; err == nil {
			t.Fatal("insert for tenant B under tenant A's scope succeeded")
		}

		cases := []struct {
			name string
			run  func() error
		}{
			{"first", func() error { var n store.Notification; return db.With(ctxB).First(&n, na.ID).Error }},
			{"find", func() error {
				var ns []store.Notification
				if err := db.With(ctxB).Find(&ns).Error; err != nil {
					return err
				}
				if len(ns) != 0 {
					return errors.New("tenant B sees tenant A's rows")
				}
				return store.ErrNotFound
			}},
			{"update", func() error {
				res := db.With(ctxB).Model(&store.Notification{}).Where("id = ?", na.ID).Update("title", "hacked")
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected != 0 {
					return errors.New("tenant B updated tenant A's row")
				}
				return store.ErrNotFound
			}},
			{"delete", func() error {
				res := db.With(ctxB).Delete(&store.Notification{}, na.ID)
				if res.RowsAffected != 0 {
					return errors.New("tenant B deleted tenant A's row")
				}
				return store.ErrNotFound
			}},
			{"count", func() error {
				var n int64
				if err := db.With(ctxB).Model(&store.Notification{}).Count(&n).Error; err != nil {
					return err
				}
				if n != 0 {
					return errors.New("tenant B counts tenant A's rows")
				}
				return store.ErrNotFound
			}},
		}
		for _, c := range cases {
			if err := store.Translate(c.run()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s across tenants: got %v, want not found", c.name, err)
			}
		}

		// A context with no tenant and no platform access is an error, never a leak.
		var ns []store.Notification
		if err := db.With(bg).Find(&ns).Error; !errors.Is(err, store.ErrNoTenantScope) {
			t.Fatalf("unscoped query: got %v, want ErrNoTenantScope", err)
		}
		if err := db.With(bg).Create(&store.Notification{Kind: "k", Title: "x"}).Error; !errors.Is(err, store.ErrNoTenantScope) {
			t.Fatalf("unscoped insert: got %v, want ErrNoTenantScope", err)
		}
		// A read-only view reads and never writes.
		ro := store.WithReadOnlyTenant(bg, a.ID)
		var got store.Notification
		if err := db.With(ro).First(&got, na.ID).Error; err != nil {
			t.Fatalf("read-only read: %v", err)
		}
		if err := db.With(ro).Model(&got).Update("title", "x").Error; !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("read-only write: got %v, want ErrReadOnly", err)
		}
		// The owner still sees its row, unchanged.
		if err := db.With(ctxA).First(&got, na.ID).Error; err != nil || got.Title != "for A" {
			t.Fatalf("owner read: %v %q", err, got.Title)
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := store.AsPlatform(context.Background())
		s := store.Staff{Email: "x@example.com", Name: "x", PasswordHash: "h", Role: store.StaffAdmin}
		if err := db.With(ctx).Create(&s).Error; err != nil {
			t.Fatal(err)
		}
		dup := s
		dup.ID = 0
		if err := store.Translate(db.With(ctx).Create(&dup).Error); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate email: got %v, want ErrConflict", err)
		}
	})
}

func TestParseSpec(t *testing.T) {
	cases := []struct {
		spec    string
		dialect store.Dialect
		wantErr bool
	}{
		{"", store.SQLite, false},
		{"sqlite", store.SQLite, false},
		{"sqlite:///tmp/x.db", store.SQLite, false},
		{"sqlite://", "", true},
		{"mysql://u:p@db:3306/waihu", store.MySQL, false},
		{"mysql://u:p@db/waihu", store.MySQL, false},
		{"mysql://u:p@db:3306/", "", true},
		{"root@tcp(127.0.0.1:3306)/test", store.MySQL, false},
		{"postgres://x", "", true},
	}
	for _, c := range cases {
		d, dsn, target, err := store.ParseSpec(c.spec, t.TempDir())
		if (err != nil) != c.wantErr {
			t.Errorf("%q: err %v, wantErr %v", c.spec, err, c.wantErr)
			continue
		}
		if err == nil && d != c.dialect {
			t.Errorf("%q: dialect %s, want %s", c.spec, d, c.dialect)
		}
		if err == nil && (dsn == "" || target == "") {
			t.Errorf("%q: empty dsn/target", c.spec)
		}
		if c.spec == "mysql://u:p@db:3306/waihu" && (strings.Contains(target, "p@") || !strings.Contains(dsn, "parseTime=true")) {
			t.Errorf("target %q leaks the password or dsn %q lacks parseTime", target, dsn)
		}
	}
}
