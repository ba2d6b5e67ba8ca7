package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/store"
)

// bindJSON decodes the request body into dst strictly: JSON content type,
// one JSON value, no unknown fields, every type error named by its field.
func bindJSON(c *gin.Context, dst any) error {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct != "application/json" {
		// Also the CSRF defence for endpoints without a session (login,
		// sign-up): browsers cannot send a cross-site JSON POST without CORS.
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media", detail: ""}
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return mbe
		}
		return badRequest("could not read the body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, dst)
	}
	if dec.More() {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

func decodeError(err error, dst any) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the JSON ends too early")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return badRequest("the body must be a JSON object")
		}
		return &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{field: typeReason(te.Type)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{name: "unknown field"}}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	return badRequest("the body is not valid JSON")
}

func typeReason(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be an integer"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.Map, reflect.Struct:
		return "must be an object"
	}
	return "has the wrong type"
}

// pathID reads a positive integer path parameter. A malformed id is a 404:
// no object has it, and tenant B probing ids learns nothing either way.
func pathID(c *gin.Context, name string) (uint64, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%s %q: %w", name, c.Param(name), store.ErrNotFound)
	}
	return id, nil
}

// pageFrom reads ?limit=&cursor= into a store.Page.
func pageFrom(c *gin.Context) (store.Page, error) {
	var p store.Page
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return p, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{"limit": "must be an integer from 1 to 200"}}
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		id, ok := decodeCursor(v)
		if !ok {
			return p, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{"cursor": "is not a valid cursor"}}
		}
		p.BeforeID = id
	}
	return p, nil
}

func encodeCursor(id uint64) string {
	if id == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatUint(id, 10)))
}

func decodeCursor(s string) (uint64, bool) {
	if len(s) > 64 {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !bytes.HasPrefix(b, []byte("v1:")) {
		return 0, false
	}
	id, err := strconv.ParseUint(string(b[3:]), 10, 64)
	return id, err == nil && id > 0
}

// listOf is the shape of every list response.
type listOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func list[M any, T any](rows []M, next uint64, conv func(*M) T) listOf[T] {
	out := listOf[T]{Items: make([]T, len(rows)), NextCursor: encodeCursor(next)}
	for i := range rows {
		out.Items[i] = conv(&rows[i])
	}
	return out
}
