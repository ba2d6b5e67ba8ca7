// Package site serves the public website: server-rendered pages from
// embedded templates and one small stylesheet, with no JavaScript at all.
// Visits are counted on the server as pages are rendered (first-party,
// anonymous, honouring Do Not Track), so no analytics script is needed.
package site

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/site.css
var siteCSS []byte

// Plan is a public price plan as the pricing page shows it.
type Plan struct {
	Name         string
	Description  string
	PerMinuteFen int64
	MonthlyFen   int64
	Lines        int
	Features     []string
}

// PlanLister lists the operator's public price plans (billing implements it).
type PlanLister interface {
	PublicPlans(ctx context.Context, lang string) ([]Plan, error)
}

// PlanFunc adapts a function to PlanLister (the wiring in cmd/waihu maps
// billing's active price plans with it).
type PlanFunc func(ctx context.Context, lang string) ([]Plan, error)

// PublicPlans calls f.
func (f PlanFunc) PublicPlans(ctx context.Context, lang string) ([]Plan, error) { return f(ctx, lang) }

// Options configure the website.
type Options struct {
	CRM   *crm.Service
	DB    *store.DB
	Plans PlanLister // nil: the pricing page says plans are coming
	Log   *slog.Logger
	// DataDir holds the synthesized audio sample (site/sample.wav).
	DataDir string
	// NoRateLimit turns the contact form's per-address limit off (tests).
	NoRateLimit bool
}

// Site is the website handler.
type Site struct {
	opt        Options
	pages      map[string]*template.Template
	secret     []byte
	cssVersion string

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

var pageNames = []string{"home", "product", "solutions", "cases", "pricing", "help", "doc", "about", "contact", "notfound"}

// Solutions are the scenario slugs, in page order.
var Solutions = []string{"screening", "collections", "notify", "satisfaction", "verify"}

// New builds the website. The form secret is kept in the settings table so
// every process of a deployment accepts the others' form tokens.
func New(ctx context.Context, opt Options) (*Site, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret, err := store.SettingOrInit(store.AsPlatform(ctx), opt.DB, "site_form_secret", hex.EncodeToString(b))
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"yuan": func(fen int64) string { return strconv.FormatFloat(float64(fen)/100, 'f', -1, 64) }}
	s := &Site{opt: opt, pages: map[string]*template.Template{}, secret: []byte(secret), limiters: map[string]*rate.Limiter{}}
	sum := sha256.Sum256(siteCSS)
	s.cssVersion = hex.EncodeToString(sum[:4])
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse site template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	if err := opt.CRM.EnsureDefaultDocs(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// SynthesizeSample writes the product page's audio sample with espeak-ng
// when it is installed and the sample does not exist yet. It is generated
// on the machine rather than committed, to keep the repository small.
func (s *Site) SynthesizeSample(ctx context.Context) {
	if s.opt.DataDir == "" || s.hasSample() {
		return
	}
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		s.opt.Log.Info("website audio sample skipped: espeak-ng not installed")
		return
	}
	dir := filepath.Join(s.opt.DataDir, "site")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return
	}
	tmp := filepath.Join(dir, "sample.tmp.wav")
	text := "您好，我是waihu智能客服。请问您最近有了解在线课程的打算吗？好的，稍后我们的顾问会加您微信，祝您生活愉快，再见。"
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, bin, "-v", "cmn", "-s", "150", "-w", tmp, text).CombinedOutput(); err != nil {
		s.opt.Log.Warn("website audio sample failed", "err", err, "output", string(out))
		return
	}
	_ = os.Rename(tmp, filepath.Join(dir, "sample.wav"))
}

func (s *Site) samplePath() string { return filepath.Join(s.opt.DataDir, "site", "sample.wav") }

func (s *Site) hasSample() bool {
	if s.opt.DataDir == "" {
		return false
	}
	st, err := os.Stat(s.samplePath())
	return err == nil && st.Size() > 0
}

