package httpapi

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

// Locales waihu answers in; zh-CN is the default.
const (
	zhCN = "zh-CN"
	en   = "en"
)

// locale picks the response language from Accept-Language: English when it
// is preferred over Chinese, Chinese otherwise.
func locale(c *gin.Context) string {
	if v, ok := c.Get("locale"); ok {
		return v.(string)
	}
	l := pickLocale(c.GetHeader("Accept-Language"))
	c.Set("locale", l)
	return l
}

func pickLocale(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return zhCN
		case strings.HasPrefix(tag, "en"):
			return en
		}
	}
	return zhCN
}

var messages = map[string][2]string{ // code -> {zh-CN, en}
	"bad_request":         {"请求格式错误", "malformed request"},
	"validation_failed":   {"输入有误，请检查标出的字段", "some fields are invalid"},
	"unauthorized":        {"请先登录", "please log in"},
	"invalid_credentials": {"邮箱或密码错误", "wrong email or password"},
	"account_locked":      {"登录失败次数过多，账号已暂时锁定，请稍后再试", "too many failed logins; the account is locked for a while"},
	"account_disabled":    {"该账号已被停用", "this account is disabled"},
	"rate_limited":        {"请求过于频繁，请稍后再试", "too many requests; try again later"},
	"forbidden":           {"没有权限执行此操作", "you are not allowed to do this"},
	"read_only":           {"当前为只读查看模式", "this view is read-only"},
	"csrf_failed":         {"页面已过期，请刷新后重试", "the page expired; reload and try again"},
	"tenant_pending":      {"账号正在等待平台审核开通", "your account is waiting for activation by the operator"},
	"tenant_suspended":    {"账号已被暂停，请联系平台", "your account is suspended; contact the operator"},
	"not_found":           {"未找到", "not found"},
	"conflict":            {"与现有数据冲突", "conflicts with existing data"},
	"insufficient_funds":  {"余额不足", "insufficient balance"},
	"payload_too_large":   {"请求体过大", "request body too large"},
	"unsupported_media":   {"请求必须是 JSON（Content-Type: application/json）", "the request must be JSON (Content-Type: application/json)"},
	"unavailable":         {"服务暂时不可用", "service temporarily unavailable"},
	"internal":            {"服务器内部错误，请稍后再试", "internal error; try again later"},
}

func message(loc, code string) string { return messageOr(loc, code, code) }

func messageOr(loc, code, fallback string) string {
	m, ok := messages[code]
	if !ok {
		return fallback
	}
	if loc == en {
		return m[1]
	}
	return m[0]
}

// fieldReasons translates the domain's English field reasons into Chinese.
var fieldReasons = map[string]string{
	"is required":                                    "必填",
	"is not a valid email address":                   "邮箱格式不正确",
	"is already registered":                          "已被注册",
	"is not a valid phone number":                    "电话号码格式不正确",
	"must be at least 8 characters":                  "至少 8 个字符",
	"must be at most 128 bytes":                      "不能超过 128 字节",
	"must contain letters and digits":                "需同时包含字母和数字",
	"must be 1 to 64 characters":                     "长度须为 1–64 个字符",
	"must be 2 to 128 characters":                    "长度须为 2–128 个字符",
	"must be 1 to 128 characters":                    "长度须为 1–128 个字符",
	"must be 1 to 512 characters":                    "长度须为 1–512 个字符",
	"unknown field":                                  "未知字段",
	"must be a string":                               "须为字符串",
	"must be a number":                               "须为数字",
	"must be an integer":                             "须为整数",
	"must be a boolean":                              "须为布尔值",
	"must be an object":                              "须为对象",
	"must be an array":                               "须为数组",
	"is not a valid cursor":                          "分页游标无效",
	"must be an integer from 1 to 200":               "须为 1–200 的整数",
	"must be a positive integer id":                  "须为正整数 ID",
	"you cannot disable yourself":                    "不能停用自己",
	"this is the last active admin":                  "这是最后一个有效的管理员",
	"must be admin, manager, agent or viewer":        "须为 admin、manager、agent 或 viewer",
	"must be admin, sales, finance or support":       "须为 admin、sales、finance 或 support",
	"the owner's role cannot be changed or disabled": "所有者的角色不能更改或停用",
	"must be between 0 and 100000":                   "须在 0 到 100000 之间",
	"must be an https:// URL or a path":              "须为 https:// 网址或路径",
}

func translateFields(loc string, fields map[string]string) map[string]string {
	if fields == nil || loc == en {
		return fields
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if zh, ok := fieldReasons[v]; ok {
			out[k] = zh
		} else if m := missingColumnsRe.FindStringSubmatch(v); m != nil {
			out[k] = fmt.Sprintf("话术 %s 第 %s 版（ID %s）用到了名单 %s 没有的列：%s", m[1], m[2], m[3], m[4], m[5])
		} else {
			out[k] = v
		}
	}
	return out
}

// missingColumnsRe reads campaign.MissingColumnsReason back, to say it in
// Chinese with the same names.
var missingColumnsRe = regexp.MustCompile(`^script (".*") version (\d+) \(id (\d+)\) uses columns the list (".*") lacks: (.+)$`)
