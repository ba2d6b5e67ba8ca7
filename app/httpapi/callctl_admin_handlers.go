package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
)

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

func (s *Server) registerCallctlAdmin() { s.registerCallctlInfra() }

type nodeJSON struct {
	ID          uint64     `json:"id"`
	Name        string     `json:"name"`
	ESLAddr     string     `json:"esl_addr"`
	MaxCalls    int        `json:"max_calls"`
	MaxCPS      int        `json:"max_cps"`
	State       string     `json:"state"`
	Simulated   bool       `json:"simulated"`
	LastSeenAt  *time.Time `json:"last_seen_at"`
	LastError   string     `json:"last_error"`
	SessionsNow int        `json:"sessions_now"`
	CreatedAt   time.Time  `json:"created_at"`
}

// The ESL password is write-only: it never leaves the server.
func toNode(n *store.Node) nodeJSON {
	return nodeJSON{ID: n.ID, Name: n.Name, ESLAddr: n.ESLAddr, MaxCalls: n.MaxCalls, MaxCPS: n.MaxCPS, State: n.State, Simulated: n.Simulated,
		LastSeenAt: n.LastSeenAt, LastError: n.LastError, SessionsNow: n.SessionsNow, CreatedAt: n.CreatedAt}
}

type trunkJSON struct {
	ID            uint64          `json:"id"`
	Name          string          `json:"name"`
	Carrier       string          `json:"carrier"`
	Host          string          `json:"host"`
	Transport     string          `json:"transport"`
	Username      string          `json:"username"`
	HasPassword   bool            `json:"has_password"`
	Register      bool            `json:"register"`
	Prefix        string          `json:"prefix"`
	Format        string          `json:"format"`
	MaxConcurrent int             `json:"max_concurrent"`
	MaxCPS        int             `json:"max_cps"`
	Codecs        string          `json:"codecs"`
	Enabled       bool            `json:"enabled"`
	Simulated     bool            `json:"simulated"`
	Stats         *crm.TrunkStats `json:"stats,omitempty"`
	Tenants       []uint64        `json:"tenants,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

func toTrunk(t *store.Trunk) trunkJSON {
	return trunkJSON{ID: t.ID, Name: t.Name, Carrier: t.Carrier, Host: t.Host, Transport: t.Transport, Username: t.Username, HasPassword: t.Password != "",
		Register: t.Register, Prefix: t.Prefix, Format: t.Format, MaxConcurrent: t.MaxConcurrent, MaxCPS: t.MaxCPS, Codecs: t.Codecs,
		Enabled: t.Enabled, Simulated: t.Simulated, CreatedAt: t.CreatedAt}
}

type callerIDJSON struct {
	ID           uint64  `json:"id"`
	TrunkID      uint64  `json:"trunk_id"`
	TenantID     uint64  `json:"tenant_id"`
	Number       string  `json:"number"`
	AreaCode     string  `json:"area_code"`
	Enabled      bool    `json:"enabled"`
	Flagged      bool    `json:"flagged"`
	FlagReason   string  `json:"flag_reason"`
	Calls7d      int64   `json:"calls_7d"`
	AnswerRate7d float64 `json:"answer_rate_7d"`
}

func toCallerID(c *store.CallerIDNumber) callerIDJSON {
	return callerIDJSON{ID: c.ID, TrunkID: c.TrunkID, TenantID: c.TenantID, Number: c.Number, AreaCode: c.AreaCode, Enabled: c.Enabled, Flagged: c.Flagged, FlagReason: c.FlagReason}
}

type nodeHealthJSON struct {
	Connected bool        `json:"connected"` // false also when nothing answers for the switch yet
	Available bool        `json:"available"` // false: call control is not connected to this back office
	Health    *NodeHealth `json:"health,omitempty"`
	Error     string      `json:"error,omitempty"`
}

type gatewayTestJSON struct {
	Available bool           `json:"available"`
	Status    *GatewayStatus `json:"status,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type assignRequest struct {
	TenantID      uint64 `json:"tenant_id"`
	MaxConcurrent int    `json:"max_concurrent"`
}

type unassignRequest struct {
	TenantID uint64 `json:"tenant_id"`
}

type assignmentJSON struct {
	TenantID      uint64 `json:"tenant_id"`
	MaxConcurrent int    `json:"max_concurrent"`
}

