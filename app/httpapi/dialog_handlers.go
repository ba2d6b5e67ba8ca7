package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/store"
)

type scriptJSON struct {
	ID                 uint64    `json:"id"`
	Name               string    `json:"name"`
	Template           string    `json:"template"`
	Lang               string    `json:"lang"`
	LatestVersion      int       `json:"latest_version"`
	PublishedVersionID uint64    `json:"published_version_id"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

type scriptDetailJSON struct {
	scriptJSON
	Draft  *dialog.Script `json:"draft"`
	Issues []dialog.Issue `json:"issues"`
	// ListenMode is stream or utterance; BargeInUnavailable lists the
	// interruptible nodes when it is utterance (barge-in cannot happen).
	ListenMode         string   `json:"listen_mode"`
	BargeInUnavailable []string `json:"barge_in_unavailable"`
}

// Listen modes (Deps.ListenMode).
const (
	ListenStream    = "stream"
	ListenUtterance = "utterance"
)

type scriptVersionJSON struct {
	ID        uint64         `json:"id"`
	ScriptID  uint64         `json:"script_id"`
	Version   int            `json:"version"`
	Checksum  string         `json:"checksum"`
	Note      string         `json:"note"`
	CreatedAt time.Time      `json:"created_at"`
	Body      *dialog.Script `json:"body,omitempty"`
}

type scriptCheckJSON struct {
	Issues []dialog.Issue      `json:"issues"`
	Tests  []scriptTestRunJSON `json:"tests"`
}

type scriptTestRunJSON struct {
	Name     string   `json:"name"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures"`
	Path     []string `json:"path"`
	Grade    string   `json:"grade"`
}

type fromTemplateRequest struct {
	Template string `json:"template"`
	Name     string `json:"name"`
}

type publishRequest struct {
	Note string `json:"note"`
}

type classifyRequest struct {
	Text string `json:"text"`
}

type templatesJSON struct {
	Items   []dialog.TemplateInfo `json:"items"`
	Intents []string              `json:"general_intents"`
}

