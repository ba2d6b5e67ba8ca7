package store

import "time"

// AgentSIP is a tenant user's SIP seat: the account their softphone or desk
// phone registers with on FreeSWITCH's internal profile. FreeSWITCH learns
// it from waihu over mod_xml_curl (section directory); Ext is the SIP user
// id, globally unique because every tenant's agents share one SIP domain.
// Password is kept retrievable so the agent can read it in the console (as
// trunk passwords are); FreeSWITCH only ever receives its a1-hash.
type AgentSIP struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	UserID    uint64 `gorm:"not null;uniqueIndex"`
	Ext       string `gorm:"size:16;not null;uniqueIndex"`
	Password  string `gorm:"size:64;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}