type navItem struct {
	Href, Label string
	Current     bool
}

type field struct {
	Name, Label, Kind, Value, Error, Auto string
	Required                              bool
	Max                                   int
}

// page is what every template sees.
type page struct {
	Lang, OtherLang, Path, Title, CSSVersion string
	LangHref                                 string // this page in the other language, query kept
	Year                                     int
	Nav                                      []navItem
	Solutions                                []string
	Sample                                   bool
	Plans                                    []Plan
	Docs                                     []store.HelpDoc
	Doc                                      *store.HelpDoc
	DocHTML                                  template.HTML
	Query                                    string
	Token                                    string
	Fields                                   []field
	FormError                                string
	Sent                                     bool
	msgs                                     map[string]string
}

// T translates a message key.
func (p *page) T(key string) string {
	if v, ok := p.msgs[key]; ok {
		return v
	}
	return key
}

var navPaths = []struct{ path, label string }{
	{"/", "nav.home"}, {"/product", "nav.product"}, {"/solutions", "nav.solutions"}, {"/cases", "nav.cases"},
	{"/pricing", "nav.pricing"}, {"/help", "nav.help"}, {"/about", "nav.about"}, {"/contact", "nav.contact"},
}

const langCookie = "waihu_lang"
const sourceCookie = "waihu_src"

// lang picks the language: ?lang= (remembered in a cookie), the cookie, zh-CN.
func (s *Site) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "zh-CN") {
		return c.Value
	}
	return "zh-CN"
}

func (s *Site) newPage(w http.ResponseWriter, r *http.Request, titleKey string) *page {
	l := s.lang(w, r)
	other := "en"
	if l == "en" {
		other = "zh-CN"
	}
	p := &page{Lang: l, OtherLang: other, Path: r.URL.Path, CSSVersion: s.cssVersion, Year: time.Now().Year(), Solutions: Solutions, msgs: messages[l]}
	p.Title = p.T(titleKey)
	q := r.URL.Query()
	q.Del("sent")
	q.Set("lang", other)
	p.LangHref = r.URL.Path + "?" + q.Encode()
	for _, n := range navPaths {
		cur := r.URL.Path == n.path || (n.path != "/" && strings.HasPrefix(r.URL.Path, n.path+"/"))
		p.Nav = append(p.Nav, navItem{Href: n.path, Label: n.label, Current: cur})
	}
	return p
}

