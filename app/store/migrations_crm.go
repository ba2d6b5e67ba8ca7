package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0100_crm_leads_analytics_help",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &Lead{}, &FollowUp{}, &PageView{}, &Milestone{}, &HelpDoc{})
		},
	})
}
