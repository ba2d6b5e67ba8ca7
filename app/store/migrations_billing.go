package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0200_billing_ledger",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &BillingAccount{}, &LedgerTxn{}, &LedgerEntry{}, &BillingHold{}, &CallCharge{},
				&CallUsage{}, &PricePlan{}, &RechargeOrder{}, &Adjustment{}, &InvoiceTitle{}, &Invoice{}, &InvoiceFile{})
		},
	})
	register(&gormigrate.Migration{
		ID: "0201_billing_platform_accounts",
		Migrate: func(tx *gorm.DB) error {
			// The platform's own ledger accounts exist from the start, so no
			// posting ever races to create one.
			for _, kind := range []string{AccountRevenue, AccountCash, AccountGifts, AccountAdjusted} {
				var n int64
				if err := tx.Model(&BillingAccount{}).Where("tenant_id = 0 AND kind = ?", kind).Count(&n).Error; err != nil {
					return err
				}
				if n == 0 {
					if err := tx.Create(&BillingAccount{TenantID: 0, Kind: kind}).Error; err != nil {
						return err
					}
				}
			}
			return nil
		},
	})
}
