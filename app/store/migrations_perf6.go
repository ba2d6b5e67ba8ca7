package store

import (
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func init() {
	register(&gormigrate.Migration{
		ID: "0420_campaigns_contacts_done",
		Migrate: func(tx *gorm.DB) error {
			// Campaign statistics read the done contacts from a counter
			// instead of counting them; existing campaigns get theirs once.
			if !tx.Migrator().HasColumn(&Campaign{}, "ContactsDone") {
				if err := tx.Migrator().AddColumn(&Campaign{}, "ContactsDone"); err != nil {
					return fmt.Errorf("add campaigns.contacts_done: %w", err)
				}
			}
			return tx.Exec("UPDATE campaigns SET contacts_done = (SELECT COUNT(*) FROM campaign_contacts " +
				"WHERE campaign_contacts.campaign_id = campaigns.id AND campaign_contacts.state = 'done')").Error
		},
	})
}
