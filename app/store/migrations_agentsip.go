package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0310_agent_sip_accounts",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &AgentSIP{})
		},
	})
}
