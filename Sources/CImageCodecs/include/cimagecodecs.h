// libpng and libjpeg-turbo seen from Swift. Both libraries report errors by longjmp, which must
// never cross Swift frames: every entry point here sets its own setjmp, turns an error into a
// status and a message, and returns. Nothing is printed to stderr.
//
// Decoding takes two calls so that the caller can check the header (pixel limit, plausibility
// against the bytes present) before any buffer sized from it exists: `*_read_header` reads up to
// the image data and allocates nothing that depends on the image size; `*_read_pixels` decodes
// into a buffer the caller allocated. The input bytes must stay valid until `*_destroy`.
#ifndef DIMR_CIMAGECODECS_H
#define DIMR_CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#define CIC_OK 0
#define CIC_ERROR 1

// ---- PNG (libpng 1.6) ----

typedef struct cic_png cic_png;

/// The IHDR fields, and whether a tRNS chunk came before the image data.
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;   // 1, 2, 4, 8 or 16
    int color_type;  // 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA
    int interlaced;  // 1 for Adam7
    int has_trns;
} cic_png_header;

/// A decoder, or NULL when out of memory.
cic_png *cic_png_create(void);
/// Reads the signature and the chunks before the image data; `chunk_max` bounds the memory of any
/// one ancillary chunk. Sides up to the format's 2^31 - 1 pass: the caller checks the pixel count.
int cic_png_read_header(cic_png *png, const uint8_t *data, size_t size, size_t chunk_max, cic_png_header *header);
/// Decodes to 8-bit samples: palette to RGB (RGBA with tRNS), 1/2/4-bit gray scaled to 8 bits,
/// 16-bit samples to their high byte, Adam7 deinterlaced; tRNS of gray and RGB images ignored.
/// `capacity` must be height * width * `channels`, and `channels` what these rules give.
int cic_png_read_pixels(cic_png *png, uint8_t *pixels, size_t capacity, int channels);
/// The message of the last error.
const char *cic_png_message(const cic_png *png);
void cic_png_destroy(cic_png *png);

/// Encodes 8-bit gray (1), gray + alpha (2), RGB (3) or RGBA (4) pixels, rows top to bottom.
/// `filters` has bit 3 + t set for each filter type t (0 none ... 4 Paeth) the encoder may choose per
/// row (libpng's PNG_FILTER_* mask), `level` is the zlib level 0-9. On success `*output`
/// (free with cic_free) holds `*output_size` bytes; on failure `message` says why.
int cic_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int filters, int level,
                   uint8_t **output, size_t *output_size, char *message, size_t message_capacity);
void cic_free(void *pointer);

// ---- JPEG (libjpeg-turbo, libjpeg 6b API) ----

typedef struct cic_jpeg cic_jpeg;

#define CIC_JPEG_GRAY 1
#define CIC_JPEG_RGB 3   // YCbCr or RGB in the file, decoded to RGB
#define CIC_JPEG_CMYK 4  // CMYK or YCCK in the file, decoded to the CMYK values as stored
#define CIC_JPEG_OTHER 0

/// The frame header's facts the caller checks before decoding.
typedef struct {
    uint32_t width;
    uint32_t height;
    int components;          // in the file
    int color;               // CIC_JPEG_*
    int arithmetic;          // arithmetic entropy coding
    uint64_t blocks;         // 8x8 blocks of all components together
} cic_jpeg_header;

/// A decoder, or NULL when out of memory.
cic_jpeg *cic_jpeg_create(void);
/// Reads the markers up to the first scan.
int cic_jpeg_read_header(cic_jpeg *jpeg, const uint8_t *data, size_t size, cic_jpeg_header *header);
/// Decodes to gray (1), RGB (3) or CMYK (4) samples, as the header's `color` says; `capacity` must be
/// height * width * `channels`. A file that ends before its image data does is an error.
int cic_jpeg_read_pixels(cic_jpeg *jpeg, uint8_t *pixels, size_t capacity, int channels);
/// The message of the last error.
const char *cic_jpeg_message(const cic_jpeg *jpeg);
void cic_jpeg_destroy(cic_jpeg *jpeg);

#endif
