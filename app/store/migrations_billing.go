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
}
