package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/httpapi"
)

// switchOps answers the back office's live questions about nodes and
// trunks from the calling engine.
type switchOps struct{ e *callctl.Engine }

func (s switchOps) NodeHealth(ctx context.Context, id uint64) (httpapi.NodeHealth, error) {
	h, ok := s.e.NodeHealth(id)
	if !ok {
		return httpapi.NodeHealth{Error: "this process has no connection to the node (disabled?)"}, nil
	}
	return httpapi.NodeHealth{Connected: h.Up, SessionsNow: int(h.SessionCount), MaxSessions: int(h.MaxSessions),
		CPS: float64(h.SessionPerSec), Error: h.LastError}, nil
}

// TestGateway reads `sofia status gateway`: State (REGED, NOREG, FAILED…),
// Status (UP/DOWN from OPTIONS pings) and PingTime.
func (s switchOps) TestGateway(ctx context.Context, trunkID uint64) (httpapi.GatewayStatus, error) {
	node, out, err := s.e.GatewayStatus(ctx, trunkID)
	if err != nil {
		return httpapi.GatewayStatus{Detail: err.Error()}, nil
	}
	st := httpapi.GatewayStatus{NodeID: node, Detail: strings.TrimSpace(out)}
	if strings.Contains(out, "Invalid Gateway") {
		st.State = "MISSING"
		st.Detail = "FreeSWITCH has no such gateway yet: rescan the external profile"
		return st, nil
	}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "State":
			st.State = v
		case "Status":
			st.Status, _, _ = strings.Cut(v, " ")
		case "PingTime":
			st.PingMs, _ = strconv.ParseFloat(v, 64)
		}
	}
	return st, nil
}

// TrunksChanged has every node re-read its gateways.
func (s switchOps) TrunksChanged(ctx context.Context, removed ...uint64) error {
	return s.e.TrunksChanged(ctx, removed...)
}
