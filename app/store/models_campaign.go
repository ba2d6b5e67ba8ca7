package store

import "time"

// Contact list states. A list becomes ready only when its import file has
// been read to the end: until then its contacts are invisible to campaigns,
// which is how a file import is all-or-nothing without a second copy.
const (
	ListImporting = "importing"
	ListReady     = "ready"
	ListFailed    = "failed"
)

// ContactList is a tenant's list of people to call (名单).
type ContactList struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Name  string `gorm:"size:128;not null"`
	State string `gorm:"size:16;not null;index"`
	// Columns is the JSON array of variable names the contacts carry, so a
	// script can be checked against the list before a campaign starts.
	Columns      string `gorm:"type:text"`
	ContactCount int64  `gorm:"not null;default:0"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Contact is one person on a list: an E.164 number, a name and the row's
// variables for the script. Phone is unique per list (duplicates are
// rejected at import). TZ is the callee's IANA zone from the number.
type Contact struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	ListID    uint64 `gorm:"not null;uniqueIndex:idx_contact_list_phone,priority:1"`
	Phone     string `gorm:"size:32;not null;uniqueIndex:idx_contact_list_phone,priority:2"`
	Name      string `gorm:"size:128;not null;default:''"`
	TZ        string `gorm:"size:48;not null;default:''"`
	AreaCode  string `gorm:"size:8;not null;default:''"`
	Vars      string `gorm:"type:text"`
	FileRow   int    `gorm:"not null;default:0"` // row in the source file, 0 when added by API
	CreatedAt time.Time
}

// Import states.
const (
	ImportUploaded  = "uploaded"  // file stored, waiting for the column mapping
	ImportQueued    = "queued"    // mapping given, import job enqueued
	ImportRunning   = "running"   // rows being read (resumes after a crash)
	ImportDone      = "done"      // list switched to ready in one transaction
	ImportFailed    = "failed"    // nothing of the file is visible
	ImportCancelled = "cancelled" // never started
)

// ListImport is one uploaded file and the progress of reading it. RowsDone
// is committed in the same transaction as each batch of contacts, so a
// crashed import resumes after the last committed row.
type ListImport struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	ListID     uint64 `gorm:"not null;index"`
	FileName   string `gorm:"size:255;not null"`
	FilePath   string `gorm:"size:512;not null"`
	FileSize   int64  `gorm:"not null;default:0"`
	Format     string `gorm:"size:8;not null"`  // csv, xlsx
	Encoding   string `gorm:"size:16;not null"` // utf-8, gb18030
	Mapping    string `gorm:"type:text"`        // JSON Mapping
	State      string `gorm:"size:16;not null;index"`
	TotalRows  int    `gorm:"not null;default:0"` // estimate for progress (CSV lines), 0 = unknown
	RowsDone   int    `gorm:"not null;default:0"` // data rows read (header excluded)
	Imported   int    `gorm:"not null;default:0"`
	Duplicates int    `gorm:"not null;default:0"`
	Invalid    int    `gorm:"not null;default:0"`
	DNC        int    `gorm:"not null;default:0"`
	Error      string `gorm:"size:1024;not null;default:''"`
	StartedAt  *time.Time
	FinishedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ImportReject is a row of a file that was not imported, with the reason;
// the downloadable error report is these rows.
type ImportReject struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	ImportID uint64 `gorm:"not null;index:idx_reject_import_row,priority:1"`
	FileRow  int    `gorm:"not null;index:idx_reject_import_row,priority:2"`
	Column   string `gorm:"size:64;not null;default:''"`
	Reason   string `gorm:"size:32;not null"` // invalid_phone, duplicate, dnc, formula, too_long
	Detail   string `gorm:"size:255;not null;default:''"`
	Raw      string `gorm:"type:text"` // the row's cells as a JSON array
}

// DNCEntry is a number a tenant must not call.
type DNCEntry struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Phone     string `gorm:"size:32;not null;index"`      // unique with tenant_id (migration 0401)
	Reason    string `gorm:"size:32;not null;default:''"` // manual, import, opt_out, complaint
	Note      string `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time
}

