package models

// Pixel budgets, checked on the dimensions an image declares in its header (DecodeConfig) before
// any of it is decoded: a few hundred bytes of JPEG may claim 8192×8192, which decodes into about
// 100 MB. WeChat states no pixel limit, only bytes (a cover 64 KB, an article image under 1 MB)
// and shows covers about 900 px wide and article images at most 1080 px wide, so the budgets sit
// far above any picture it can use and far below a decompression bomb:
//   - a cover: 4,000,000 pixels (2560×1562, or 2000×2000), decoded to check it is a whole JPEG
//     (at most ~12 MB while decoding);
//   - an article image: 25,000,000 pixels (6000×4166, a 24-megapixel camera's photo); it is never
//     decoded here, but WeChat and every reader's phone would.
const (
	MaxThumbPixels = 4_000_000
	MaxImagePixels = 25_000_000
)

// Catalogue keys of refusals by declared size.
const (
	errThumbPixels = "err.thumb_pixels"
	errImagePixels = "err.image_pixels"
)

// overPixelBudget reports whether width×height exceeds max (in 64 bits: the sides are up to 65535).
func overPixelBudget(width, height, max int) bool {
	return int64(width)*int64(height) > int64(max)
}
