/* Rewrites a Huffman-coded JPEG with arithmetic coding, losslessly (the coefficients are copied).
 * Used by image_codec_refs.py to make a fixture; build with: cc jpeg_arith.c -ljpeg
 * Usage: jpeg_arith IN OUT */
#include <stdio.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s IN OUT\n", argv[0]); return 2; }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) { perror("open"); return 1; }
    struct jpeg_decompress_struct src;
    struct jpeg_compress_struct dst;
    struct jpeg_error_mgr src_err, dst_err;
    src.err = jpeg_std_error(&src_err);
    dst.err = jpeg_std_error(&dst_err);
    jpeg_create_decompress(&src);
    jpeg_create_compress(&dst);
    jpeg_stdio_src(&src, in);
    jpeg_read_header(&src, TRUE);
    jvirt_barray_ptr *coefficients = jpeg_read_coefficients(&src);
    jpeg_copy_critical_parameters(&src, &dst);
    dst.arith_code = TRUE;
    jpeg_stdio_dest(&dst, out);
    jpeg_write_coefficients(&dst, coefficients);
    jpeg_finish_compress(&dst);
    jpeg_finish_decompress(&src);
    jpeg_destroy_compress(&dst);
    jpeg_destroy_decompress(&src);
    fclose(in);
    fclose(out);
    return 0;
}
