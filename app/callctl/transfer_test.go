package callctl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// transferScripts: version N is the disclosure line, then a transfer to
// targets[N].
type transferScripts map[uint64]string

func (s transferScripts) LoadVersion(ctx context.Context, id uint64) (*dialog.Script, error) {
	target, ok := s[id]
	if !ok {
		return nil, fmt.Errorf("no script version %d", id)
	}
	return &dialog.Script{Name: "transfer", Lang: "zh", Start: "hello", Nodes: []dialog.Node{
		{ID: "hello", Type: dialog.NodeSay, Text: "您好，我是智能语音助手。", Next: "xfer"},
		{ID: "xfer", Type: dialog.NodeTransfer, Text: "正在为您转接。", Target: target},
	}}, nil
}

// TestTransferStaysInTheTenant: a script may name any extension, and
// agents of every tenant share one SIP domain (extension 100000 + user
// id), so a transfer to another tenant's agent is refused before
// FreeSWITCH is asked; the tenant's own agents and targets that are no
// waihu agent (a group) are transferred.
func TestTransferStaysInTheTenant(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := store.AsPlatform(context.Background())
	now := time.Now()
	for _, seat := range []store.AgentSIP{
		{TenantOwned: store.TenantOwned{TenantID: 1}, UserID: 41, Ext: callctl.AgentExt(41), Password: "x", CreatedAt: now, UpdatedAt: now},
		{TenantOwned: store.TenantOwned{TenantID: 2}, UserID: 42, Ext: callctl.AgentExt(42), Password: "y", CreatedAt: now, UpdatedAt: now},
	} {
		if err := db.With(ctx).Create(&seat).Error; err != nil {
			t.Fatal(err)
		}
	}
	scripts := transferScripts{1: callctl.AgentExt(42), 2: callctl.AgentExt(41), 3: "agents"}
	r := newRig(t, db, scripts, 0.05)
	// Persona 0 answers and listens.
	other := r.final(r.dial("+8613700137000", 1))
	own := r.final(r.dial("+8613700137010", 2))
	group := r.final(r.dial("+8613700137020", 3))
	transferred := func(a store.CallAttempt) string {
		c, ok := r.sim.Call(a.UUID)
		if !ok {
			t.Fatalf("the simulator never saw %s", a.Phone)
		}
		for _, app := range c.Apps {
			if strings.HasPrefix(app, "transfer ") {
				return app
			}
		}
		return ""
	}
	if got := transferred(other); got != "" {
		t.Errorf("a transfer to another tenant's agent reached FreeSWITCH: %q", got)
	}
	if other.Outcome != callctl.OutcomeAnswered {
		t.Errorf("refused transfer: outcome %q", other.Outcome)
	}
	if got := transferred(own); got != "transfer agent_"+callctl.AgentExt(41)+" XML waihu_transfer" {
		t.Errorf("transfer to the tenant's own agent: %q", got)
	}
	if got := transferred(group); got != "transfer agent_agents XML waihu_transfer" {
		t.Errorf("transfer to a group: %q", got)
	}
}
