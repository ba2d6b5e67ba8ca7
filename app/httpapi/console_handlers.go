package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

type dashboardJSON struct {
	Tenant tenantJSON `json:"tenant"`
	Cards  []card     `json:"cards"`
}

// card is one dashboard tile; later issues (campaigns, billing) add cards.
type card struct {
	Key   string `json:"key"`
	Value int64  `json:"value"`
	Unit  string `json:"unit"`
}

type createAPIKeyRequest struct {
	Name string `json:"name"`
}

type createdAPIKey struct {
	APIKey apiKeyJSON `json:"api_key"`
	Secret string     `json:"secret"`
}

func (s *Server) registerConsole() {
	s.add(Route{Method: http.MethodGet, Path: "/dashboard", Tag: "console", Summary: "Console dashboard", Auth: AuthTenant,
		Response: dashboardJSON{}, Handler: s.dashboard})
	s.add(Route{Method: http.MethodGet, Path: "/users", Tag: "users", Summary: "List sub-accounts", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Query: pageParams, Response: listOf[userJSON]{}, Handler: s.listUsers})
	s.add(Route{Method: http.MethodPost, Path: "/users", Tag: "users", Summary: "Create a sub-account", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Request: tenant.NewUser{}, Response: userJSON{}, Status: http.StatusCreated, Handler: s.createUser})
	s.add(Route{Method: http.MethodPatch, Path: "/users/:id", Tag: "users", Summary: "Change a sub-account's name, role or disabled flag",
		Auth: AuthTenant, MinRole: store.RoleAdmin, Resource: "user", Request: tenant.UserPatch{}, Response: userJSON{}, Handler: s.updateUser})
	s.add(Route{Method: http.MethodGet, Path: "/api-keys", Tag: "api-keys", Summary: "List API keys", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Query: pageParams, Response: listOf[apiKeyJSON]{}, Handler: s.listAPIKeys})
	s.add(Route{Method: http.MethodPost, Path: "/api-keys", Tag: "api-keys", Summary: "Create an API key (the secret is returned once)",
		Auth: AuthTenant, MinRole: store.RoleAdmin, Request: createAPIKeyRequest{}, Response: createdAPIKey{}, Status: http.StatusCreated, Handler: s.createAPIKey})
	s.add(Route{Method: http.MethodDelete, Path: "/api-keys/:id", Tag: "api-keys", Summary: "Revoke an API key",
		Auth: AuthTenant, MinRole: store.RoleAdmin, Resource: "api_key", Status: http.StatusNoContent, Handler: s.revokeAPIKey})
	s.add(Route{Method: http.MethodGet, Path: "/notifications", Tag: "console", Summary: "In-console notices", Auth: AuthTenant,
		Query: append([]QueryParam{{"unread", "boolean", "only unread notices"}}, pageParams...), Response: listOf[notificationJSON]{}, Handler: s.listNotifications})
	s.add(Route{Method: http.MethodPost, Path: "/notifications/:id/read", Tag: "console", Summary: "Mark a notice read", Auth: AuthTenant,
		Resource: "notification", Status: http.StatusNoContent, Handler: s.readNotification})
}

func (s *Server) dashboard(c *gin.Context) {
	t, err := s.deps.Accounts.OwnTenant(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, dashboardJSON{Tenant: toTenant(t), Cards: []card{}})
}

func (s *Server) listUsers(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Accounts.ListUsers(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toUser))
}

func (s *Server) createUser(c *gin.Context) {
	var in tenant.NewUser
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	u, err := s.deps.Accounts.CreateUser(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toUser(u))
}

func (s *Server) updateUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	// Look the user up before reading the body, so another tenant's id is a
	// 404 whatever the body says.
	if _, err := s.deps.Accounts.GetUser(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	var in tenant.UserPatch
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	u, err := s.deps.Accounts.UpdateUser(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUser(u))
}

func (s *Server) listAPIKeys(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Accounts.ListAPIKeys(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toAPIKey))
}

func (s *Server) createAPIKey(c *gin.Context) {
	var in createAPIKeyRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	k, secret, err := s.deps.Accounts.CreateAPIKey(c.Request.Context(), in.Name)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdAPIKey{APIKey: toAPIKey(k), Secret: secret})
}

func (s *Server) revokeAPIKey(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Accounts.RevokeAPIKey(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listNotifications(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	unread, err := boolQuery(c, "unread")
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Accounts.ListNotifications(c.Request.Context(), unread, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toNotification))
}

func (s *Server) readNotification(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Accounts.MarkNotificationRead(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func boolQuery(c *gin.Context, name string) (bool, error) {
	switch c.Query(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{name: "must be a boolean"}}
}
