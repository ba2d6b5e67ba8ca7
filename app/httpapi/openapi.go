package httpapi

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// OpenAPI builds the OpenAPI 3.0 description from the route table.
func (s *Server) OpenAPI() map[string]any {
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	for _, r := range s.routes {
		p := openAPIPath(r.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     r.Summary,
			"tags":        []string{r.Tag},
			"operationId": operationID(r),
		}
		var params []any
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, ":") {
				params = append(params, map[string]any{"name": seg[1:], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": false, "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Request), schemas)}}}
		}
		okResp := map[string]any{"description": "success"}
		if r.Response != nil {
			okResp["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Response), schemas)}}
		}
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		op["responses"] = map[string]any{strconv.Itoa(r.Status): okResp, "default": errResp}
		switch r.Auth {
		case AuthTenant:
			op["security"] = []any{map[string]any{"session": []string{}}, map[string]any{"apiKey": []string{}}}
			op["x-waihu-tenant-scoped"] = true
			if r.MinRole != "" {
				op["x-waihu-min-role"] = r.MinRole
			}
		case AuthStaff:
			op["security"] = []any{map[string]any{"adminSession": []string{}}}
			op["x-waihu-staff-area"] = r.Area
		case AuthFS:
			op["security"] = []any{map[string]any{"fsSecret": []string{}}}
		default:
			op["security"] = []any{}
		}
		if r.Resource != "" {
			op["x-waihu-resource"] = r.Resource
		}
		paths[p][strings.ToLower(r.Method)] = op
	}
	schemas["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message"},
			"properties": map[string]any{
				"code":    map[string]any{"type": "string"},
				"message": map[string]any{"type": "string"},
				"fields":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
			},
		}},
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "waihu API",
			"version":     s.version,
			"description": "waihu (外呼) AI outbound-calling platform. Tenant endpoints accept a console session cookie (with X-CSRF-Token on writes) or `Authorization: Bearer wh_…` API keys. Errors always have the shape {\"error\":{\"code\",\"message\",\"fields\"}}.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"session":      map[string]any{"type": "apiKey", "in": "cookie", "name": tenantCookie},
				"adminSession": map[string]any{"type": "apiKey", "in": "cookie", "name": staffCookie},
				"apiKey":       map[string]any{"type": "http", "scheme": "bearer"},
				"fsSecret":     map[string]any{"type": "http", "scheme": "basic"},
			},
		},
	}
}

func (s *Server) serveOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.JSON(200, s.OpenAPI())
}

func operationID(r Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.Method))
	for _, seg := range strings.Split(r.Path, "/") {
		if seg == "" {
			continue
		}
		seg = strings.TrimLeft(seg, ":*")
		for _, w := range strings.FieldsFunc(seg, func(c rune) bool { return c == '-' || c == '_' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

var timeType = reflect.TypeFor[time.Time]()

// schemaOf describes a Go type as a JSON schema, registering named structs
// under components/schemas.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer", "format": "int64"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		s = map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Interface:
		s = map[string]any{}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		if _, seen := schemas[name]; !seen {
			schemas[name] = map[string]any{} // break recursion
			props := map[string]any{}
			var names []string
			collectFields(t, props, &names, schemas)
			sort.Strings(names)
			schemas[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		}
		s = map[string]any{"$ref": "#/components/schemas/" + name}
	default:
		s = map[string]any{}
	}
	if nullable {
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"allOf": []any{map[string]any{"$ref": ref}}, "nullable": true}
		}
		s["nullable"] = true
	}
	return s
}

func collectFields(t reflect.Type, props map[string]any, names *[]string, schemas map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, props, names, schemas)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
		*names = append(*names, name)
	}
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		// listOf[pkg.T] -> ListOfT
		inner := name[i+1 : len(name)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		inner = strings.TrimSuffix(inner, "JSON")
		name = "ListOf" + strings.ToUpper(inner[:1]) + inner[1:]
	}
	name = strings.TrimSuffix(name, "JSON")
	if name == "" {
		return "Anonymous"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
