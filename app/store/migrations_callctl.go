package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0300_callctl_nodes_trunks_cdrs",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &Node{}, &Trunk{}, &TrunkAssignment{}, &CallerIDNumber{}, &CDR{})
		},
	})
	register(&gormigrate.Migration{
		ID: "0400_call_attempts",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &CallAttempt{})
		},
	})
}
