package demo

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/store"
)

// DemoScriptName is the demo tenant's published script (the telemarketing
// template as it ships).
const DemoScriptName = "演示话术（电销初筛）"

// SeedScript creates and publishes the demo script once and returns its
// latest published version, which the demo campaign pins.
func SeedScript(ctx context.Context, db *store.DB, scripts *scriptstore.Service, tenantID uint64) (uint64, error) {
	tctx := store.WithTenant(ctx, tenantID)
	var sc store.Script
	err := db.With(tctx).Where("name = ?", DemoScriptName).Take(&sc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		created, err := scripts.CreateFromTemplate(tctx, "telemarketing", DemoScriptName)
		if err != nil {
			return 0, fmt.Errorf("seed demo script: %w", err)
		}
		sc = *created
	} else if err != nil {
		return 0, err
	}
	var v store.ScriptVersion
	err = db.With(tctx).Where("script_id = ?", sc.ID).Order("version DESC").Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		pv, err := scripts.Publish(tctx, sc.ID, "演示版本")
		if err != nil {
			return 0, fmt.Errorf("publish demo script: %w", err)
		}
		return pv.ID, nil
	}
	if err != nil {
		return 0, err
	}
	return v.ID, nil
}
