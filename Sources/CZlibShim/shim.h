// The system zlib, seen from Swift. zlib's init entry points are C macros, which Swift cannot
// call, so they are wrapped here as inline functions.
#ifndef DIMR_CZLIB_SHIM_H
#define DIMR_CZLIB_SHIM_H

#include <zlib.h>

/// Starts inflating; window_bits as inflateInit2 (15 zlib, 16+15 gzip, -15 raw deflate).
static inline int czlib_inflate_init(z_stream *stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

/// Starts deflating at `level` (memory level 8, default strategy); window_bits as for inflating.
static inline int czlib_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}

#endif