// ServeHTTP routes the website's paths.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !(r.Method == http.MethodPost && path == "/contact") {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case path == "/site.css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		// Explicit status: behind Gin's NoRoute the writer starts as a 404.
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(siteCSS)
		return
	case path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("User-agent: *\nDisallow: /console\nDisallow: /admin\nDisallow: /api\nSitemap: " + baseURL(r) + "/sitemap.xml\n"))
		return
	case path == "/sample.wav":
		if !s.hasSample() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFile(w, r, s.samplePath())
		return
	case path == "/sitemap.xml":
		s.sitemap(w, r)
		return
	case path == "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var (
		name, title string
		p           *page
		status      = http.StatusOK
	)
	switch {
	case path == "/" || path == "/index.html":
		name, title = "home", "site.tagline"
	case path == "/product":
		name, title = "product", "nav.product"
	case path == "/solutions":
		name, title = "solutions", "nav.solutions"
	case path == "/cases":
		name, title = "cases", "nav.cases"
	case path == "/pricing":
		name, title = "pricing", "nav.pricing"
	case path == "/help":
		name, title = "help", "nav.help"
	case strings.HasPrefix(path, "/help/"):
		name, title = "doc", "nav.help"
	case path == "/about":
		name, title = "about", "nav.about"
	case path == "/contact":
		name, title = "contact", "nav.contact"
	default:
		name, title, status = "notfound", "notfound.title", http.StatusNotFound
	}
	p = s.newPage(w, r, title)
	ctx := r.Context()
	switch name {
	case "product":
		p.Sample = s.hasSample()
	case "pricing":
		if s.opt.Plans != nil {
			plans, err := s.opt.Plans.PublicPlans(ctx, p.Lang)
			if err != nil {
				s.opt.Log.WarnContext(ctx, "website price plans", "err", err)
			}
			p.Plans = plans
		}
	case "help":
		p.Query = strings.TrimSpace(r.URL.Query().Get("q"))
		if len([]rune(p.Query)) > 100 {
			p.Query = string([]rune(p.Query)[:100])
		}
		docs, err := s.opt.CRM.Docs(ctx, p.Lang, p.Query, false)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		p.Docs = docs
	case "doc":
		d, err := s.opt.CRM.Doc(ctx, p.Lang, strings.TrimPrefix(path, "/help/"))
		if errors.Is(err, store.ErrNotFound) {
			name, status = "notfound", http.StatusNotFound
			p.Title = p.T("notfound.title")
			break
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		p.Doc, p.DocHTML, p.Title = d, Markdown(d.Body), d.Title
	case "contact":
		if r.Method == http.MethodPost {
			s.contactPost(w, r, p)
			return
		}
		p.Sent = r.URL.Query().Get("sent") == "1"
		p.Token = s.formToken(time.Now())
		p.Fields = contactFields(nil, nil)
	}
	if status == http.StatusOK {
		s.track(w, r, p.Lang)
	}
	s.render(w, r, name, p, status)
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, name string, p *page, status int) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Cookie")
	// No script runs on the public pages; say so to the browser.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Site) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.opt.Log.ErrorContext(r.Context(), "website page failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func dnt(r *http.Request) bool { return r.Header.Get("DNT") == "1" || r.Header.Get("Sec-GPC") == "1" }

// prefetch reports a speculative load (link prefetch, prerender): not a view.
func prefetch(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Sec-Purpose"), "prefetch") || r.Header.Get("Purpose") == "prefetch"
}

