package i18n

// Images refused by the dimensions they declare, before they are decoded (models/image_budget.go).
func init() {
	add("zh", map[string]string{
		"err.thumb_pixels": "封面图的像素太多：最多 400 万像素（例如 2560×1562 或 2000×2000）。微信封面只显示约 900 像素宽，请缩小后再上传。",
		"err.image_pixels": "图片的像素太多：最多 2500 万像素（例如 6000×4166）。微信正文图片最宽显示 1080 像素，请缩小后再上传。",
	})
	add("en", map[string]string{
		"err.thumb_pixels": "The cover has too many pixels: at most 4 megapixels (for example 2560×1562 or 2000×2000). WeChat shows covers about 900 px wide; please scale it down first.",
		"err.image_pixels": "The image has too many pixels: at most 25 megapixels (for example 6000×4166). WeChat shows article images at most 1080 px wide; please scale it down first.",
	})
}
