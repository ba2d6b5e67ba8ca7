package campaign

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// fundsPauseReason starts the pause reason of a campaign paused because
// the tenant's balance could not hold its next call.
const fundsPauseReason = "insufficient funds"

// FundsAdded resumes the tenant's campaigns that paused for lack of funds,
// in the transaction of the credit that brought money back (billing calls
// it for recharges, gifts and credit adjustments).
func (s *Service) FundsAdded(ctx context.Context, tx *gorm.DB, tenantID uint64, availableFen int64) error {
	if availableFen <= 0 {
		return nil
	}
	tctx := store.WithTenant(ctx, tenantID)
	var paused []store.Campaign
	if err := tx.WithContext(tctx).Where("state = ?", store.CampaignPaused).Find(&paused).Error; err != nil {
		return err
	}
	for i := range paused {
		c := &paused[i]
		if !strings.HasPrefix(c.PauseReason, fundsPauseReason) {
			continue
		}
		if err := s.transition(tctx, tx, c, store.CampaignRunning, "", nil); err != nil {
			return err
		}
	}
	s.nudge()
	return nil
}
