package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"

	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/store"
)

// SampleList is the bundled sample list: a GBK CSV as Chinese Excel writes it.
//
//go:embed sample_list_gbk.csv
var SampleList []byte

// Names of the demo list and campaign.
const (
	SampleListName   = "演示名单"
	DemoCampaignName = "演示外呼任务"
)

// SeedCampaign gives the demo tenant the imported sample list and a draft
// demo campaign on it that pins scriptVersion (0: none yet). It is
// idempotent.
func SeedCampaign(ctx context.Context, db *store.DB, camps *campaign.Service, tenantID, scriptVersion uint64) error {
	tctx := store.WithTenant(ctx, tenantID)
	var l store.ContactList
	err := db.With(tctx).Where("name = ? AND state = ?", SampleListName, store.ListReady).First(&l).Error
	if err != nil {
		p, err := camps.Upload(tctx, SampleListName, "sample_list_gbk.csv", bytes.NewReader(SampleList))
		if err != nil {
			return fmt.Errorf("seed demo list: %w", err)
		}
		if _, err := camps.StartImport(tctx, p.ImportID, p.Suggested); err != nil {
			return fmt.Errorf("seed demo list: %w", err)
		}
		if err := camps.RunImport(tctx, p.ImportID); err != nil {
			return fmt.Errorf("seed demo list: %w", err)
		}
		if err := db.With(tctx).First(&l, p.ListID).Error; err != nil {
			return err
		}
	}
	var n int64
	if err := db.With(tctx).Model(&store.Campaign{}).Where("name = ?", DemoCampaignName).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	rules := campaign.DefaultRules()
	rules.Weekdays = []int{0, 1, 2, 3, 4, 5, 6}
	rules.Windows = []campaign.Window{{From: "00:00", To: "23:59"}}
	_, err = camps.CreateCampaign(tctx, campaign.CampaignInput{Name: DemoCampaignName, ListID: l.ID, ScriptVersionID: scriptVersion, MaxConcurrent: 5, Rules: &rules})
	if err != nil {
		return fmt.Errorf("seed demo campaign: %w", err)
	}
	return nil
}
