/*
 * Funnel's optional C kernels: float32 dot product and squared L2 distance with AVX2 + FMA,
 * and a signed int8 dot product with AVX2,, loaded through FFM by
 * io.funnel.ffi.NativeKernels. They exist to keep the Java Vector API kernels honest in benchmarks; nothing in
 * Funnel needs them.
 *
 * The file is compiled WITHOUT -mavx2: only the kernels carry target("avx2,fma"), so that the library loads on any
 * x86-64 CPU and funnel_kernels_supported() can be called first to decide whether the kernels may run.
 *
 * Threading: every function is pure (reads its inputs, writes nothing) and safe from any number of threads.
 */
#include <immintrin.h>
#include <stdint.h>

/* 1 when this CPU has AVX2 and FMA (the kernels may be called), 0 otherwise. */
int32_t funnel_kernels_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
}

/* ABI version of this library; NativeKernels refuses a library whose version it does not know. */
int32_t funnel_kernels_version(void) {
    return 2;
}

__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 shuf = _mm_movehdup_ps(lo);
    __m128 sums = _mm_add_ps(lo, shuf);
    shuf = _mm_movehl_ps(shuf, sums);
    sums = _mm_add_ss(sums, shuf);
    return _mm_cvtss_f32(sums);
}

/* Dot product of n floats of a and b (unaligned loads). Four accumulators hide the FMA latency. */
__attribute__((target("avx2,fma")))
float funnel_dot_f32(const float *a, const float *b, int32_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    }
    float sum = hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; i++) {
        sum += a[i] * b[i];
    }
    return sum;
}

/* Squared Euclidean distance of n floats of a and b (unaligned loads). */
__attribute__((target("avx2,fma")))
float funnel_squared_l2_f32(const float *a, const float *b, int32_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        acc2 = _mm256_fmadd_ps(d2, d2, acc2);
        acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    float sum = hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

/*
 * Dot product of n signed bytes of a and b, as a 32-bit sum that wraps like Java int arithmetic (it cannot overflow
 * for n < 131072). Bytes widen to 16 bits and _mm256_madd_epi16 adds pairs of products into 32-bit lanes.
 */
__attribute__((target("avx2,fma")))
int32_t funnel_dot_i8(const int8_t *a, const int8_t *b, int32_t n) {
    __m256i acc = _mm256_setzero_si256();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i va = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (a + i)));
        __m256i vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (b + i)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    /* Unsigned arithmetic for the tail: wraps like the vector lanes instead of signed-overflow undefined behaviour. */
    uint32_t sum = (uint32_t) _mm_cvtsi128_si32(s);
    for (; i < n; i++) {
        sum += (uint32_t) ((int32_t) a[i] * (int32_t) b[i]);
    }
    return (int32_t) sum;
}