// PlatformDNC is a number nobody on the platform may call (the operator's list).
type PlatformDNC struct {
	ID        uint64 `gorm:"primaryKey"`
	Phone     string `gorm:"size:32;not null;uniqueIndex"`
	Reason    string `gorm:"size:32;not null;default:''"`
	Note      string `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time
}

// Campaign states.
const (
	CampaignDraft     = "draft"
	CampaignScheduled = "scheduled"
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	CampaignCompleted = "completed"
	CampaignStopped   = "stopped"
)

// Campaign is an outbound-calling task (外呼任务): a list, a script version,
// a schedule, limits and rules.
type Campaign struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Name            string `gorm:"size:128;not null"`
	ListID          uint64 `gorm:"not null;index"`
	ScriptVersionID uint64 `gorm:"not null;default:0"`
	State           string `gorm:"size:16;not null;index"`
	// Priority orders a tenant's running campaigns for its lines (higher first).
	Priority      int    `gorm:"not null;default:0"`
	MaxConcurrent int    `gorm:"not null;default:10"`
	TrunkID       uint64 `gorm:"not null;default:0"` // 0 = any trunk assigned to the tenant
	StartAt       *time.Time
	EndAt         *time.Time
	// Rules is the JSON campaign.Rules: windows, weekdays, holidays, retries.
	Rules       string `gorm:"type:text"`
	PauseReason string `gorm:"size:255;not null;default:''"`
	// Counters kept by the dispatcher and AttemptFinished.
	Total      int64 `gorm:"not null;default:0"`
	Dialed     int64 `gorm:"not null;default:0"`
	Finished   int64 `gorm:"not null;default:0"`
	Answered   int64 `gorm:"not null;default:0"`
	TalkSecSum int64 `gorm:"not null;default:0"`
	StartedAt  *time.Time
	EndedAt    *time.Time
	CreatedBy  uint64 `gorm:"not null;default:0"`
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// ContactsDone counts campaign contacts in state done (a final state),
	// kept in AttemptFinished's update of this row: the statistics read it
	// instead of counting millions of campaign contacts (migration 0420).
	ContactsDone int64 `gorm:"not null;default:0"`
}

// Campaign contact states.
const (
	CCPending = "pending" // due at NextAt
	CCActive  = "active"  // an attempt is queued or in flight
	CCDone    = "done"    // no more attempts
	CCSkipped = "skipped" // never called (DNC, invalid); SkipReason says why
)

// CampaignContact is one contact's progress in one campaign, and the lead's
// follow-up (handled, assignee, notes).
type CampaignContact struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	CampaignID  uint64    `gorm:"not null;uniqueIndex:idx_cc_campaign_contact,priority:1;index:idx_cc_due,priority:1"`
	ContactID   uint64    `gorm:"not null;uniqueIndex:idx_cc_campaign_contact,priority:2"`
	Phone       string    `gorm:"size:32;not null"`
	State       string    `gorm:"size:16;not null;index:idx_cc_due,priority:2"`
	NextAt      time.Time `gorm:"not null;index:idx_cc_due,priority:3"`
	Attempts    int       `gorm:"not null;default:0"` // attempts that reached the dialer
	AttemptSeq  int       `gorm:"not null;default:0"` // attempt numbers handed out (incl. not dialed)
	LastOutcome string    `gorm:"size:32;not null;default:''"`
	LastGrade   string    `gorm:"size:1;not null;default:''"`
	SkipReason  string    `gorm:"size:32;not null;default:''"`
	Handled     bool      `gorm:"not null;default:false"`
	AssigneeID  uint64    `gorm:"not null;default:0"`
	Notes       string    `gorm:"type:text"`
	UpdatedAt   time.Time
}

// WebhookEndpoint receives signed event POSTs (Standard Webhooks).
type WebhookEndpoint struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	URL       string `gorm:"size:512;not null"`
	Secret    string `gorm:"size:128;not null"`            // whsec_<base64>
	Events    string `gorm:"size:255;not null;default:''"` // comma list; empty = all
	Enabled   bool   `gorm:"not null;default:true"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WebhookDelivery is one event to one endpoint and its delivery attempts.
type WebhookDelivery struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	EndpointID  uint64 `gorm:"not null;index"`
	MsgID       string `gorm:"size:64;not null;uniqueIndex"`
	Event       string `gorm:"size:64;not null"`
	Payload     string `gorm:"type:text"`
	Status      string `gorm:"size:16;not null;index"` // pending, delivered, failed
	Attempts    int    `gorm:"not null;default:0"`
	LastStatus  int    `gorm:"not null;default:0"`
	LastError   string `gorm:"size:512;not null;default:''"`
	DeliveredAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CampaignStat is one running count of a campaign's finished calls by
// outcome, grade or hour (Kind), kept by AttemptFinished so statistics read
// a few rows instead of grouping millions of call records.
type CampaignStat struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	CampaignID uint64 `gorm:"not null;uniqueIndex:idx_campaign_stat_key,priority:1"`
	Kind       string `gorm:"size:8;not null;uniqueIndex:idx_campaign_stat_key,priority:2"`  // outcome, grade, hour, answ_hr
	Key        string `gorm:"size:32;not null;uniqueIndex:idx_campaign_stat_key,priority:3"` // the outcome, grade or UTC hour
	N          int64  `gorm:"not null;default:0"`
}
