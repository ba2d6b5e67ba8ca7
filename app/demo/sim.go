package demo

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// Names of the simulator's rows in the node and trunk tables.
const (
	SimNodeName  = "演示模拟交换机"
	SimTrunkName = "演示模拟线路"
	// SimCallerID is the demo trunk's presented number.
	SimCallerID = "+862161000000"
)

// SeedSimulator points the demo node at the in-process switch simulator
// (its address changes at every start), and gives the demo tenant a
// simulated trunk and caller ID. Both rows are marked simulated, so only
// simulated engines serve their calls and the console labels them.
func SeedSimulator(ctx context.Context, db *store.DB, tenantID uint64, eslAddr, password string) (*store.Trunk, error) {
	ctx = store.AsPlatform(ctx)
	var trunk store.Trunk
	err := db.Tx(ctx, func(tx *gorm.DB) error {
		var node store.Node
		err := tx.Where("name = ?", SimNodeName).Take(&node).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			node = store.Node{Name: SimNodeName, ESLAddr: eslAddr, ESLPassword: password, MaxCalls: 1000, MaxCPS: 100, State: store.NodeEnabled, Simulated: true}
			if err := tx.Create(&node).Error; err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := tx.Model(&node).Updates(map[string]any{"esl_addr": eslAddr, "esl_password": password}).Error; err != nil {
				return err
			}
		}
		err = tx.Where("name = ?", SimTrunkName).Take(&trunk).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			trunk = store.Trunk{Name: SimTrunkName, Carrier: "simulator", Host: "simulator.invalid", Enabled: true, Simulated: true, Format: "national", MaxConcurrent: 200, MaxCPS: 50}
			if err := tx.Create(&trunk).Error; err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&store.TrunkAssignment{}).Where("tenant_id = ? AND trunk_id = ?", tenantID, trunk.ID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			if err := tx.Create(&store.TrunkAssignment{TenantID: tenantID, TrunkID: trunk.ID}).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&store.CallerIDNumber{}).Where("number = ?", SimCallerID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return tx.Create(&store.CallerIDNumber{TrunkID: trunk.ID, TenantID: tenantID, Number: SimCallerID, AreaCode: "21", Enabled: true}).Error
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed the demo simulator rows: %w", err)
	}
	return &trunk, nil
}