// track counts the view and remembers where the visit came from (UTM tags,
// landing page, external referrer) in a session cookie, so a later contact
// form carries its source. The cookie holds no identifier.
func (s *Site) track(w http.ResponseWriter, r *http.Request, lang string) {
	if r.Method != http.MethodGet || prefetch(r) {
		return
	}
	h := crm.Hit{Path: r.URL.Path, IP: clientIP(r), UserAgent: r.UserAgent(), Referrer: r.Referer(), Host: r.Host, Query: r.URL.Query(), Lang: lang, DNT: dnt(r)}
	if _, err := s.opt.CRM.Track(r.Context(), h); err != nil {
		s.opt.Log.WarnContext(r.Context(), "count page view", "err", err)
	}
	if h.DNT {
		return
	}
	if _, err := r.Cookie(sourceCookie); err == nil {
		return
	}
	src := crm.SourceOf(h)
	v := url.Values{"s": {src.UTMSource}, "m": {src.UTMMedium}, "c": {src.UTMCampaign}, "l": {src.Landing}, "r": {src.Referrer}}
	http.SetCookie(w, &http.Cookie{Name: sourceCookie, Value: v.Encode(), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func sourceFrom(r *http.Request) crm.Source {
	c, err := r.Cookie(sourceCookie)
	if err != nil {
		return crm.Source{}
	}
	v, err := url.ParseQuery(c.Value)
	if err != nil {
		return crm.Source{}
	}
	return crm.Source{UTMSource: v.Get("s"), UTMMedium: v.Get("m"), UTMCampaign: v.Get("c"), Landing: v.Get("l"), Referrer: v.Get("r")}
}

// formToken is a signed timestamp: the contact form accepts a token it
// issued within the last two hours. Together with the Origin check and the
// SameSite session cookies this makes cross-site posting useless.
func (s *Site) formToken(now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("contact|" + ts))
	return ts + "." + hex.EncodeToString(m.Sum(nil))
}

func (s *Site) tokenValid(tok string, now time.Time) bool {
	ts, _, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	issued := time.Unix(n, 0)
	if now.Sub(issued) > 2*time.Hour || issued.After(now.Add(time.Minute)) {
		return false
	}
	return hmac.Equal([]byte(s.formToken(issued)), []byte(tok))
}

func (s *Site) allow(ip string) bool {
	if s.opt.NoRateLimit {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.limiters) > 10000 {
		s.limiters = map[string]*rate.Limiter{}
	}
	l, ok := s.limiters[ip]
	if !ok {
		// Five forms, then one every ten minutes per address.
		l = rate.NewLimiter(rate.Every(10*time.Minute), 5)
		s.limiters[ip] = l
	}
	return l.Allow()
}

var contactFieldSpecs = []field{
	{Name: "company", Label: "contact.company", Kind: "text", Auto: "organization", Required: true, Max: 128},
	{Name: "contact_name", Label: "contact.name", Kind: "text", Auto: "name", Required: true, Max: 64},
	{Name: "phone", Label: "contact.phone", Kind: "tel", Auto: "tel", Required: true, Max: 32},
	{Name: "email", Label: "contact.email", Kind: "email", Auto: "email", Max: 191},
	{Name: "message", Label: "contact.message", Kind: "textarea", Max: 2000},
}

func contactFields(values url.Values, errs map[string]string) []field {
	out := make([]field, len(contactFieldSpecs))
	for i, f := range contactFieldSpecs {
		f.Value = values.Get(f.Name)
		if _, bad := errs[f.Name]; bad {
			f.Error = "err." + f.Name
		}
		out[i] = f
	}
	return out
}

func (s *Site) contactPost(w http.ResponseWriter, r *http.Request, p *page) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	now := time.Now()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	// A browser always sends Origin on a cross-site POST; it must be us.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
			http.Error(w, "cross-site form post refused", http.StatusForbidden)
			return
		}
	}
	form := r.PostForm
	p.Token = s.formToken(now)
	if !s.tokenValid(form.Get("token"), now) {
		p.FormError, p.Fields = "contact.expired", contactFields(form, nil)
		s.render(w, r, "contact", p, http.StatusForbidden)
		return
	}
	if !s.allow(clientIP(r)) {
		p.FormError, p.Fields = "contact.limited", contactFields(form, nil)
		w.Header().Set("Retry-After", "600")
		s.render(w, r, "contact", p, http.StatusTooManyRequests)
		return
	}
	// The honeypot is invisible to people; a bot that fills it is told it
	// succeeded and nothing is stored.
	if form.Get("website") != "" {
		http.Redirect(w, r, "/contact?sent=1", http.StatusSeeOther)
		return
	}
	_, err := s.opt.CRM.SubmitContact(r.Context(), crm.ContactInput{
		Company: form.Get("company"), ContactName: form.Get("contact_name"), Phone: form.Get("phone"),
		Email: form.Get("email"), Message: form.Get("message"), Source: sourceFrom(r),
	})
	var ve *apperr.ValidationError
	switch {
	case errors.As(err, &ve):
		p.FormError, p.Fields = "contact.failed", contactFields(form, ve.Fields)
		s.render(w, r, "contact", p, http.StatusUnprocessableEntity)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/contact?sent=1", http.StatusSeeOther)
}

// sitemap lists the public pages and published help documents for search engines.
func (s *Site) sitemap(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	add := func(p string) {
		b.WriteString("<url><loc>")
		_ = xml.EscapeText(&b, []byte(base+p))
		b.WriteString("</loc></url>\n")
	}
	for _, n := range navPaths {
		add(n.path)
	}
	docs, err := s.opt.CRM.Docs(r.Context(), "", "", false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	seen := map[string]bool{}
	for _, d := range docs {
		if !seen[d.Slug] {
			seen[d.Slug] = true
			add("/help/" + d.Slug)
		}
	}
	b.WriteString("</urlset>\n")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

// baseURL is the site's own origin as the request reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
