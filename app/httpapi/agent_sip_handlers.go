package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// registerAgentSIP adds the logged-in user's SIP seat: the extension and
// password their phone registers with (FreeSWITCH learns them from
// waihu's directory over mod_xml_curl). Agents and up; a viewer takes no
// calls.
func (s *Server) registerAgentSIP() {
	if s.deps.CallControl == nil {
		return
	}
	s.add(Route{Method: http.MethodGet, Path: "/me/sip-account", Tag: "users", Summary: "My SIP seat (extension and password), 404 until created",
		Auth: AuthTenant, MinRole: store.RoleAgent, Response: callctl.AgentSIPAccount{}, Handler: s.getAgentSIP})
	s.add(Route{Method: http.MethodPost, Path: "/me/sip-account/reset", Tag: "users", Summary: "Create my SIP seat or give it a new password",
		Auth: AuthTenant, MinRole: store.RoleAgent, Response: callctl.AgentSIPAccount{}, Handler: s.resetAgentSIP})
	s.add(Route{Method: http.MethodPost, Path: "/users/:id/sip-account/reset", Tag: "users",
		Summary: "Create a sub-account's SIP seat or give it a new password (admins, for an agent who lost theirs)",
		Auth:    AuthTenant, MinRole: store.RoleAdmin, Resource: "user", Response: callctl.AgentSIPAccount{}, Handler: s.resetUserSIP})
}

// sipUser is the user the request acts for: only a logged-in person has a
// seat (an API key is no one's phone).
func sipUser(c *gin.Context) (uint64, error) {
	p, ok := tenant.PrincipalFrom(c.Request.Context())
	if !ok || p.Kind != tenant.ActorUser || p.SupportView {
		return 0, apperr.ErrForbidden
	}
	return p.ID, nil
}

func (s *Server) getAgentSIP(c *gin.Context) {
	id, err := sipUser(c)
	if err != nil {
		fail(c, err)
		return
	}
	acc, err := s.deps.CallControl.AgentSIP(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, acc)
}

func (s *Server) resetAgentSIP(c *gin.Context) {
	id, err := sipUser(c)
	if err != nil {
		fail(c, err)
		return
	}
	acc, err := s.deps.CallControl.ResetAgentSIP(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, acc)
}

// resetUserSIP is an admin resetting a sub-account's seat: the agent's
// phone stops registering until it gets the new password, which the admin
// sees here (and the agent on their own 坐席 page). Audited.
func (s *Server) resetUserSIP(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := s.deps.Accounts.GetUser(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	if u.Role == store.RoleViewer {
		fail(c, apperr.Invalid("id", "a viewer takes no calls and has no SIP seat"))
		return
	}
	acc, err := s.deps.CallControl.ResetAgentSIP(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Accounts.Audit(ctx, tenant.Entry{TenantID: u.TenantID, Action: "user.sip_reset",
		Target: "user:" + strconv.FormatUint(id, 10), Detail: map[string]string{"ext": acc.Ext}}); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, acc)
}
