package crm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// Hit is one request for a public page, as the website sees it.
type Hit struct {
	Path      string
	IP        string
	UserAgent string
	Referrer  string // the Referer header
	Host      string // our own host, to drop internal referrers
	Query     url.Values
	Lang      string
	DNT       bool // DNT: 1 or Sec-GPC: 1
}

// Source is where a visit came from, carried to the contact form.
type Source struct {
	UTMSource, UTMMedium, UTMCampaign string
	Landing, Referrer                 string
}

const saltKeyPrefix = "analytics_salt:"

// salt returns the day's salt, creating it on first use. Every process of a
// deployment agrees on it because it lives in the settings table; yesterday's
// salt is deleted by PurgeOldSalts, after which no hash can be recomputed.
func (s *Service) salt(ctx context.Context, day string) (string, error) {
	s.saltMu.Lock()
	defer s.saltMu.Unlock()
	if v, ok := s.salts[day]; ok {
		return v, nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v, err := store.SettingOrInit(store.AsPlatform(ctx), s.db, saltKeyPrefix+day, hex.EncodeToString(b))
	if err != nil {
		return "", err
	}
	if len(s.salts) > 4 {
		s.salts = map[string]string{}
	}
	s.salts[day] = v
	return v, nil
}

// PurgeOldSalts deletes the salts of days before yesterday.
func (s *Service) PurgeOldSalts(ctx context.Context) error {
	keep := s.opt.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	return s.db.With(store.AsPlatform(ctx)).Where("`key` LIKE ? AND `key` < ?", saltKeyPrefix+"%", saltKeyPrefix+keep).
		Delete(&store.Setting{}).Error
}

// VisitorID is the day's anonymous visitor hash for an address and browser.
func (s *Service) VisitorID(ctx context.Context, ip, ua string) (string, error) {
	day := s.opt.Now().Format(time.DateOnly)
	salt, err := s.salt(ctx, day)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(salt + "|" + ip + "|" + ua))
	return hex.EncodeToString(sum[:16]), nil
}

var botMarkers = []string{"bot", "crawl", "spider", "slurp", "headless", "curl/", "wget", "python-", "go-http-client", "lighthouse"}

// IsBot is a cheap user-agent check; bots are not visitors.
func IsBot(ua string) bool {
	l := strings.ToLower(ua)
	if l == "" {
		return true
	}
	for _, m := range botMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// referrerHost keeps only the host of an external referrer.
func referrerHost(ref, own string) string {
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" || strings.EqualFold(u.Host, own) {
		return ""
	}
	return clean(strings.ToLower(u.Host), 191)
}

// SourceOf reads the UTM tags and external referrer of a hit.
func SourceOf(h Hit) Source {
	return Source{
		UTMSource: clean(h.Query.Get("utm_source"), 64), UTMMedium: clean(h.Query.Get("utm_medium"), 64),
		UTMCampaign: clean(h.Query.Get("utm_campaign"), 64), Landing: clean(h.Path, 191), Referrer: referrerHost(h.Referrer, h.Host),
	}
}

// Track counts a page view unless the browser asked not to be tracked or
// is a bot. It returns whether the view was counted.
func (s *Service) Track(ctx context.Context, h Hit) (bool, error) {
	if h.DNT || IsBot(h.UserAgent) {
		return false, nil
	}
	visitor, err := s.VisitorID(ctx, h.IP, h.UserAgent)
	if err != nil {
		return false, err
	}
	now := s.opt.Now()
	day := now.Format(time.DateOnly)
	pctx := store.AsPlatform(ctx)
	var seen int64
	if err := s.db.With(pctx).Model(&store.PageView{}).Where("day = ? AND visitor = ?", day, visitor).Limit(1).Count(&seen).Error; err != nil {
		return false, fmt.Errorf("look up visitor: %w", err)
	}
	src := SourceOf(h)
	pv := &store.PageView{At: now, Day: day, Visitor: visitor, Path: clean(h.Path, 191), Referrer: src.Referrer,
		UTMSource: src.UTMSource, UTMMedium: src.UTMMedium, UTMCampaign: src.UTMCampaign, Landing: seen == 0, Lang: clean(h.Lang, 8)}
	if err := s.db.With(pctx).Create(pv).Error; err != nil {
		return false, fmt.Errorf("record page view: %w", err)
	}
	return true, nil
}

// Count is one row of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// DayCount is one day of a series.
type DayCount struct {
	Day      string `json:"day"`
	Views    int64  `json:"views"`
	Visitors int64  `json:"visitors"`
}

// Traffic summarises the website's visits in [since, until).
type Traffic struct {
	Views     int64      `json:"views"`
	Visitors  int64      `json:"visitors"`
	ByDay     []DayCount `json:"by_day"`
	Pages     []Count    `json:"pages"`
	Landings  []Count    `json:"landings"`
	Referrers []Count    `json:"referrers"`
	Campaigns []Count    `json:"campaigns"`
}

// Traffic reports page views, visitors, top pages, landing pages, referrers and UTM campaigns.
func (s *Service) Traffic(ctx context.Context, since, until time.Time) (*Traffic, error) {
	q := func() *gorm.DB {
		return s.db.With(store.AsPlatform(ctx)).Model(&store.PageView{}).Where("at >= ? AND at < ?", since, until)
	}
	out := &Traffic{ByDay: []DayCount{}}
	if err := q().Count(&out.Views).Error; err != nil {
		return nil, err
	}
	var err error
	if out.Visitors, err = s.visitors(ctx, since, until); err != nil {
		return nil, err
	}
	if err := q().Select("day, COUNT(*) AS views, COUNT(DISTINCT visitor) AS visitors").Group("day").Order("day").Scan(&out.ByDay).Error; err != nil {
		return nil, err
	}
	top := func(col string, dst *[]Count, where ...any) error {
		*dst = []Count{}
		qq := q().Select(col + " AS `key`, COUNT(*) AS count")
		if len(where) > 0 {
			qq = qq.Where(where[0], where[1:]...)
		}
		return qq.Group(col).Order("count DESC").Limit(10).Scan(dst).Error
	}
	if err := top("path", &out.Pages); err != nil {
		return nil, err
	}
	if err := top("path", &out.Landings, "landing = ?", true); err != nil {
		return nil, err
	}
	if err := top("referrer", &out.Referrers, "referrer <> ?", ""); err != nil {
		return nil, err
	}
	if err := top("utm_campaign", &out.Campaigns, "utm_campaign <> ?", ""); err != nil {
		return nil, err
	}
	return out, nil
}

// visitors counts distinct visitor-days: the hash changes daily by design.
func (s *Service) visitors(ctx context.Context, since, until time.Time) (int64, error) {
	var n int64
	err := s.db.With(store.AsPlatform(ctx)).Model(&store.PageView{}).Where("at >= ? AND at < ? AND landing = ?", since, until, true).Count(&n).Error
	return n, err
}
