package models

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"sync"
	"testing"
)

// jpegClaiming is a small, real JPEG whose header (SOF0) is changed to claim w×h: a few hundred
// bytes that a decoder turns into a w×h bitmap before it notices the data is short.
func jpegClaiming(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.RGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	// FFC0, length (2), precision (1), height (2), width (2)
	b[i+5], b[i+6] = byte(h>>8), byte(h)
	b[i+7], b[i+8] = byte(w>>8), byte(w)
	return b
}

// A JPEG of a few hundred bytes claiming 8192×8192 is refused by its declared size, as a cover
// and as an article image, with the budget's own message; pictures within the budget pass.
func TestImagesRefusedByDeclaredPixels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bomb := jpegClaiming(t, 8192, 8192)
	if len(bomb) > 1000 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(bomb)); err != nil || cfg.Width != 8192 || cfg.Height != 8192 {
		t.Fatalf("bomb header: %+v %v", cfg, err)
	}
	_, err := f.svc.SaveThumb(ctx, "bomb.jpg", bomb)
	if k := fieldKey(t, err, "thumb"); k != "err.thumb_pixels" {
		t.Fatalf("cover bomb: %q, want err.thumb_pixels", k)
	}
	_, err = f.svc.SaveImage(ctx, "bomb.jpg", bomb)
	if k := fieldKey(t, err, "image"); k != "err.image_pixels" {
		t.Fatalf("image bomb: %q, want err.image_pixels", k)
	}
	// Just over and just within the cover budget (the header is all that is read of these).
	if _, err := f.svc.SaveThumb(ctx, "over.jpg", jpegClaiming(t, 2001, 2000)); fieldKey(t, err, "thumb") != "err.thumb_pixels" {
		t.Fatal("2001×2000 cover accepted")
	}
	if _, err := f.svc.SaveThumb(ctx, "within.jpg", jpegClaiming(t, 2000, 2000)); err == nil || fieldKey(t, err, "thumb") != "err.thumb_not_jpeg" {
		t.Fatalf("2000×2000 cover (a truncated JPEG) refused for %v, want as not a whole JPEG", err)
	}
	if _, err := f.svc.SaveImage(ctx, "over.jpg", jpegClaiming(t, 5001, 5000)); fieldKey(t, err, "image") != "err.image_pixels" {
		t.Fatal("5001×5000 image accepted")
	}
	if _, err := f.svc.SaveImage(ctx, "within.jpg", jpegClaiming(t, 6000, 4166)); err != nil {
		t.Fatalf("6000×4166 image: %v", err)
	}
	if _, err := f.svc.SaveThumb(ctx, "ok.jpg", jpegBytes(t, 5)); err != nil {
		t.Fatalf("ordinary cover: %v", err)
	}
}

// allocated is how many bytes fn allocates (runtime.MemStats.TotalAlloc, whole process).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Twenty such covers uploaded at once allocate next to nothing now; decoding one of them, as
// was done before the budget, allocates the whole 8192×8192 bitmap (the issue measured 800 MB
// for twenty). The log gives the ratio.
func TestPixelBombsAllocateLittle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bomb := jpegClaiming(t, 8192, 8192)
	const uploads = 20
	now := allocated(func() {
		var wg sync.WaitGroup
		for range uploads {
			wg.Go(func() {
				if _, err := f.svc.SaveThumb(ctx, "bomb.jpg", bomb); err == nil {
					t.Error("bomb accepted")
				}
			})
		}
		wg.Wait()
	})
	if now > 4<<20 {
		t.Fatalf("%d bombs allocated %d bytes, want under 4 MiB", uploads, now)
	}
	if testing.Short() {
		return
	}
	one := allocated(func() { _, _ = jpeg.Decode(bytes.NewReader(bomb)) }) // what each upload did before
	t.Logf("%d bombs at once: %d KiB allocated; decoding one as before: %d MiB (×%d = %d MiB); ratio %.5f",
		uploads, now>>10, one>>20, uploads, uint64(uploads)*one>>20, float64(now)/float64(uploads*one))
	if one < 50<<20 {
		t.Fatalf("decoding the bomb allocated only %d bytes: the test's bomb is not one", one)
	}
}
