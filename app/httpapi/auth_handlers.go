package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/tenant"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type tenantSession struct {
	User      userJSON   `json:"user"`
	Tenant    tenantJSON `json:"tenant"`
	CSRFToken string     `json:"csrf_token"`
}

type staffSession struct {
	Staff     staffJSON `json:"staff"`
	CSRFToken string    `json:"csrf_token"`
}

type signupResponse struct {
	Tenant tenantJSON `json:"tenant"`
	User   userJSON   `json:"user"`
}

func (s *Server) registerAuth() {
	signupLimit := s.rateLimit("signup", 2*time.Minute, 5)
	loginLimit := s.rateLimit("login", 6*time.Second, 10)
	s.add(Route{Method: http.MethodPost, Path: "/auth/signup", Tag: "auth", Summary: "Sign up a company: creates a pending tenant and its owner",
		Request: tenant.SignupInput{}, Response: signupResponse{}, Status: http.StatusCreated,
		Handler: chain(signupLimit, s.signup)})
	s.add(Route{Method: http.MethodPost, Path: "/auth/login", Tag: "auth", Summary: "Log in to the tenant console",
		Request: loginRequest{}, Response: tenantSession{}, Handler: chain(loginLimit, s.login)})
	s.add(Route{Method: http.MethodPost, Path: "/auth/logout", Tag: "auth", Summary: "Log out of the tenant console",
		Auth: AuthTenant, Status: http.StatusNoContent, Handler: s.logout(tenantCookie)})
	s.add(Route{Method: http.MethodGet, Path: "/auth/me", Tag: "auth", Summary: "The logged-in tenant user",
		Auth: AuthTenant, Response: tenantSession{}, Handler: s.me})
	s.add(Route{Method: http.MethodPost, Path: "/admin/auth/login", Tag: "admin-auth", Summary: "Log in to the operator back office",
		Request: loginRequest{}, Response: staffSession{}, Handler: chain(loginLimit, s.staffLogin)})
	s.add(Route{Method: http.MethodPost, Path: "/admin/auth/logout", Tag: "admin-auth", Summary: "Log out of the back office",
		Auth: AuthStaff, Status: http.StatusNoContent, Handler: s.logout(staffCookie)})
	s.add(Route{Method: http.MethodGet, Path: "/admin/auth/me", Tag: "admin-auth", Summary: "The logged-in staff member",
		Auth: AuthStaff, Response: staffSession{}, Handler: s.staffMe})
}

// chain runs middleware before a handler inside one route entry.
func chain(mw gin.HandlerFunc, h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		mw(c)
		if !c.IsAborted() {
			h(c)
		}
	}
}

func (s *Server) signup(c *gin.Context) {
	var in tenant.SignupInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, u, err := s.deps.Accounts.Signup(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, signupResponse{Tenant: toTenant(t), User: toUser(u)})
}

func (s *Server) login(c *gin.Context) {
	var in loginRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	res, err := s.deps.Accounts.Login(c.Request.Context(), in.Email, in.Password)
	if err != nil {
		fail(c, err)
		return
	}
	s.setSessionCookie(c, tenantCookie, res.Token, 0)
	c.JSON(http.StatusOK, tenantSession{User: toUser(res.User), Tenant: toTenant(res.Tenant), CSRFToken: res.Session.CSRFToken})
}

func (s *Server) staffLogin(c *gin.Context) {
	var in loginRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	res, err := s.deps.Accounts.StaffLogin(c.Request.Context(), in.Email, in.Password)
	if err != nil {
		fail(c, err)
		return
	}
	s.setSessionCookie(c, staffCookie, res.Token, 0)
	c.JSON(http.StatusOK, staffSession{Staff: toStaff(res.Staff), CSRFToken: res.Session.CSRFToken})
}

func (s *Server) logout(cookie string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.deps.Accounts.Logout(c.Request.Context(), principal(c)); err != nil {
			fail(c, err)
			return
		}
		s.setSessionCookie(c, cookie, "", -1)
		c.Status(http.StatusNoContent)
	}
}

func (s *Server) me(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	t, err := s.deps.Accounts.OwnTenant(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	out := tenantSession{Tenant: toTenant(t), CSRFToken: p.CSRFToken}
	if p.Kind == tenant.ActorUser {
		u, err := s.deps.Accounts.GetUser(ctx, p.ID)
		if err != nil {
			fail(c, err)
			return
		}
		out.User = toUser(u)
	} else {
		out.User = userJSON{Name: p.Name, Role: p.Role}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) staffMe(c *gin.Context) {
	p := principal(c)
	st, err := s.deps.Accounts.GetStaff(c.Request.Context(), p.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, staffSession{Staff: toStaff(st), CSRFToken: p.CSRFToken})
}
