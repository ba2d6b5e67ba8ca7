package campaign

import (
	"context"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestFundsAddedResumesOnlyFundsPauses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := New(db, Options{DataDir: t.TempDir(), Log: storetest.Logger()})
		ctx := store.WithTenant(context.Background(), 5)
		l := &store.ContactList{Name: "l", State: store.ListReady, Columns: "[]"}
		if err := db.With(ctx).Create(l).Error; err != nil {
			t.Fatal(err)
		}
		funds := &store.Campaign{Name: "funds", ListID: l.ID, State: store.CampaignPaused, PauseReason: "insufficient funds: recharge, then resume"}
		manual := &store.Campaign{Name: "manual", ListID: l.ID, State: store.CampaignPaused, PauseReason: "paused by a user"}
		for _, c := range []*store.Campaign{funds, manual} {
			if err := db.With(ctx).Create(c).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := s.FundsAdded(context.Background(), db.With(ctx), 5, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.FundsAdded(context.Background(), db.With(ctx), 5, 10000); err != nil {
			t.Fatal(err)
		}
		var got []store.Campaign
		db.With(ctx).Order("id").Find(&got)
		if got[0].State != store.CampaignRunning || got[1].State != store.CampaignPaused {
			t.Fatalf("states after funds added: %s %s", got[0].State, got[1].State)
		}
	})
}
