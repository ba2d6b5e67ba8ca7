package store

import "time"

// Node is a FreeSWITCH server waihu controls over ESL. The operator adds,
// drains and removes nodes; waihu keeps one inbound connection per enabled node.
type Node struct {
	ID          uint64 `gorm:"primaryKey"`
	Name        string `gorm:"size:64;not null;uniqueIndex"`
	ESLAddr     string `gorm:"column:esl_addr;size:191;not null"` // host:port of mod_event_socket
	ESLPassword string `gorm:"size:128;not null"`
	// MaxCalls and MaxCPS are this node's own limits (FreeSWITCH's
	// max-sessions and sessions-per-second, or lower).
	MaxCalls int `gorm:"not null;default:500"`
	MaxCPS   int `gorm:"not null;default:30"`
	// State: enabled (takes new calls), draining (finishes its calls, takes
	// none), disabled (no connection).
	State string `gorm:"size:16;not null;default:'enabled'"`
	// Simulated marks the in-process switch simulator (demo, tests): only
	// simulated engines may serve its calls, and its calls are labelled.
	Simulated bool `gorm:"not null;default:false"`
	// Health as last seen (written by the process holding the connection).
	LastSeenAt  *time.Time
	LastError   string `gorm:"size:512;not null;default:''"`
	SessionsNow int    `gorm:"not null;default:0"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Node states.
const (
	NodeEnabled  = "enabled"
	NodeDraining = "draining"
	NodeDisabled = "disabled"
)

// Trunk is a SIP trunk (线路) to a carrier. FreeSWITCH learns it as a sofia
// gateway from waihu over mod_xml_curl; the gateway's name is "waihu_<id>".
type Trunk struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null;uniqueIndex"`
	Carrier   string `gorm:"size:64;not null;default:''"`
	Host      string `gorm:"size:191;not null"` // proxy/realm host[:port]
	Transport string `gorm:"size:8;not null;default:'udp'"`
	Username  string `gorm:"size:128;not null;default:''"`
	Password  string `gorm:"size:128;not null;default:''"`
	Register  bool   `gorm:"not null;default:false"`
	// Prefix is dialled before the number; Format is how the number is sent:
	// e164 (+86138…), national (0138… for landlines, 138… for mobiles) or digits (86138…).
	Prefix        string `gorm:"size:16;not null;default:''"`
	Format        string `gorm:"size:16;not null;default:'national'"`
	MaxConcurrent int    `gorm:"not null;default:30"`
	MaxCPS        int    `gorm:"not null;default:5"`
	Enabled       bool   `gorm:"not null;default:true"`
	// Codecs is FreeSWITCH's codec-prefs list for the gateway, e.g. "PCMA,PCMU".
	Codecs    string `gorm:"size:128;not null;default:'PCMA,PCMU'"`
	Simulated bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TrunkAssignment lets a tenant place calls over a trunk.
type TrunkAssignment struct {
	ID       uint64 `gorm:"primaryKey"`
	TenantID uint64 `gorm:"not null;uniqueIndex:idx_trunk_tenant,priority:1"`
	TrunkID  uint64 `gorm:"not null;uniqueIndex:idx_trunk_tenant,priority:2"`
	// MaxConcurrent caps this tenant on this trunk (0 = the trunk's own limit).
	MaxConcurrent int `gorm:"not null;default:0"`
	CreatedAt     time.Time
}

// CallerIDNumber is a presentable calling number (主叫号码) on a trunk. A
// tenant gets a pool of them; campaigns rotate through the pool, preferring
// numbers local to the callee. A falling answer rate flags a number as
// likely marked as spam, and flagged numbers rotate out.
type CallerIDNumber struct {
	ID         uint64 `gorm:"primaryKey"`
	TrunkID    uint64 `gorm:"not null;index"`
	TenantID   uint64 `gorm:"not null;default:0;index"`     // 0 = not assigned
	Number     string `gorm:"size:32;not null;uniqueIndex"` // E.164
	AreaCode   string `gorm:"size:8;not null;default:''"`   // e.g. 755 for Shenzhen
	Enabled    bool   `gorm:"not null;default:true"`
	Flagged    bool   `gorm:"not null;default:false"`
	FlagReason string `gorm:"size:191;not null;default:''"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CDR is FreeSWITCH's own record of a call (mod_xml_cdr), stored once per
// channel UUID. Billable seconds come from here, so a call is billed even
// if waihu was down when it ended.
type CDR struct {
	ID            uint64 `gorm:"primaryKey"`
	UUID          string `gorm:"size:36;not null;uniqueIndex"`
	TenantID      uint64 `gorm:"not null;default:0;index"`
	AttemptUUID   string `gorm:"size:36;not null;default:'';index"`
	NodeID        uint64 `gorm:"not null;default:0"`
	Direction     string `gorm:"size:16;not null;default:''"`
	CallerNumber  string `gorm:"size:32;not null;default:''"`
	DestNumber    string `gorm:"size:32;not null;default:''"`
	StartAt       *time.Time
	AnswerAt      *time.Time
	EndAt         *time.Time
	DurationSec   int       `gorm:"not null;default:0"`
	BillSec       int       `gorm:"not null;default:0"`
	HangupCause   string    `gorm:"size:64;not null;default:''"`
	Q850          int       `gorm:"not null;default:0"`
	SIPTermStatus int       `gorm:"column:sip_term_status;not null;default:0"`
	Disposition   string    `gorm:"size:32;not null;default:''"` // sip_hangup_disposition
	RecordPath    string    `gorm:"size:512;not null;default:''"`
	Raw           string    `gorm:"type:mediumtext"`
	ReceivedAt    time.Time `gorm:"not null"`
}