func (s *Server) registerCallctlInfra() {
	if s.deps.CRM == nil {
		return
	}
	r := func(method, path, summary, resource, area string, req, resp any, status int, h gin.HandlerFunc, q ...QueryParam) {
		s.add(Route{Method: method, Path: path, Summary: summary, Tag: "admin-switch", Auth: AuthStaff, Area: area, Resource: resource,
			Request: req, Response: resp, Status: status, Handler: h, Query: q})
	}
	r(http.MethodGet, "/admin/nodes", "List FreeSWITCH nodes", "", "nodes.read", nil, listJSON[nodeJSON]{}, 0, s.adminListNodes)
	r(http.MethodPost, "/admin/nodes", "Add a FreeSWITCH node", "", "nodes", crm.NodeInput{}, nodeJSON{}, http.StatusCreated, s.adminSaveNode)
	r(http.MethodPatch, "/admin/nodes/:id", "Change a node", "node", "nodes", crm.NodeInput{}, nodeJSON{}, 0, s.adminSaveNode)
	for _, st := range []struct{ verb, state, summary string }{
		{"enable", store.NodeEnabled, "Let a node take new calls"},
		{"drain", store.NodeDraining, "Drain a node: its calls finish, it takes no new ones"},
		{"disable", store.NodeDisabled, "Disable a node (no connection)"},
	} {
		r(http.MethodPost, "/admin/nodes/:id/"+st.verb, st.summary, "node", "nodes", nil, nodeJSON{}, 0, s.adminNodeState(st.state))
	}
	r(http.MethodGet, "/admin/nodes/:id/health", "A node's live health from FreeSWITCH", "node", "nodes.read", nil, nodeHealthJSON{}, 0, s.adminNodeHealth)

	r(http.MethodGet, "/admin/trunks", "List SIP trunks with their last day's health", "", "trunks.read", nil, listJSON[trunkJSON]{}, 0, s.adminListTrunks)
	r(http.MethodPost, "/admin/trunks", "Add a SIP trunk", "", "trunks", crm.TrunkInput{}, trunkJSON{}, http.StatusCreated, s.adminSaveTrunk)
	r(http.MethodPatch, "/admin/trunks/:id", "Change a trunk (an empty password keeps the stored one)", "trunk", "trunks", crm.TrunkInput{}, trunkJSON{}, 0, s.adminSaveTrunk)
	r(http.MethodPost, "/admin/trunks/:id/test", "Ask FreeSWITCH for the trunk's gateway status", "trunk", "trunks.read", nil, gatewayTestJSON{}, 0, s.adminTestTrunk)
	r(http.MethodGet, "/admin/trunks/:id/assignments", "Tenants allowed to call over a trunk", "trunk", "trunks.read", nil, listJSON[assignmentJSON]{}, 0, s.adminTrunkAssignments)
	r(http.MethodPost, "/admin/trunks/:id/assignments", "Assign a trunk to a tenant", "trunk", "trunks", assignRequest{}, listJSON[assignmentJSON]{}, 0, s.adminAssignTrunk)
	r(http.MethodPost, "/admin/trunks/:id/unassign", "Take a trunk away from a tenant", "trunk", "trunks", unassignRequest{}, listJSON[assignmentJSON]{}, 0, s.adminUnassignTrunk)

	r(http.MethodGet, "/admin/caller-ids", "List caller IDs with their 7-day answer rate", "", "trunks.read", nil, listJSON[callerIDJSON]{}, 0, s.adminListCallerIDs,
		QueryParam{"trunk_id", "integer", "only this trunk's numbers"}, QueryParam{"tenant_id", "integer", "only this tenant's numbers"})
	r(http.MethodPost, "/admin/caller-ids", "Add a caller ID on a trunk", "", "trunks", crm.CallerIDInput{}, callerIDJSON{}, http.StatusCreated, s.adminCreateCallerID)
	r(http.MethodPatch, "/admin/caller-ids/:id", "Assign, enable or flag a caller ID", "caller_id", "trunks", crm.CallerIDPatch{}, callerIDJSON{}, 0, s.adminUpdateCallerID)
}

func (s *Server) adminListNodes(c *gin.Context) {
	rows, err := s.deps.CRM.ListNodes(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := listJSON[nodeJSON]{Items: make([]nodeJSON, len(rows))}
	for i := range rows {
		out.Items[i] = toNode(&rows[i])
	}
	c.JSON(http.StatusOK, out)
}

// optionalID reads :id when the route has one (create routes have none).
func optionalID(c *gin.Context) (uint64, error) {
	if c.Param("id") == "" {
		return 0, nil
	}
	return pathID(c, "id")
}

func (s *Server) adminSaveNode(c *gin.Context) {
	id, err := optionalID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var in crm.NodeInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	n, err := s.deps.CRM.SaveNode(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, toNode(n))
}

func (s *Server) adminNodeState(state string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err != nil {
			fail(c, err)
			return
		}
		n, err := s.deps.CRM.SetNodeState(c.Request.Context(), id, state)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, toNode(n))
	}
}

