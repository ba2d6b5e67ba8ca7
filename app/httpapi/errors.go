package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// errorBody is the one error shape every endpoint answers with.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// apiError is an error the HTTP layer itself raises (bad JSON, a bad cursor).
type apiError struct {
	status int
	code   string
	fields map[string]string
	detail string
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }

func badRequest(detail string) error {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", detail: detail}
}

// fail renders err in the error shape, choosing the status in this one place.
func fail(c *gin.Context, err error) {
	status, body := classify(c, err)
	if status >= 500 {
		slog.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
	}
	if c.Writer.Written() {
		return
	}
	c.AbortWithStatusJSON(status, body)
}

func classify(c *gin.Context, err error) (int, errorBody) {
	loc := locale(c)
	var (
		ve  *apperr.ValidationError
		ce  *apperr.CodedError
		ae  *apiError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
		d := errorDetail{Code: ae.code, Message: message(loc, ae.code), Fields: translateFields(loc, ae.fields)}
		if ae.detail != "" && ae.fields == nil {
			d.Message = d.Message + ": " + ae.detail
		}
		return ae.status, errorBody{d}
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, errorBody{errorDetail{Code: "validation_failed", Message: message(loc, "validation_failed"), Fields: translateFields(loc, ve.Fields)}}
	case errors.As(err, &ce):
		if ce.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(int(ce.RetryAfter.Seconds())))
		}
		return ce.Status, errorBody{errorDetail{Code: ce.Code, Message: messageOr(loc, ce.Code, ce.Message)}}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, errorBody{errorDetail{Code: "payload_too_large", Message: fmt.Sprintf("%s (%d bytes)", message(loc, "payload_too_large"), mbe.Limit)}}
	case errors.Is(err, apperr.ErrNotFound):
		return http.StatusNotFound, errorBody{errorDetail{Code: "not_found", Message: message(loc, "not_found")}}
	case errors.Is(err, apperr.ErrConflict):
		return http.StatusConflict, errorBody{errorDetail{Code: "conflict", Message: message(loc, "conflict")}}
	case errors.Is(err, apperr.ErrInsufficientFunds):
		return http.StatusPaymentRequired, errorBody{errorDetail{Code: "insufficient_funds", Message: message(loc, "insufficient_funds")}}
	case errors.Is(err, apperr.ErrForbidden):
		return http.StatusForbidden, errorBody{errorDetail{Code: "forbidden", Message: message(loc, "forbidden")}}
	case errors.Is(err, store.ErrReadOnly):
		return http.StatusForbidden, errorBody{errorDetail{Code: "read_only", Message: message(loc, "read_only")}}
	case errors.Is(err, apperr.ErrUnauthorized):
		return http.StatusUnauthorized, errorBody{errorDetail{Code: "unauthorized", Message: message(loc, "unauthorized")}}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, errorBody{errorDetail{Code: "unavailable", Message: message(loc, "unavailable")}}
	}
	return http.StatusInternalServerError, errorBody{errorDetail{Code: "internal", Message: message(loc, "internal")}}
}
