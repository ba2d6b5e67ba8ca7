//go:build tools

// Package waihu pins the modules DESIGN.md chose before code imports them,
// so that `go mod tidy` keeps go.mod stable while packages are being written
// in parallel. Remove an entry once a package imports it.
package waihu

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/fiorix/go-eventsocket/eventsocket"
	_ "github.com/gin-gonic/gin"
	_ "github.com/glebarez/sqlite"
	_ "github.com/go-gormigrate/gormigrate/v2"
	_ "github.com/google/uuid"
	_ "github.com/gorilla/websocket"
	_ "github.com/hibiken/asynq"
	_ "github.com/mozillazg/go-pinyin"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/sashabaranov/go-openai"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/text/encoding/simplifiedchinese"
	_ "gopkg.in/yaml.v3"
	_ "gorm.io/driver/mysql"
	_ "gorm.io/gorm"
)
