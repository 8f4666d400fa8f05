package i18n

// Images inside article content: the editor's uploads, pasted images, and
// what WeChat keeps of them.
func init() {
	add("zh", map[string]string{
		"err.image_empty":     "请选择一张图片。",
		"err.image_too_large": "图片须小于 1 MB（微信正文图片的限制），请压缩后再上传。",
		"err.image_type":      "正文图片只能是 JPG 或 PNG 格式（微信正文图片的限制）。",
		"err.content_image_invalid": "正文中粘贴的图片不是小于 1 MB 的 JPG 或 PNG，微信不接受。" +
			"请删除它，或另存为 JPG/PNG 后用编辑器的图片按钮上传。",
		"err.content_image_remote": "正文中有来自其他网站的图片，微信群发时会丢弃未经本系统上传的图片。" +
			"请把图片保存到电脑，再用编辑器的图片按钮上传，或删除它。",
		"err.content_image_missing": "正文中的某张图片已不存在，请删除后重新上传。",
	})
	add("en", map[string]string{
		"err.image_empty":     "Please choose an image.",
		"err.image_too_large": "The image must be smaller than 1 MB (WeChat's limit for images in articles); please compress it first.",
		"err.image_type":      "Images in articles must be JPEG or PNG (WeChat's rule).",
		"err.content_image_invalid": "An image pasted into the content is not a JPEG or PNG under 1 MB, which WeChat refuses. " +
			"Remove it, or save it as JPEG/PNG and upload it with the editor's image button.",
		"err.content_image_remote": "The content has an image from another website; WeChat drops images not uploaded through Qunfa. " +
			"Save the image to your computer and upload it with the editor's image button, or remove it.",
		"err.content_image_missing": "An image in the content no longer exists; remove it and upload it again.",
	})
}
