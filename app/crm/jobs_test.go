package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// TestPoolSweepJob runs the CRM's periodic job on real Redis (test DB 12):
// a lead its owner neglected goes back to the shared pool without anyone
// calling SweepPool, and the move is audited as the system's.
func TestPoolSweepJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		l, err := e.crm.SubmitContact(ctx, crm.ContactInput{Company: "冷线索公司", ContactName: "孙", Phone: "13100131000"})
		if err != nil {
			t.Fatal(err)
		}
		owner := e.staff.ID
		if _, err := e.crm.UpdateLead(e.ctx, l.ID, crm.LeadPatch{OwnerID: &owner}); err != nil {
			t.Fatal(err)
		}
		// The runner's service sees a clock four days later (pool after 72h).
		later := e.now.Add(96 * time.Hour)
		svc := crm.New(db, e.accounts, storetest.Logger(), crm.Options{Now: func() time.Time { return later }, PoolAfter: 72 * time.Hour})
		r, err := jobs.New(db, jobs.Options{Redis: jobstest.URL(t, 12), RelayEvery: 100 * time.Millisecond, Log: storetest.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		svc.RegisterJobs(r)
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, _ := e.crm.GetLead(ctx, l.ID)
			if got.OwnerID == 0 && got.PooledAt != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pool sweep job did not run: %+v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action = ? AND actor_kind = ?", "lead.pooled", tenant.ActorSystem).Count(&n)
		if n != 1 {
			t.Errorf("%d pool audit entries", n)
		}
	})
}
