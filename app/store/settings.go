package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// SettingOrInit returns the setting's value, storing init first if the key
// is new. Concurrent first starts agree on one value (the first insert wins).
func SettingOrInit(ctx context.Context, db *DB, key, init string) (string, error) {
	if err := db.With(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: key, Value: init}).Error; err != nil {
		return "", fmt.Errorf("init setting %s: %w", key, err)
	}
	var s Setting
	if err := db.With(ctx).Where("`key` = ?", key).First(&s).Error; err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return s.Value, nil
}
