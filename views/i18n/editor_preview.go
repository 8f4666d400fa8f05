package i18n

import (
	"fmt"

	"qunfa/models"
)

// The editor's phone preview and its limits as one types. The limits' messages take their
// numbers from models' one table (article_limits.go), so a message never names another number
// than the one enforced.
func init() {
	add("zh", map[string]string{
		"err.title_too_long":    fmt.Sprintf("标题不能超过 %d 个字（微信的限制，超出会被拒绝）。", models.LimitTitle),
		"err.author_too_long":   fmt.Sprintf("作者名不能超过 %d 个字（微信的限制，超出会被拒绝）。", models.LimitAuthor),
		"err.digest_too_long":   fmt.Sprintf("摘要不能超过 %d 个字（微信的限制，超出会被拒绝）。", models.LimitDigest),
		"err.content_too_long":  fmt.Sprintf("正文须少于 %s 个字符（含排版代码；微信的限制，超出会被拒绝）。", thousands(models.LimitContent)),
		"err.content_too_large": fmt.Sprintf("正文须小于 %d MB（含排版代码；微信的限制，超出会被拒绝）。", models.LimitContentBytes>>20),
		"err.thumb_too_large":   fmt.Sprintf("封面不能超过 %d KB（微信缩略图的限制）。", models.LimitThumbBytes>>10),
		"limit.articles_max":    "已达上限：当前接口版本一条图文最多 %d 篇。",
		"limit.digest_fill":     "留空时，微信用正文前 %d 个字作摘要：%s",

		"phone.heading":       "手机预览",
		"phone.view_card":     "消息卡片",
		"phone.view_article":  "文章页",
		"phone.hide":          "隐藏预览",
		"phone.show":          "显示预览",
		"phone.frame_title":   "关注者看到的样子（预览，不执行任何脚本）",
		"phone.account":       "本公众号",
		"phone.read_original": "阅读原文",
		"phone.untitled":      "（无标题）",
		"phone.no_cover":      "封面",
		"phone.digest_filled": "（摘要为空，自动取正文前 %d 个字）",
		"phone.failed":        "预览暂时无法更新，请稍后再试。",
		"phone.article_of":    "第 %d 篇",
		"phone.chat_title":    "聊天中的消息",
		"phone.note":          "预览按发送时的规则处理正文：去掉脚本和外站图片。",
	})
	add("en", map[string]string{
		"err.title_too_long":    fmt.Sprintf("The title can be at most %d characters (WeChat refuses longer ones).", models.LimitTitle),
		"err.author_too_long":   fmt.Sprintf("The author can be at most %d characters (WeChat refuses longer ones).", models.LimitAuthor),
		"err.digest_too_long":   fmt.Sprintf("The digest can be at most %d characters (WeChat refuses longer ones).", models.LimitDigest),
		"err.content_too_long":  fmt.Sprintf("The content must be under %s characters, formatting included (WeChat refuses longer content).", thousands(models.LimitContent)),
		"err.content_too_large": fmt.Sprintf("The content must be under %d MB, formatting included (WeChat refuses larger content).", models.LimitContentBytes>>20),
		"err.thumb_too_large":   fmt.Sprintf("The cover can be at most %d KB (WeChat's thumbnail limit).", models.LimitThumbBytes>>10),
		"limit.articles_max":    "Limit reached: the API profile in force allows %d articles in one message.",
		"limit.digest_fill":     "Left empty, WeChat uses the content's first %d characters: %s",

		"phone.heading":       "Phone preview",
		"phone.view_card":     "Chat card",
		"phone.view_article":  "Article page",
		"phone.hide":          "Hide preview",
		"phone.show":          "Show preview",
		"phone.frame_title":   "What followers will see (preview; no script runs)",
		"phone.account":       "Our account",
		"phone.read_original": "Read original",
		"phone.untitled":      "(untitled)",
		"phone.no_cover":      "Cover",
		"phone.digest_filled": "(no digest: the content's first %d characters)",
		"phone.failed":        "The preview could not be updated; try again shortly.",
		"phone.article_of":    "Article %d",
		"phone.chat_title":    "The message in the chat",
		"phone.note":          "The preview applies the sending rules to the content: scripts and images from other sites are removed.",
	})
}

// thousands writes 20000 as 20,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
