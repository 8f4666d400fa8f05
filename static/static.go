// Package static embeds the dashboard's CSS, JavaScript and vendored browser
// libraries so the binary works offline (no CDN).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// FS holds css/, js/ and vendor/ (served under /static/).
//
//go:embed css js vendor
var FS embed.FS

var (
	hashOnce sync.Once
	hashes   map[string]string
)

// Hash returns a short content hash of the embedded file at name (e.g.
// "css/app.css"), or "" when there is no such file. Pages append it to asset
// URLs so browsers can cache them for a long time and still see new versions.
func Hash(name string) string {
	hashOnce.Do(func() {
		hashes = map[string]string{}
		_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := FS.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			hashes[p] = hex.EncodeToString(sum[:])[:12]
			return nil
		})
	})
	return hashes[name]
}
