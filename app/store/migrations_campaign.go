package store

import (
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0401_campaign_lists_dnc_campaigns",
		Migrate: func(tx *gorm.DB) error {
			if err := createTables(tx, &ContactList{}, &Contact{}, &ListImport{}, &ImportReject{}, &DNCEntry{},
				&PlatformDNC{}, &Campaign{}, &CampaignContact{}, &WebhookEndpoint{}, &WebhookDelivery{}); err != nil {
				return err
			}
			// A composite unique key that starts with the embedded tenant_id
			// cannot be declared by tag, so it is created here.
			if !tx.Migrator().HasIndex(&DNCEntry{}, "idx_dnc_tenant_phone") {
				if err := tx.Exec("CREATE UNIQUE INDEX idx_dnc_tenant_phone ON dnc_entries (tenant_id, phone)").Error; err != nil {
					return fmt.Errorf("create dnc index: %w", err)
				}
			}
			return nil
		},
	})
	register(&gormigrate.Migration{
		ID: "0402_call_attempts_not_dialed_and_indexes",
		Migrate: func(tx *gorm.DB) error {
			m := tx.Migrator()
			if !m.HasColumn(&CallAttempt{}, "NotDialed") {
				if err := m.AddColumn(&CallAttempt{}, "NotDialed"); err != nil {
					return fmt.Errorf("add call_attempts.not_dialed: %w", err)
				}
			}
			for _, idx := range []string{"idx_attempt_campaign_outcome", "idx_attempt_campaign_queued", "idx_attempt_phone_queued"} {
				if !m.HasIndex(&CallAttempt{}, idx) {
					if err := m.CreateIndex(&CallAttempt{}, idx); err != nil {
						return fmt.Errorf("create %s: %w", idx, err)
					}
				}
			}
			return nil
		},
	})
	register(&gormigrate.Migration{
		ID: "0403_campaign_stats",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &CampaignStat{})
		},
	})
	register(&gormigrate.Migration{
		ID: "0404_call_attempts_tenant_indexes",
		Migrate: func(tx *gorm.DB) error {
			// The tenant scope adds tenant_id to every query: results pages
			// need it leading their composite indexes.
			for _, ix := range [][2]string{
				{"idx_attempt_tenant_campaign_outcome", "tenant_id, campaign_id, outcome"},
				{"idx_attempt_tenant_campaign_state", "tenant_id, campaign_id, state"},
			} {
				if tx.Migrator().HasIndex(&CallAttempt{}, ix[0]) {
					continue
				}
				if err := tx.Exec("CREATE INDEX " + ix[0] + " ON call_attempts (" + ix[1] + ")").Error; err != nil {
					return fmt.Errorf("create %s: %w", ix[0], err)
				}
			}
			return nil
		},
	})
	register(&gormigrate.Migration{
		ID: "0405_call_attempts_state_index",
		Migrate: func(tx *gorm.DB) error {
			// The scheduler counts calls in flight on every pass: an index led
			// by state reads only those, however many finished records exist.
			if tx.Migrator().HasIndex(&CallAttempt{}, "idx_attempt_state_trunk") {
				return nil
			}
			return tx.Exec("CREATE INDEX idx_attempt_state_trunk ON call_attempts (state, campaign_id, trunk_id)").Error
		},
	})
}
