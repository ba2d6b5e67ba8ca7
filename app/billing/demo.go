package billing

import (
	"context"
	"fmt"

	"github.com/waihu/waihu/app/store"
)

// demoGiftReason marks the demo tenant's starting credit, so seeding twice gives it once.
const demoGiftReason = "demo starting credit / 演示赠送"

// SeedDemo gives `waihu serve --demo` real prices and money: a default
// price plan (0.12 yuan per minute, 6-second increments) when the platform
// has none, and a 1000-yuan gift to the demo tenant. Idempotent.
func (s *Service) SeedDemo(ctx context.Context, tenantID uint64) error {
	ctx = pctx(ctx)
	var plans int64
	if err := s.db.With(ctx).Model(&store.PricePlan{}).Count(&plans).Error; err != nil {
		return fmt.Errorf("seed demo plan: %w", err)
	}
	if plans == 0 {
		if _, err := s.SavePlan(ctx, 0, PlanInput{Name: "标准套餐 Standard", Description: "demo", PerMinuteFen: 12, IncrementSec: 6,
			ASRPerMinuteFen: 2, TTSPer1kFen: 20, LLMPer1kFen: 5, IsDefault: true, Active: true}); err != nil {
			return fmt.Errorf("seed demo plan: %w", err)
		}
	}
	var gifts int64
	if err := s.db.With(ctx).Model(&store.Adjustment{}).Where("tenant_id = ? AND reason = ?", tenantID, demoGiftReason).Count(&gifts).Error; err != nil {
		return fmt.Errorf("seed demo credit: %w", err)
	}
	if gifts == 0 {
		if _, err := s.Adjust(ctx, tenantID, NewAdjustment{Kind: store.AdjustGift, AmountFen: 100000, Reason: demoGiftReason}); err != nil {
			return fmt.Errorf("seed demo credit: %w", err)
		}
	}
	return nil
}
