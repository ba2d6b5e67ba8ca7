package store

import (
	"errors"
	"time"
)

// CallAttempt is one try at calling one contact of one campaign. It is the
// row every crash boundary of a call is recorded in: the campaign scheduler
// creates it (queued), the dial worker commits it as dialing before the
// originate leaves waihu, call control moves it through ringing, early and
// talking to finished, and billing settles its cost. UUID is also the
// FreeSWITCH channel UUID (origination_uuid) and the asynq TaskID, so the
// same attempt can never become two calls.
type CallAttempt struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	UUID       string `gorm:"size:36;not null;uniqueIndex"`
	CampaignID uint64 `gorm:"not null;uniqueIndex:idx_attempt_key,priority:1;index:idx_attempt_campaign_state,priority:1;index:idx_attempt_campaign_outcome,priority:1;index:idx_attempt_campaign_queued,priority:1"`
	ContactID  uint64 `gorm:"not null;uniqueIndex:idx_attempt_key,priority:2"`
	AttemptNo  int    `gorm:"not null;uniqueIndex:idx_attempt_key,priority:3"`
	// Phone is the callee in E.164; CallerID the presented number.
	Phone    string `gorm:"size:32;not null;index;index:idx_attempt_phone_queued,priority:1"`
	CallerID string `gorm:"size:32;not null;default:''"`
	TrunkID  uint64 `gorm:"not null;default:0"`
	NodeID   uint64 `gorm:"not null;default:0"`
	// ScriptVersionID pins the published script version the call runs.
	ScriptVersionID uint64 `gorm:"not null;default:0"`
	State           string `gorm:"size:16;not null;index:idx_attempt_campaign_state,priority:2"`
	// Outcome is one of the callctl outcome constants once State is finished.
	Outcome     string `gorm:"size:32;not null;default:'';index;index:idx_attempt_campaign_outcome,priority:2"`
	HangupCause string `gorm:"size:64;not null;default:''"`
	SIPStatus   int    `gorm:"column:sip_status;not null;default:0"`
	// EarlyMedia is what the early-media classifier heard, if anything.
	EarlyMedia string    `gorm:"size:32;not null;default:''"`
	QueuedAt   time.Time `gorm:"index:idx_attempt_campaign_queued,priority:2;index:idx_attempt_phone_queued,priority:2"`
	DialedAt   *time.Time
	AnsweredAt *time.Time
	EndedAt    *time.Time
	RingSec    int `gorm:"not null;default:0"`
	TalkSec    int `gorm:"not null;default:0"`
	BillSec    int `gorm:"not null;default:0"`
	// Grade A–F, tags and captured variables (JSON) come from the dialogue.
	Grade string `gorm:"size:1;not null;default:''"`
	Tags  string `gorm:"type:text"`
	Vars  string `gorm:"type:text"`
	// Timeline is the call's JSON timeline: turns, intents, node path, timings.
	Timeline   string `gorm:"type:mediumtext"`
	RecordPath string `gorm:"size:512;not null;default:''"`
	// RecordKey is the recording's object key in S3-compatible storage once
	// uploaded (app/recordings; added by migration 0321).
	RecordKey string `gorm:"size:512;not null;default:''"`
	CostFen   int64  `gorm:"not null;default:0"`
	// Simulated marks calls placed through the switch simulator.
	Simulated bool   `gorm:"not null;default:false"`
	Error     string `gorm:"size:512;not null;default:''"`
	// NotDialed marks an attempt that ended without reaching FreeSWITCH (no
	// funds, no capacity): it counts neither toward retries nor the
	// per-number cap (added by migration 0402).
	NotDialed bool `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Call attempt states. Finished is the only final state; an attempt reaches
// it exactly once, with an Outcome.
const (
	AttemptQueued   = "queued"
	AttemptDialing  = "dialing"
	AttemptRinging  = "ringing"
	AttemptEarly    = "early"
	AttemptTalking  = "talking"
	AttemptFinished = "finished"
)

// ErrNotDialed wraps a dial error that guarantees no originate reached
// FreeSWITCH (no node with capacity, trunk disabled…): the attempt may be
// put back in the queue without reconciliation.
var ErrNotDialed = errors.New("call not placed")
