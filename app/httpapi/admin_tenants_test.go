package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// The back office's tenant list shows each tenant's balance and its calls
// of the last 30 days beside the account data.
func TestAdminTenantListShowsBalanceAndUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Usage", "USEMARK")
		ctx := context.Background()
		now := time.Now().UTC()
		for i, outcome := range []string{"answered", "busy"} {
			at := &store.CallAttempt{UUID: "use-" + outcome, CampaignID: 99, ContactID: uint64(i + 1), AttemptNo: 1, Phone: "+8613800138000",
				State: store.AttemptFinished, Outcome: outcome, QueuedAt: now, EndedAt: &now}
			if err := db.With(store.WithTenant(ctx, a.tenant.ID)).Create(at).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.accounts.CreateStaff(ctx, tenant.NewStaff{Email: "ops@use.test", Name: "Ops", Role: store.StaffAdmin, Password: "secret123"}); err != nil {
			t.Fatal(err)
		}
		ops := e.loginStaff("ops@use.test", "secret123")
		status, body := ops.do("GET", "/api/v1/admin/tenants?q=UsageUSEMARK", nil)
		items, _ := body["items"].([]any)
		if status != 200 || len(items) != 1 {
			t.Fatalf("list: %d %v", status, body)
		}
		row := items[0].(map[string]any)
		if row["calls_30d"] != float64(2) || row["answered_30d"] != float64(1) || row["balance_fen"] == nil {
			t.Fatalf("row: %v", row)
		}
	})
}
