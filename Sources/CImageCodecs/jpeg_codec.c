// JPEG decoding through libjpeg-turbo. libjpeg's default error_exit calls exit(); here it
// longjmps back to the entry point that was called, which returns a status instead.
#include "cimagecodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

// A progressive file may hold any number of scans, each costing a pass over the whole image:
// more than this many is refused (real encoders write about ten).
#define MAX_SCANS 1000

struct cic_jpeg {
    struct jpeg_decompress_struct info;
    struct jpeg_error_mgr errors;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int created;
    char message[JMSG_LENGTH_MAX + 64];
};

static void on_error(j_common_ptr info) {
    cic_jpeg *state = (cic_jpeg *)info->client_data;
    (*info->err->format_message)(info, state->message);
    longjmp(state->jump, 1);
}

// Warnings are tolerated (libjpeg recovers from corrupt entropy data, as PIL lets it), except those
// saying that image data is missing: the file or a scan ended early, and libjpeg would fill the rest
// of the image with gray.
static void on_message(j_common_ptr info, int level) {
    if (level < 0) {
        info->err->num_warnings++;
        if (info->err->msg_code == JWRN_JPEG_EOF || info->err->msg_code == JWRN_HIT_MARKER) on_error(info);
    }
}

static void on_output(j_common_ptr info) { (void)info; }

static void on_progress(j_common_ptr info) {
    cic_jpeg *state = (cic_jpeg *)info->client_data;
    if (state->info.input_scan_number > MAX_SCANS) {
        snprintf(state->message, sizeof state->message, "more than %d scans in a progressive JPEG", MAX_SCANS);
        longjmp(state->jump, 1);
    }
}

cic_jpeg *cic_jpeg_create(void) { return calloc(1, sizeof(cic_jpeg)); }

int cic_jpeg_read_header(cic_jpeg *state, const uint8_t *data, size_t size, cic_jpeg_header *header) {
    struct jpeg_decompress_struct *info = &state->info;
    info->err = jpeg_std_error(&state->errors);
    state->errors.error_exit = on_error;
    state->errors.emit_message = on_message;
    state->errors.output_message = on_output;
    info->client_data = state;
    if (setjmp(state->jump)) return CIC_ERROR;
    jpeg_create_decompress(info);
    state->created = 1;
    state->progress.progress_monitor = on_progress;
    info->progress = &state->progress;
    jpeg_mem_src(info, data, (unsigned long)size);
    jpeg_read_header(info, TRUE);

    header->width = info->image_width;
    header->height = info->image_height;
    header->components = info->num_components;
    header->arithmetic = info->arith_code;
    switch (info->jpeg_color_space) {
    case JCS_GRAYSCALE: header->color = CIC_JPEG_GRAY; break;
    case JCS_YCbCr: case JCS_RGB: header->color = CIC_JPEG_RGB; break;
    case JCS_CMYK: case JCS_YCCK: header->color = CIC_JPEG_CMYK; break;
    default: header->color = CIC_JPEG_OTHER; break;
    }
    // At most 10 components of at most 8192 x 8192 blocks (65500 pixels): no overflow.
    header->blocks = 0;
    for (int c = 0; c < info->num_components; c++)
        header->blocks += (uint64_t)info->comp_info[c].width_in_blocks * info->comp_info[c].height_in_blocks;
    return CIC_OK;
}

int cic_jpeg_read_pixels(cic_jpeg *state, uint8_t *pixels, size_t capacity, int channels) {
    struct jpeg_decompress_struct *info = &state->info;
    if (setjmp(state->jump)) return CIC_ERROR;
    switch (info->jpeg_color_space) {
    case JCS_GRAYSCALE: info->out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr: case JCS_RGB: info->out_color_space = JCS_RGB; break;
    case JCS_CMYK: case JCS_YCCK: info->out_color_space = JCS_CMYK; break;
    default: ERREXIT(info, JERR_CONVERSION_NOTIMPL);
    }
    jpeg_start_decompress(info);
    size_t row_bytes = (size_t)info->output_width * (size_t)info->output_components;
    if (info->output_components != channels || info->output_height == 0 || row_bytes != capacity / info->output_height
        || capacity % info->output_height != 0) {
        snprintf(state->message, sizeof state->message, "decoded layout differs from the one computed from the header");
        return CIC_ERROR;
    }
    while (info->output_scanline < info->output_height) {
        JSAMPROW row = pixels + (size_t)info->output_scanline * row_bytes;
        if (jpeg_read_scanlines(info, &row, 1) != 1) ERREXIT(info, JERR_INPUT_EOF);
    }
    jpeg_finish_decompress(info);
    return CIC_OK;
}

const char *cic_jpeg_message(const cic_jpeg *state) { return state->message; }

void cic_jpeg_destroy(cic_jpeg *state) {
    if (!state) return;
    if (state->created) jpeg_destroy_decompress(&state->info);
    free(state);
}
