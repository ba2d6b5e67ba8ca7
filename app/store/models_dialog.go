package store

import "time"

// Script is a tenant's call script: a draft being edited (Draft, the
// dialog.Script JSON) and the versions published from it. Campaigns pin a
// ScriptVersion, never the draft.
type Script struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	// Name is unique per tenant (checked by the script service).
	Name     string `gorm:"size:128;not null;index"`
	Template string `gorm:"size:32;not null;default:''"`
	Lang     string `gorm:"size:8;not null;default:'zh'"`
	Draft    string `gorm:"type:mediumtext"`
	// LatestVersion is the number of the newest published version (0: none).
	LatestVersion      int    `gorm:"not null;default:0"`
	PublishedVersionID uint64 `gorm:"not null;default:0"`
	CreatedBy          uint64 `gorm:"not null;default:0"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// ScriptVersion is an immutable published script: Body is frozen JSON that
// passed validation and the script's own tests when it was published.
type ScriptVersion struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	ScriptID    uint64 `gorm:"not null;uniqueIndex:idx_script_version,priority:1"`
	Version     int    `gorm:"not null;uniqueIndex:idx_script_version,priority:2"`
	Body        string `gorm:"type:mediumtext"`
	Checksum    string `gorm:"size:64;not null"`
	Note        string `gorm:"size:255;not null;default:''"`
	PublishedBy uint64 `gorm:"not null;default:0"`
	CreatedAt   time.Time
}