func toScript(r *store.Script) scriptJSON {
	return scriptJSON{ID: r.ID, Name: r.Name, Template: r.Template, Lang: r.Lang, LatestVersion: r.LatestVersion,
		PublishedVersionID: r.PublishedVersionID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toScriptVersion(v *store.ScriptVersion) scriptVersionJSON {
	return scriptVersionJSON{ID: v.ID, ScriptID: v.ScriptID, Version: v.Version, Checksum: v.Checksum, Note: v.Note, CreatedAt: v.CreatedAt}
}

func (s *Server) registerDialog() {
	if s.deps.Scripts == nil {
		return
	}
	const tag = "scripts"
	edit := store.RoleManager
	s.add(Route{Method: http.MethodGet, Path: "/scripts", Tag: tag, Summary: "List call scripts", Auth: AuthTenant,
		Query: pageParams, Response: listOf[scriptJSON]{}, Handler: s.listScripts})
	s.add(Route{Method: http.MethodPost, Path: "/scripts", Tag: tag, Summary: "Create or import a script (script JSON)", Auth: AuthTenant, MinRole: edit,
		Request: dialog.Script{}, Response: scriptDetailJSON{}, Status: http.StatusCreated, Handler: s.createScript})
	s.add(Route{Method: http.MethodPost, Path: "/scripts/from-template", Tag: tag, Summary: "Create a script from a template", Auth: AuthTenant, MinRole: edit,
		Request: fromTemplateRequest{}, Response: scriptDetailJSON{}, Status: http.StatusCreated, Handler: s.createScriptFromTemplate})
	s.add(Route{Method: http.MethodGet, Path: "/script-templates", Tag: tag, Summary: "List scenario templates and the general intents", Auth: AuthTenant,
		Response: templatesJSON{}, Handler: s.listScriptTemplates})
	s.add(Route{Method: http.MethodGet, Path: "/script-template", Tag: tag, Summary: "One template's script JSON", Auth: AuthTenant,
		Query: []QueryParam{{"name", "string", "template name, e.g. collections or collections-en"}}, Response: dialog.Script{}, Handler: s.getScriptTemplate})
	s.add(Route{Method: http.MethodGet, Path: "/scripts/:id", Tag: tag, Summary: "A script with its draft and validation issues", Auth: AuthTenant,
		Resource: "script", Response: scriptDetailJSON{}, Handler: s.getScript})
	s.add(Route{Method: http.MethodPut, Path: "/scripts/:id", Tag: tag, Summary: "Replace a script's draft", Auth: AuthTenant, MinRole: edit,
		Resource: "script", Request: dialog.Script{}, Response: scriptDetailJSON{}, Handler: s.updateScript})
	s.add(Route{Method: http.MethodDelete, Path: "/scripts/:id", Tag: tag, Summary: "Delete a never-published script", Auth: AuthTenant, MinRole: edit,
		Resource: "script", Status: http.StatusNoContent, Handler: s.deleteScript})
	s.add(Route{Method: http.MethodGet, Path: "/scripts/:id/export", Tag: tag, Summary: "Export the draft (or ?version=N) as JSON", Auth: AuthTenant,
		Resource: "script", Query: []QueryParam{{"version", "integer", "a published version number"}}, Response: dialog.Script{}, Handler: s.exportScript})
	s.add(Route{Method: http.MethodPost, Path: "/scripts/:id/check", Tag: tag, Summary: "Validate the draft and run its test conversations", Auth: AuthTenant,
		Resource: "script", Response: scriptCheckJSON{}, Handler: s.checkScript})
	s.add(Route{Method: http.MethodPost, Path: "/scripts/:id/publish", Tag: tag, Summary: "Publish the draft as a new immutable version (runs the checks and tests)", Auth: AuthTenant, MinRole: edit,
		Resource: "script", Request: publishRequest{}, Response: scriptVersionJSON{}, Status: http.StatusCreated, Handler: s.publishScript})
	s.add(Route{Method: http.MethodGet, Path: "/scripts/:id/versions", Tag: tag, Summary: "A script's published versions", Auth: AuthTenant,
		Resource: "script", Response: listOf[scriptVersionJSON]{}, Handler: s.listScriptVersions})
	s.add(Route{Method: http.MethodGet, Path: "/script-versions/:id", Tag: tag, Summary: "One published version with its frozen body", Auth: AuthTenant,
		Resource: "script_version", Response: scriptVersionJSON{}, Handler: s.getScriptVersion})
	s.add(Route{Method: http.MethodPost, Path: "/scripts/:id/chat", Tag: tag, Summary: "Test chat: send the callee's lines, get the robot's reply and the call state", Auth: AuthTenant,
		Resource: "script", Request: scriptstore.ChatRequest{}, Response: scriptstore.ChatReply{}, Handler: s.chatScript})
	s.add(Route{Method: http.MethodPost, Path: "/scripts/:id/classify", Tag: tag, Summary: "Which intent the draft recognizes in a line", Auth: AuthTenant,
		Resource: "script", Request: classifyRequest{}, Response: dialog.Match{}, Handler: s.classifyScript})
}

func (s *Server) scriptDetail(row *store.Script, sc *dialog.Script) scriptDetailJSON {
	issues := dialog.Validate(sc)
	if issues == nil {
		issues = []dialog.Issue{}
	}
	out := scriptDetailJSON{scriptJSON: toScript(row), Draft: sc, Issues: issues, ListenMode: ListenStream, BargeInUnavailable: []string{}}
	if s.deps.ListenMode != nil {
		out.ListenMode = s.deps.ListenMode(row.TenantID, row.ID)
	}
	if out.ListenMode == ListenUtterance {
		if n := dialog.InterruptibleNodes(sc); n != nil {
			out.BargeInUnavailable = n
		}
	}
	return out
}

func (s *Server) listScripts(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Scripts.List(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toScript))
}

func (s *Server) createScript(c *gin.Context) {
	var in dialog.Script
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	row, err := s.deps.Scripts.Create(c.Request.Context(), &in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.scriptDetail(row, &in))
}

func (s *Server) createScriptFromTemplate(c *gin.Context) {
	var in fromTemplateRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	row, err := s.deps.Scripts.CreateFromTemplate(c.Request.Context(), in.Template, in.Name)
	if err != nil {
		fail(c, err)
		return
	}
	_, sc, err := s.deps.Scripts.Get(c.Request.Context(), row.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.scriptDetail(row, sc))
}

func (s *Server) listScriptTemplates(c *gin.Context) {
	c.JSON(http.StatusOK, templatesJSON{Items: dialog.Templates(), Intents: dialog.GeneralIntentNames()})
}

func (s *Server) getScriptTemplate(c *gin.Context) {
	sc, err := dialog.Template(c.Query("name"))
	if err != nil {
		fail(c, apperr.Invalid("name", "unknown template"))
		return
	}
	c.JSON(http.StatusOK, sc)
}

func (s *Server) getScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	row, sc, err := s.deps.Scripts.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.scriptDetail(row, sc))
}

