package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0500_dialog_scripts",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &Script{}, &ScriptVersion{})
		},
	})
}