func (s *Server) adminNodeHealth(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.CRM.GetNode(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	if s.deps.Switch == nil {
		c.JSON(http.StatusOK, nodeHealthJSON{Available: false})
		return
	}
	h, err := s.deps.Switch.NodeHealth(c.Request.Context(), id)
	if err != nil {
		c.JSON(http.StatusOK, nodeHealthJSON{Available: true, Error: err.Error()})
		return
	}
	c.JSON(http.StatusOK, nodeHealthJSON{Available: true, Connected: h.Connected, Health: &h})
}

func (s *Server) adminListTrunks(c *gin.Context) {
	rows, err := s.deps.CRM.ListTrunks(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := listJSON[trunkJSON]{Items: make([]trunkJSON, len(rows))}
	for i := range rows {
		j := toTrunk(&rows[i].Trunk)
		j.Stats, j.Tenants = &rows[i].Stats, rows[i].Tenants
		out.Items[i] = j
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminSaveTrunk(c *gin.Context) {
	id, err := optionalID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var in crm.TrunkInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.CRM.SaveTrunk(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	s.trunksChanged(c.Request.Context(), t.ID, t.Enabled)
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, toTrunk(t))
}

// trunkNotifier is implemented by call control: FreeSWITCH re-reads its
// gateways (sofia profile external rescan) and drops disabled ones.
type trunkNotifier interface {
	TrunksChanged(ctx context.Context, removed ...uint64) error
}

func (s *Server) trunksChanged(ctx context.Context, id uint64, enabled bool) {
	tn, ok := s.deps.Switch.(trunkNotifier)
	if !ok {
		return
	}
	var removed []uint64
	if !enabled {
		removed = []uint64{id}
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		if err := tn.TrunksChanged(ctx, removed...); err != nil {
			s.deps.Log.Warn("tell FreeSWITCH the trunks changed", "trunk", id, "err", err)
		}
	}()
}

func (s *Server) adminTestTrunk(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.CRM.GetTrunk(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	if s.deps.Switch == nil {
		c.JSON(http.StatusOK, gatewayTestJSON{Available: false})
		return
	}
	st, err := s.deps.Switch.TestGateway(c.Request.Context(), id)
	if err != nil {
		c.JSON(http.StatusOK, gatewayTestJSON{Available: true, Error: err.Error()})
		return
	}
	c.JSON(http.StatusOK, gatewayTestJSON{Available: true, Status: &st})
}

func (s *Server) trunkAssignments(c *gin.Context, trunkID uint64) {
	var rows []store.TrunkAssignment
	if err := s.deps.DB.With(store.AsPlatform(c.Request.Context())).Where("trunk_id = ?", trunkID).Order("tenant_id").Find(&rows).Error; err != nil {
		fail(c, err)
		return
	}
	out := listJSON[assignmentJSON]{Items: make([]assignmentJSON, len(rows))}
	for i, r := range rows {
		out.Items[i] = assignmentJSON{TenantID: r.TenantID, MaxConcurrent: r.MaxConcurrent}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminTrunkAssignments(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.CRM.GetTrunk(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	s.trunkAssignments(c, id)
}

func (s *Server) adminAssignTrunk(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in assignRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.CRM.AssignTrunk(c.Request.Context(), id, in.TenantID, in.MaxConcurrent); err != nil {
		fail(c, err)
		return
	}
	s.trunkAssignments(c, id)
}

func (s *Server) adminUnassignTrunk(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in unassignRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.CRM.UnassignTrunk(c.Request.Context(), id, in.TenantID); err != nil {
		fail(c, err)
		return
	}
	s.trunkAssignments(c, id)
}

func adminQueryID(c *gin.Context, name string, fields map[string]string) uint64 {
	v := c.Query(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		fields[name] = "must be a positive integer id"
	}
	return n
}

func (s *Server) adminListCallerIDs(c *gin.Context) {
	fields := map[string]string{}
	trunkID, tenantID := adminQueryID(c, "trunk_id", fields), adminQueryID(c, "tenant_id", fields)
	if len(fields) > 0 {
		fail(c, validation(fields))
		return
	}
	rows, err := s.deps.CRM.ListCallerIDs(c.Request.Context(), trunkID, tenantID)
	if err != nil {
		fail(c, err)
		return
	}
	out := listJSON[callerIDJSON]{Items: make([]callerIDJSON, len(rows))}
	for i := range rows {
		j := toCallerID(&rows[i].CallerIDNumber)
		j.Calls7d, j.AnswerRate7d = rows[i].Calls7d, rows[i].AnswerRate7d
		out.Items[i] = j
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminCreateCallerID(c *gin.Context) {
	var in crm.CallerIDInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	n, err := s.deps.CRM.CreateCallerID(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCallerID(n))
}

func (s *Server) adminUpdateCallerID(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in crm.CallerIDPatch
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	n, err := s.deps.CRM.UpdateCallerID(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCallerID(n))
}