func (s *Server) updateScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in dialog.Script
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	row, err := s.deps.Scripts.UpdateDraft(c.Request.Context(), id, &in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.scriptDetail(row, &in))
}

func (s *Server) deleteScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Scripts.Delete(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) exportScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	row, sc, err := s.deps.Scripts.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	name := row.Name
	if v := c.Query("version"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 {
			fail(c, apperr.Invalid("version", "must be a positive integer"))
			return
		}
		ver, err := s.deps.Scripts.Version(c.Request.Context(), id, n)
		if err != nil {
			fail(c, err)
			return
		}
		if sc, err = dialog.Parse([]byte(ver.Body)); err != nil {
			fail(c, err)
			return
		}
		name = fmt.Sprintf("%s-v%d", name, n)
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="script-%d.json"; filename*=UTF-8''%s.json`, id, url.PathEscape(name)))
	c.Data(http.StatusOK, "application/json; charset=utf-8", sc.JSON())
}

func (s *Server) checkScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	_, sc, err := s.deps.Scripts.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	out := scriptCheckJSON{Issues: dialog.Validate(sc), Tests: []scriptTestRunJSON{}}
	if out.Issues == nil {
		out.Issues = []dialog.Issue{}
	}
	if len(dialog.Errors(out.Issues)) == 0 {
		for _, tr := range dialog.RunTests(sc) {
			out.Tests = append(out.Tests, scriptTestRunJSON{Name: tr.Name, Passed: tr.Passed, Failures: append([]string{}, tr.Failures...), Path: tr.Result.Path, Grade: tr.Result.Grade})
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) publishScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in publishRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	v, err := s.deps.Scripts.Publish(c.Request.Context(), id, in.Note)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toScriptVersion(v))
}

func (s *Server) listScriptVersions(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	rows, err := s.deps.Scripts.Versions(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, 0, toScriptVersion))
}

func (s *Server) getScriptVersion(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var v store.ScriptVersion
	if err := s.deps.DB.With(c.Request.Context()).First(&v, id).Error; err != nil {
		fail(c, store.Translate(err))
		return
	}
	out := toScriptVersion(&v)
	sc, err := dialog.Parse([]byte(v.Body))
	if err != nil {
		fail(c, err)
		return
	}
	out.Body = sc
	c.JSON(http.StatusOK, out)
}

func (s *Server) chatScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in scriptstore.ChatRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	out, err := s.deps.Scripts.Chat(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) classifyScript(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in classifyRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if len([]rune(in.Text)) > 500 {
		fail(c, apperr.Invalid("text", "must be at most 500 characters"))
		return
	}
	_, sc, err := s.deps.Scripts.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	m, err := dialog.NewMatcher(sc.AllIntents())
	if err != nil {
		fail(c, apperr.Invalid("intents", err.Error()))
		return
	}
	c.JSON(http.StatusOK, m.Classify(in.Text))
}
