package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Media migrations: IDs 0320–0329.
func init() {
	register(&gormigrate.Migration{
		ID: "0320_announcement_refs",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &AnnouncementRef{})
		},
	})
	register(&gormigrate.Migration{
		ID: "0321_call_attempts_record_key",
		Migrate: func(tx *gorm.DB) error {
			// On a fresh database this runs before 0400 creates
			// call_attempts (from the current model, column included);
			// on an existing one it adds the column.
			if !tx.Migrator().HasTable(&CallAttempt{}) || tx.Migrator().HasColumn(&CallAttempt{}, "RecordKey") {
				return nil
			}
			return tx.Migrator().AddColumn(&CallAttempt{}, "RecordKey")
		},
	})
}
