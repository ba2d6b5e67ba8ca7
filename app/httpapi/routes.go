package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Auth says who may call a route.
type Auth int

const (
	// AuthNone: anyone (login, sign-up, public forms).
	AuthNone Auth = iota
	// AuthTenant: a tenant user's session or a tenant API key; the request's
	// store context is scoped to that tenant.
	AuthTenant
	// AuthStaff: an operator staff session.
	AuthStaff
	// AuthFS: a FreeSWITCH node (shared secret and address allow-list).
	AuthFS
)

// Route describes one endpoint for the router and for the OpenAPI document,
// so the two are built from the same table and cannot drift apart.
type Route struct {
	Method  string
	Path    string // gin syntax under /api/v1, e.g. /users/:id
	Summary string
	Tag     string
	Auth    Auth
	// MinRole is the least tenant role allowed (AuthTenant); empty = viewer.
	MinRole string
	// Area is the back-office area the staff role must have (AuthStaff).
	Area string
	// Resource names what the :id parameter identifies (user, api_key…); the
	// tenant-isolation test uses it to aim tenant B at tenant A's object.
	Resource string
	Request  any // zero value of the JSON body type, or nil
	Response any // zero value of the JSON response type, or nil
	Status   int // success status; 200 when zero
	Query    []QueryParam
	// MaxBody raises the request body limit for this route (file uploads);
	// zero keeps the server's default.
	MaxBody int64
	Handler gin.HandlerFunc
}

// QueryParam documents a query-string parameter.
type QueryParam struct {
	Name, Type, Description string
}

var pageParams = []QueryParam{
	{"limit", "integer", "page size, 1 to 200 (default 50)"},
	{"cursor", "string", "next_cursor of the previous page"},
}

func (s *Server) add(r Route) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	handlers := []gin.HandlerFunc{}
	switch r.Auth {
	case AuthTenant:
		handlers = append(handlers, s.requireTenant(r.MinRole))
	case AuthStaff:
		handlers = append(handlers, s.requireStaff(r.Area))
	case AuthFS:
		handlers = append(handlers, s.requireFS())
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && (r.Auth == AuthTenant || r.Auth == AuthStaff) {
		handlers = append(handlers, s.requireCSRF())
	}
	handlers = append(handlers, r.Handler)
	if r.MaxBody > 0 {
		s.bodyMax[r.Method+" "+apiBase+r.Path] = r.MaxBody
	}
	s.api.Handle(r.Method, r.Path, handlers...)
	s.routes = append(s.routes, r)
}

// Routes lists the API routes with their metadata (for the OpenAPI document and tests).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// openAPIPath turns /users/:id into /api/v1/users/{id}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") || strings.HasPrefix(part, "*") {
			parts[i] = "{" + part[1:] + "}"
		}
	}
	return apiBase + strings.Join(parts, "/")
}
