package httpapi

import "context"

// SwitchOps asks the FreeSWITCH nodes live questions for the back office.
// Call control implements it; while it is nil the pages say "not connected".
type SwitchOps interface {
	NodeHealth(ctx context.Context, nodeID uint64) (NodeHealth, error)
	TestGateway(ctx context.Context, trunkID uint64) (GatewayStatus, error)
}

// NodeHealth is a node's live state as FreeSWITCH reports it.
type NodeHealth struct {
	Connected   bool    `json:"connected"`
	SessionsNow int     `json:"sessions_now"`
	MaxSessions int     `json:"max_sessions"`
	CPS         float64 `json:"cps"`
	Uptime      string  `json:"uptime"`
	Version     string  `json:"version"`
	Error       string  `json:"error"`
}

// GatewayStatus is a trunk's sofia gateway state on a node.
type GatewayStatus struct {
	NodeID uint64  `json:"node_id"`
	State  string  `json:"state"`  // REGED, NOREG, FAILED…
	Status string  `json:"status"` // UP or DOWN (options ping)
	PingMs float64 `json:"ping_ms"`
	Detail string  `json:"detail"`
}

func (s *Server) registerCallctlAdmin() {}
