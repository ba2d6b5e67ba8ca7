package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

const (
	tenantCookie = "waihu_session"
	staffCookie  = "waihu_admin_session"
	csrfHeader   = "X-CSRF-Token"
)

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestContext assigns the request ID and puts request metadata in the context.
func (s *Server) requestContext() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Header("X-Request-ID", id)
		c.Set("request_id", id)
		ctx := tenant.WithRequest(c.Request.Context(), tenant.Request{IP: c.ClientIP(), UserAgent: c.Request.UserAgent(), RequestID: id})
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				s.deps.Log.ErrorContext(c.Request.Context(), "panic in handler", "panic", r, "route", c.FullPath(),
					"request_id", c.GetString("request_id"), "stack", string(debug.Stack()))
				fail(c, errors.New("panic"))
			}
		}()
		c.Next()
	}
}

type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "waihu_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route", "status"})}
	if err := reg.Register(m.duration); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
		}
	}
	return m
}

// accessLog writes one structured line per request and records its latency.
// The log handler masks phone numbers wherever they appear (paths, queries).
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		elapsed := time.Since(start)
		s.metrics.duration.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())
		if c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/metrics" {
			return
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.deps.Log.Log(c.Request.Context(), level, "http request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"query", c.Request.URL.RawQuery, "status", status, "ms", elapsed.Milliseconds(), "bytes", c.Writer.Size(),
			"ip", c.ClientIP(), "request_id", c.GetString("request_id"))
	}
}

func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		c.Next()
	}
}

func (s *Server) bodyLimit(def int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := def
		if m, ok := s.bodyMax[c.Request.Method+" "+c.FullPath()]; ok {
			n = m
		}
		if c.Request.ContentLength > n {
			fail(c, &http.MaxBytesError{Limit: n})
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// principal returns the authenticated principal set by the auth middleware.
func principal(c *gin.Context) *tenant.Principal {
	p, _ := tenant.PrincipalFrom(c.Request.Context())
	return p
}

func (s *Server) setPrincipal(c *gin.Context, p *tenant.Principal) {
	c.Request = c.Request.WithContext(tenant.WithPrincipal(c.Request.Context(), p))
}

// requireTenant authenticates a tenant user (session cookie) or API key
// (Bearer) and scopes the request's store context to that tenant.
func (s *Server) requireTenant(minRole string) gin.HandlerFunc {
	if minRole == "" {
		minRole = store.RoleViewer
	}
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		var (
			p   *tenant.Principal
			err error
		)
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				fail(c, apperr.ErrUnauthorized)
				return
			}
			p, err = s.deps.Accounts.AuthenticateAPIKey(ctx, strings.TrimSpace(secret))
		} else {
			token, _ := c.Cookie(tenantCookie)
			p, err = s.deps.Accounts.Authenticate(ctx, store.SessionTenant, token)
		}
		if err != nil {
			fail(c, err)
			return
		}
		if !tenant.AtLeast(p.Role, minRole) {
			fail(c, apperr.ErrForbidden)
			return
		}
		// A support view reads only; platform tables (the tenant row) are
		// not under the store's read-only scope, so writes stop here.
		if p.SupportView && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && c.FullPath() != apiBase+"/auth/logout" {
			fail(c, store.ErrReadOnly)
			return
		}
		s.setPrincipal(c, p)
		c.Next()
	}
}

// requireStaff authenticates an operator session and checks its role may
// act in area.
func (s *Server) requireStaff(area string) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, _ := c.Cookie(staffCookie)
		p, err := s.deps.Accounts.Authenticate(c.Request.Context(), store.SessionStaff, token)
		if err != nil {
			fail(c, err)
			return
		}
		if area != "" && !tenant.StaffCan(p.Role, area) {
			fail(c, apperr.ErrForbidden)
			return
		}
		s.setPrincipal(c, p)
		c.Next()
	}
}

// requireCSRF checks the X-CSRF-Token header on cookie-authenticated writes.
// API keys are not sent by browsers automatically, so they need none.
func (s *Server) requireCSRF() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		if p == nil || p.SessionID == "" {
			c.Next()
			return
		}
		got := c.GetHeader(csrfHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRFToken)) != 1 {
			fail(c, apperr.Coded(http.StatusForbidden, "csrf_failed", "missing or wrong X-CSRF-Token"))
			return
		}
		c.Next()
	}
}

// requireFS admits FreeSWITCH nodes: an allowed source address and the
// shared secret as the HTTP basic-auth password (mod_xml_curl and
// mod_xml_cdr both support basic auth credentials in their config).
func (s *Server) requireFS() gin.HandlerFunc {
	allowed := parseNets(s.deps.Config.FSAllow)
	return func(c *gin.Context) {
		ip := net.ParseIP(c.RemoteIP())
		if ip == nil || !addrAllowed(ip, allowed) {
			fail(c, apperr.ErrForbidden)
			return
		}
		_, pass, ok := c.Request.BasicAuth()
		secret := s.deps.Config.FSSecret
		if !ok || secret == "" || subtle.ConstantTimeCompare([]byte(pass), []byte(secret)) != 1 {
			c.Header("WWW-Authenticate", `Basic realm="waihu-freeswitch"`)
			fail(c, apperr.ErrUnauthorized)
			return
		}
		c.Next()
	}
}

func parseNets(cidrs []string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range cidrs {
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func addrAllowed(ip net.IP, nets []*net.IPNet) bool {
	if len(nets) == 0 {
		return ip.IsLoopback() || ip.IsPrivate()
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// limiters hold per-client token buckets for sensitive endpoints.
type limiters struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters() *limiters { return &limiters{buckets: map[string]*bucket{}, swept: time.Now()} }

func (l *limiters) allow(key string, every time.Duration, burst int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(every), burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.Allow()
}

// rateLimit allows burst requests per client IP, refilled one per every.
func (s *Server) rateLimit(name string, every time.Duration, burst int) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.deps.NoRateLimits {
			c.Next()
			return
		}
		if !s.limits.allow(name+"|"+c.ClientIP(), every, burst) {
			e := apperr.Coded(http.StatusTooManyRequests, "rate_limited", "too many requests")
			e.RetryAfter = every
			fail(c, e)
			return
		}
		c.Next()
	}
}

// secureCookie decides the Secure flag for this request.
func (s *Server) secureCookie(c *gin.Context) bool {
	switch s.deps.Config.SecureCookies {
	case "true":
		return true
	case "false":
		return false
	}
	if c.Request.TLS != nil {
		return true
	}
	// Behind a TLS-terminating proxy on the same host or private network.
	ip := net.ParseIP(c.RemoteIP())
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate()) && strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func (s *Server) setSessionCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookie(c), SameSite: http.SameSiteLaxMode,
	})
}
