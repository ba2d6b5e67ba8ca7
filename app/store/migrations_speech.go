package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0600_speech_engines_choices",
		Migrate: func(tx *gorm.DB) error {
			if err := createTables(tx, &SpeechEngine{}, &SpeechChoice{}); err != nil {
				return err
			}
			// One choice per tenant and script (0 = tenant-wide).
			if !tx.Migrator().HasIndex(&SpeechChoice{}, "ux_speech_choice_scope") {
				return tx.Exec("CREATE UNIQUE INDEX ux_speech_choice_scope ON speech_choices (tenant_id, script_id)").Error
			}
			return nil
		},
	})
}
