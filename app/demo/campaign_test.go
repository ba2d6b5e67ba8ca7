package demo

import (
	"context"
	"testing"

	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func TestSeedCampaignIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts := tenant.New(db, storetest.Logger(), tenant.Options{})
		res, err := Seed(ctx, db, accounts)
		if err != nil {
			t.Fatal(err)
		}
		camps := campaign.New(db, campaign.Options{DataDir: t.TempDir(), Log: storetest.Logger()})
		for i := 0; i < 2; i++ {
			v, err := SeedScript(ctx, db, scriptstore.New(db, accounts), res.TenantID)
			if err != nil {
				t.Fatal(err)
			}
			if err := SeedCampaign(ctx, db, camps, res.TenantID, v); err != nil {
				t.Fatal(err)
			}
		}
		tctx := store.WithTenant(ctx, res.TenantID)
		var lists []store.ContactList
		db.With(tctx).Find(&lists)
		var cs []store.Campaign
		db.With(tctx).Find(&cs)
		if len(lists) != 1 || lists[0].State != store.ListReady || lists[0].ContactCount != 21 || len(cs) != 1 || cs[0].ScriptVersionID == 0 {
			t.Fatalf("lists %+v campaigns %d", lists, len(cs))
		}
	})
}
