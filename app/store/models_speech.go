package store

import "time"

// SpeechEngine is a configured speech engine instance (platform table): a
// remote ASR/TTS service with its credentials, or an embedded engine with
// its paths. Config is the JSON of speech/engines.Spec. Tenants pick among
// enabled engines by Name.
type SpeechEngine struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null;uniqueIndex"`
	Type      string `gorm:"size:32;not null"`
	Config    string `gorm:"type:text"` // JSON; holds secrets, never rendered to tenants
	Enabled   bool   `gorm:"not null;default:true"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SpeechChoice is a tenant's engine choice: ScriptID 0 for the whole tenant,
// otherwise for one script. Empty fields inherit (script → tenant →
// platform default).
type SpeechChoice struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	ScriptID  uint64  `gorm:"not null;default:0;index"`
	ASR       string  `gorm:"size:64;not null;default:''"`
	TTS       string  `gorm:"size:64;not null;default:''"`
	Voice     string  `gorm:"size:64;not null;default:''"`
	Speed     float64 `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}
