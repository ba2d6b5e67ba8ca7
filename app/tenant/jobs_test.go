package tenant_test

import (
	"context"
	"testing"
	"time"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// TestActivationNoticeEndToEnd proves the foundation's job type on real
// Redis and on the embedded one: activation writes the job with the tenant's
// change, the runner delivers it, and a restart with an emptied Redis still
// delivers the job that was pending, exactly once.
func TestActivationNoticeEndToEnd(t *testing.T) {
	for _, kind := range []string{"embedded", "redis"} {
		t.Run(kind, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				url := ""
				if kind == "redis" {
					url = jobstest.URL(t, 11)
				}
				s := newService(db, nil)
				start := func() *jobs.Runner {
					r, err := jobs.New(db, jobs.Options{Redis: url, RelayEvery: 100 * time.Millisecond, Log: storetest.Logger()})
					if err != nil {
						t.Fatal(err)
					}
					s.Hooks = tenant.Hooks{}
					s.RegisterJobs(r)
					if err := r.Start(ctx); err != nil {
						t.Fatal(err)
					}
					return r
				}
				// First activation while no runner is up: the job waits in the database.
				a, _, err := s.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Alpha", ContactName: "A", Email: "a@alpha.test", Phone: "13800138000", Password: "secret123"}, false)
				if err != nil {
					t.Fatal(err)
				}
				s.Hooks = tenant.Hooks{}
				r0, err := jobs.New(db, jobs.Options{Redis: url, Log: storetest.Logger()})
				if err != nil {
					t.Fatal(err)
				}
				s.RegisterJobs(r0) // hooks only; this runner never starts
				if _, err := s.ActivateTenant(ctx, a.ID); err != nil {
					t.Fatal(err)
				}
				r0.Close()
				if url != "" {
					jobstest.Flush(t, 11)
				}
				r := start()
				defer r.Close()
				b, _, err := s.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Beta", ContactName: "B", Email: "b@beta.test", Phone: "13800138001", Password: "secret123"}, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range []uint64{a.ID, b.ID} {
					tctx := store.WithTenant(ctx, id)
					deadline := time.Now().Add(20 * time.Second)
					for {
						var n int64
						db.With(tctx).Model(&store.Notification{}).Where("kind = ?", "account.activated").Count(&n)
						if n == 1 {
							break
						}
						if n > 1 || time.Now().After(deadline) {
							t.Fatalf("tenant %d has %d activation notices", id, n)
						}
						time.Sleep(50 * time.Millisecond)
					}
				}
			})
		})
	}
}
