package store

import "time"

// AnnouncementRef is a reference clip of a carrier's early-media
// announcement (您拨打的电话已关机 …) and the outcome it means: the
// fingerprint layer of 空号识别. The audio lives in the data directory
// (AudioPath is relative to <data>/announcements); the fingerprint is
// recomputed from it when references are loaded.
type AnnouncementRef struct {
	ID uint64 `gorm:"primaryKey"`
	// Carrier matches Trunk.Carrier; empty applies to every trunk.
	Carrier string `gorm:"size:64;not null;default:'';index"`
	Name    string `gorm:"size:128;not null"`
	Outcome string `gorm:"size:32;not null"`
	// AudioPath is the 8 kHz mono WAV waihu keeps, relative to the
	// announcements directory.
	AudioPath  string `gorm:"size:255;not null"`
	SHA256     string `gorm:"size:64;not null"`
	DurationMs int    `gorm:"not null;default:0"`
	// Landmarks is how many fingerprint landmarks the clip has (a clip
	// with few cannot be matched reliably; the page shows it).
	Landmarks int `gorm:"not null;default:0"`
	CreatedAt time.Time
}
