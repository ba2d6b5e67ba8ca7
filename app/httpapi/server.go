// Package httpapi is waihu's HTTP surface: the Gin router, its middleware
// (request IDs, logs, limits, authentication, CSRF, tenant scoping), the
// JSON API under /api/v1, the OpenAPI description, health and metrics. It
// is thin: handlers bind input, call a domain service and render.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/recordings"
	"github.com/waihu/waihu/app/speech/speechdb"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

const apiBase = "/api/v1"

// Deps are the services the HTTP layer calls.
type Deps struct {
	Config   *config.Config
	DB       *store.DB
	Accounts *tenant.Service
	Scripts  *scriptstore.Service
	Billing  *billing.Service
	Log      *slog.Logger
	Registry *prometheus.Registry
	Version  string
	// SPA serves the console and back office (/console, /admin, /assets).
	SPA http.Handler
	// Public serves the public website (/ and its pages).
	Public http.Handler
	// CRM is the operator's CRM, website analytics and platform statistics.
	CRM *crm.Service
	// Switch answers live node health and gateway tests; nil until call
	// control provides it (the back office then shows "not connected").
	Switch SwitchOps
	// ReadyChecks must all pass for /readyz (database, Redis, …).
	ReadyChecks map[string]func(context.Context) error
	// CallControl answers FreeSWITCH's xml_curl and CDR posts (nil: those
	// endpoints are not served).
	CallControl *callctl.Service
	// Announcements are the carrier announcement references (fingerprint
	// layer of early-media classification; nil: routes not served).
	Announcements *callctl.Announcements
	// Recordings signs playback URLs of recordings uploaded to S3 (nil:
	// recordings are only on local disk).
	Recordings *recordings.Service
	// Prompts serves the TTS cache's files to FreeSWITCH (mod_http_cache).
	Prompts http.Handler
	// AudioStreams accepts mod_audio_stream's WebSockets at /fs/audio/<uuid>
	// (each authenticated by its call's token; not part of the JSON API).
	AudioStreams http.Handler
	// Campaigns serves lists, DNC, campaigns, results and webhooks (nil: none).
	Campaigns *campaign.Service
	// Speech is the script editor's voice picker and preview (nil: not served).
	Speech *speechdb.Console
	// ListenMode says how calls of a tenant's script hear the callee:
	// ListenStream, or ListenUtterance when its recognizer cannot stream
	// (nil: streaming assumed). Utterance mode cannot barge in, so the
	// script editor warns about interruptible lines.
	ListenMode func(tenantID, scriptID uint64) string
	// NoRateLimits turns the per-IP limits off (tests that send many requests).
	NoRateLimits bool
}

// Server is the configured router.
type Server struct {
	deps    Deps
	engine  *gin.Engine
	api     *gin.RouterGroup
	routes  []Route
	version string
	limits  *limiters
	metrics *httpMetrics
	bodyMax map[string]int64 // "METHOD /api/v1/path" -> body limit
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the router with every route registered.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Config == nil {
		d.Config = &config.Config{MaxBodyBytes: 1 << 20, SecureCookies: "auto", SessionTTL: 12 * time.Hour}
	}
	s := &Server{deps: d, engine: gin.New(), version: d.Version, limits: newLimiters(), metrics: newHTTPMetrics(d.Registry), bodyMax: map[string]int64{}}
	e := s.engine
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	_ = e.SetTrustedProxies(nil)
	e.Use(s.requestContext(), s.recovery(), s.accessLog(), securityHeaders())

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.version}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))
	e.GET("/api/openapi.json", s.serveOpenAPI)

	if d.SPA != nil {
		spa := gin.WrapH(d.SPA)
		for _, p := range []string{"/console", "/console/*path", "/admin", "/admin/*path", "/assets/*path"} {
			e.GET(p, spa)
			e.HEAD(p, spa)
		}
	}
	if d.AudioStreams != nil {
		e.GET("/fs/audio/:uuid", gin.WrapH(d.AudioStreams))
	}
	s.api = e.Group(apiBase, s.bodyLimit(d.Config.MaxBodyBytes))
	s.registerAuth()
	s.registerConsole()
	s.registerDialog()
	s.registerSpeech()
	s.registerBilling()
	s.registerCampaign()
	s.registerAdmin()
	s.registerFS()
	s.registerAgentSIP()
	s.registerCRM()
	s.registerCallctlAdmin()
	s.registerAnnouncements()

	e.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{errorDetail{Code: "method_not_allowed", Message: "method not allowed"}})
	})
	e.NoRoute(s.noRoute)
	return s
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine exposes the Gin engine (tests walk its routes).
func (s *Server) Engine() *gin.Engine { return s.engine }

func (s *Server) noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/"):
		c.AbortWithStatusJSON(http.StatusNotFound, errorBody{errorDetail{Code: "not_found", Message: message(locale(c), "not_found")}})
	case s.deps.Public != nil:
		s.deps.Public.ServeHTTP(c.Writer, c.Request)
	default:
		c.String(http.StatusNotFound, "404 not found")
	}
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if s.deps.DB != nil {
		checks["database"] = "ok"
		if err := s.deps.DB.Ping(ctx); err != nil {
			checks["database"], ok = err.Error(), false
		}
	}
	for name, check := range s.deps.ReadyChecks {
		checks[name] = "ok"
		if err := check(ctx); err != nil {
			checks[name], ok = err.Error(), false
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}
