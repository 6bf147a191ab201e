// PNG decoding and encoding through libpng, with libpng's longjmp errors caught here.
#include "cimagecodecs.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_CAPACITY 256

struct cic_png {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    char warning[MESSAGE_CAPACITY];  // the first warning, told with a later error (libpng explains IHDR errors so)
    char message[2 * MESSAGE_CAPACITY + 8];
};

static void set_message(char *buffer, size_t capacity, const char *text) {
    snprintf(buffer, capacity, "%s", text ? text : "unknown error");
}

static void on_error(png_structp png, png_const_charp text) {
    cic_png *state = png_get_error_ptr(png);
    if (state->warning[0])
        snprintf(state->message, sizeof state->message, "%.*s (%s)", MESSAGE_CAPACITY, text, state->warning);
    else
        set_message(state->message, sizeof state->message, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    cic_png *state = png_get_error_ptr(png);
    if (!state->warning[0]) set_message(state->warning, MESSAGE_CAPACITY, text);
}

static void read_bytes(png_structp png, png_bytep out, size_t count) {
    cic_png *state = png_get_io_ptr(png);
    if (count > state->size - state->offset) {
        state->warning[0] = 0;
        png_error(png, "truncated PNG: the data ends before the image does");
    }
    memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

cic_png *cic_png_create(void) { return calloc(1, sizeof(cic_png)); }

int cic_png_read_header(cic_png *state, const uint8_t *data, size_t size, size_t chunk_max, cic_png_header *header) {
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        set_message(state->message, sizeof state->message,
                    size < 8 ? "truncated PNG: shorter than the signature" : "not a PNG file (bad signature)");
        return CIC_ERROR;
    }
    state->data = data;
    state->size = size;
    state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (!state->png || !(state->info = png_create_info_struct(state->png))) {
        set_message(state->message, sizeof state->message, "out of memory starting libpng");
        return CIC_ERROR;
    }
    if (setjmp(png_jmpbuf(state->png))) return CIC_ERROR;
    png_set_read_fn(state->png, state, read_bytes);
    // libpng's default side limit (1,000,000) would refuse images within the caller's pixel limit
    // (2,000,000 x 1): allow the format's maximum, the caller checks width x height from the header.
    png_set_user_limits(state->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_chunk_malloc_max(state->png, chunk_max);
    // Skip every ancillary chunk but tRNS: none changes the pixels we return, and the text,
    // ICC and private chunks are the ones libpng would allocate memory for.
    png_set_keep_unknown_chunks(state->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(state->png, state->info);

    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(state->png, state->info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    header->width = width;
    header->height = height;
    header->bit_depth = depth;
    header->color_type = color;
    header->interlaced = interlace == PNG_INTERLACE_ADAM7;
    header->has_trns = png_get_valid(state->png, state->info, PNG_INFO_tRNS) != 0;
    return CIC_OK;
}

int cic_png_read_pixels(cic_png *state, uint8_t *pixels, size_t capacity, int channels) {
    png_structp png = state->png;
    png_infop info = state->info;
    state->warning[0] = 0;
    if (setjmp(png_jmpbuf(png))) return CIC_ERROR;
    int color = png_get_color_type(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    }
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    png_set_strip_16(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (png_get_channels(png, info) != channels || png_get_bit_depth(png, info) != 8 || height == 0
        || row_bytes != capacity / height || capacity % height != 0)
        png_error(png, "decoded layout differs from the one computed from the header");
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < height; y++) png_read_row(png, pixels + (size_t)y * row_bytes, NULL);
    png_read_end(png, NULL);
    return CIC_OK;
}

const char *cic_png_message(const cic_png *state) { return state->message; }

void cic_png_destroy(cic_png *state) {
    if (!state) return;
    if (state->png) png_destroy_read_struct(&state->png, state->info ? &state->info : NULL, NULL);
    free(state);
}

// ---- encoding ----

typedef struct {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
    char *message;
    size_t message_capacity;
} output_state;

static void on_write_error(png_structp png, png_const_charp text) {
    output_state *out = png_get_error_ptr(png);
    set_message(out->message, out->message_capacity, text);
    png_longjmp(png, 1);
}

static void on_write_warning(png_structp png, png_const_charp text) { (void)png, (void)text; }

static void write_bytes(png_structp png, png_bytep data, size_t count) {
    output_state *out = png_get_io_ptr(png);
    if (count > out->capacity - out->size) {
        size_t grown = out->capacity ? out->capacity : 4096;
        while (grown - out->size < count) {
            if (grown > SIZE_MAX / 2) png_error(png, "encoded PNG too large");
            grown *= 2;
        }
        uint8_t *bytes = realloc(out->bytes, grown);
        if (!bytes) png_error(png, "out of memory writing the PNG");
        out->bytes = bytes;
        out->capacity = grown;
    }
    memcpy(out->bytes + out->size, data, count);
    out->size += count;
}

static void flush_bytes(png_structp png) { (void)png; }

int cic_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int filters, int level,
                   uint8_t **output, size_t *output_size, char *message, size_t message_capacity) {
    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    *output = NULL;
    *output_size = 0;
    if (channels < 1 || channels > 4) {
        set_message(message, message_capacity, "a PNG is written from 1 to 4 channels");
        return CIC_ERROR;
    }
    // On the heap, so that nothing the error path reads is a local changed after setjmp.
    output_state *out = calloc(1, sizeof(output_state));
    png_structp png = out ? png_create_write_struct(PNG_LIBPNG_VER_STRING, out, on_write_error, on_write_warning)
                          : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(out);
        set_message(message, message_capacity, "out of memory starting libpng");
        return CIC_ERROR;
    }
    out->message = message;
    out->message_capacity = message_capacity;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(out->bytes);
        free(out);
        return CIC_ERROR;
    }
    png_set_write_fn(png, out, write_bytes, flush_bytes);
    png_set_IHDR(png, info, width, height, 8, color_types[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_compression_level(png, level);
    png_write_info(png, info);
    size_t row_bytes = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * row_bytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *output = out->bytes;
    *output_size = out->size;
    free(out);
    return CIC_OK;
}

void cic_free(void *pointer) { free(pointer); }
