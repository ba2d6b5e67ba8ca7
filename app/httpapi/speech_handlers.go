package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/speechdb"
	"github.com/waihu/waihu/app/store"
)

// registerSpeech serves the script editor's voice picker: which engines a
// tenant may choose, a script's choice, and a short preview to listen to.
func (s *Server) registerSpeech() {
	if s.deps.Speech == nil {
		return
	}
	const tag = "speech"
	s.add(Route{Method: http.MethodGet, Path: "/speech/engines", Tag: tag, Summary: "Synthesizers (with voices) and recognizers a tenant may choose; simulated engines are never listed",
		Auth: AuthTenant, Response: speechdb.Catalog{}, Handler: s.speechEngines})
	s.add(Route{Method: http.MethodPost, Path: "/speech/preview", Tag: tag, Summary: "Synthesize a short line (at most 200 characters, rate-limited per tenant, through the TTS cache); returns audio/wav",
		Auth: AuthTenant, Request: speechdb.PreviewRequest{}, Handler: s.speechPreview})
	s.add(Route{Method: http.MethodGet, Path: "/scripts/:id/speech", Tag: tag, Summary: "The script's recognizer, synthesizer and voice: its own choice, the tenant's, and what calls use",
		Auth: AuthTenant, Resource: "script", Response: speechdb.ScriptSpeech{}, Handler: s.getScriptSpeech})
	s.add(Route{Method: http.MethodPut, Path: "/scripts/:id/speech", Tag: tag, Summary: "Choose the script's recognizer, synthesizer and voice (empty fields inherit)",
		Auth: AuthTenant, MinRole: store.RoleManager, Resource: "script", Request: speech.Choice{}, Response: speechdb.ScriptSpeech{}, Handler: s.putScriptSpeech})
}

func (s *Server) speechEngines(c *gin.Context) {
	c.JSON(http.StatusOK, s.deps.Speech.Catalog())
}

func (s *Server) speechPreview(c *gin.Context) {
	var in speechdb.PreviewRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	wav, err := s.deps.Speech.Preview(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	// The same text and voice always give the same audio (content-hashed cache).
	c.Header("Cache-Control", "private, max-age=3600")
	c.Data(http.StatusOK, "audio/wav", wav)
}

func (s *Server) getScriptSpeech(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	out, err := s.deps.Speech.ScriptSpeech(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) putScriptSpeech(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in speech.Choice
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	out, err := s.deps.Speech.SetScriptSpeech(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
