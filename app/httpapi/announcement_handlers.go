package httpapi

import (
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
)

// Carrier announcement references: the fingerprint layer of early-media
// classification (空号识别). Operator-only, beside trunks.

type announcementJSON struct {
	ID         uint64    `json:"id"`
	Name       string    `json:"name"`
	Carrier    string    `json:"carrier"`
	Outcome    string    `json:"outcome"`
	DurationMs int       `json:"duration_ms"`
	Landmarks  int       `json:"landmarks"`
	SHA256     string    `json:"sha256"`
	CreatedAt  time.Time `json:"created_at"`
}

func toAnnouncement(r *store.AnnouncementRef) announcementJSON {
	return announcementJSON{ID: r.ID, Name: r.Name, Carrier: r.Carrier, Outcome: r.Outcome, DurationMs: r.DurationMs,
		Landmarks: r.Landmarks, SHA256: r.SHA256, CreatedAt: r.CreatedAt}
}

// maxAnnouncementUpload: a 60 s WAV at 48 kHz stereo is 11.5 MB.
const maxAnnouncementUpload = 16 << 20

func (s *Server) registerAnnouncements() {
	if s.deps.Announcements == nil {
		return
	}
	const tag = "admin-switch"
	s.add(Route{Method: http.MethodGet, Path: "/admin/announcements", Tag: tag, Summary: "Carrier announcement references (early-media fingerprints)",
		Auth: AuthStaff, Area: "trunks.read", Response: listJSON[announcementJSON]{}, Handler: s.adminListAnnouncements})
	s.add(Route{Method: http.MethodPost, Path: "/admin/announcements", Tag: tag,
		Summary: "Upload a reference clip of a carrier announcement (multipart: file (WAV: 16-bit PCM, A-law or µ-law, ≤60 s), name, carrier (empty: every carrier), outcome)",
		Auth:    AuthStaff, Area: "trunks", MaxBody: maxAnnouncementUpload, Response: announcementJSON{}, Status: http.StatusCreated, Handler: s.adminCreateAnnouncement})
	s.add(Route{Method: http.MethodPost, Path: "/admin/announcements/match", Tag: tag,
		Summary: "Check a clip (multipart: file, carrier) against the references that apply to a carrier's trunks",
		Auth:    AuthStaff, Area: "trunks.read", MaxBody: maxAnnouncementUpload, Response: announcementMatchJSON{}, Handler: s.adminMatchAnnouncement})
	s.add(Route{Method: http.MethodGet, Path: "/admin/announcements/:id/audio", Tag: tag, Summary: "A reference clip's audio (8 kHz WAV)",
		Auth: AuthStaff, Area: "trunks.read", Resource: "announcement", Handler: s.adminAnnouncementAudio})
	s.add(Route{Method: http.MethodDelete, Path: "/admin/announcements/:id", Tag: tag, Summary: "Delete a reference clip",
		Auth: AuthStaff, Area: "trunks", Resource: "announcement", Status: http.StatusNoContent, Handler: s.adminDeleteAnnouncement})
}

func (s *Server) adminListAnnouncements(c *gin.Context) {
	rows, err := s.deps.Announcements.List(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := listJSON[announcementJSON]{Items: make([]announcementJSON, len(rows))}
	for i := range rows {
		out.Items[i] = toAnnouncement(&rows[i])
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminCreateAnnouncement(c *gin.Context) {
	b, err := readUpload(c)
	if err != nil {
		fail(c, err)
		return
	}
	row, err := s.deps.Announcements.Create(c.Request.Context(), announcementInput(c.PostForm("name"), c.PostForm("carrier"), c.PostForm("outcome")), b)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toAnnouncement(row))
}

type announcementMatchJSON struct {
	Matched bool `json:"matched"`
	// The best reference, also when below the thresholds (nil: nothing in
	// common at all).
	Reference *announcementJSON `json:"reference"`
	Score     int               `json:"score"`
	Coverage  float64           `json:"coverage"`
	OffsetMs  int               `json:"offset_ms"`
}

func (s *Server) adminMatchAnnouncement(c *gin.Context) {
	b, err := readUpload(c)
	if err != nil {
		fail(c, err)
		return
	}
	m, ok, err := s.deps.Announcements.MatchClip(c.Request.Context(), c.PostForm("carrier"), b)
	if err != nil {
		fail(c, err)
		return
	}
	out := announcementMatchJSON{Matched: ok, Score: m.Score, Coverage: m.Coverage, OffsetMs: m.OffsetMs}
	if m.Reference != nil {
		row, err := s.deps.Announcements.Get(c.Request.Context(), m.Reference.ID)
		if err == nil {
			j := toAnnouncement(row)
			out.Reference = &j
		}
	}
	c.JSON(http.StatusOK, out)
}

// readUpload reads the multipart "file" up to the announcement limit.
func readUpload(c *gin.Context) ([]byte, error) {
	f, _, err := multipartFile(c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAnnouncementUpload+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAnnouncementUpload {
		return nil, apperr.Invalid("file", "larger than 16 MB")
	}
	return b, nil
}

func (s *Server) adminAnnouncementAudio(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	row, err := s.deps.Announcements.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	p := s.deps.Announcements.AudioFile(row)
	if _, err := os.Stat(p); err != nil {
		fail(c, apperr.ErrNotFound)
		return
	}
	c.Header("Content-Type", "audio/wav")
	c.File(p)
}

func (s *Server) adminDeleteAnnouncement(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Announcements.Delete(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func announcementInput(name, carrier, outcome string) callctl.AnnouncementInput {
	return callctl.AnnouncementInput{Name: name, Carrier: carrier, Outcome: outcome}
}
