// Where two runs of 16 (or 32) bytes differ, as a mask (bit j set where byte j differs), for the fleet reader's
// comparison of a host's entry with the one read before (`EntryShapes.sameButDigits`). With SSE2 (every
// x86-64) a run of 16 is a compare and a move-mask; Swift's own SIMD types reduce through a call. Header
// only: the functions are inlined into the Swift that calls them. (A change here is not seen by an
// incremental build of the Swift that imports it: touch the caller.)
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline uint32_t bkdiag_diff16(const uint8_t *a, const uint8_t *b) {
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)a);
    __m128i y = _mm_loadu_si128((const __m128i *)b);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) ^ 0xFFFFu;
#else
    uint64_t x[2], y[2];
    memcpy(x, a, 16);
    memcpy(y, b, 16);
    if (x[0] == y[0] && x[1] == y[1]) return 0;
    uint32_t mask = 0;
    for (int j = 0; j < 16; j++) mask |= (uint32_t)(a[j] != b[j]) << j;
    return mask;
#endif
}

static inline uint32_t bkdiag_diff32(const uint8_t *a, const uint8_t *b) {
    return bkdiag_diff16(a, b) | (bkdiag_diff16(a + 16, b + 16) << 16);
}
