#include "encoder_kernels.h"
#include <math.h>
#include <string.h>

// One copy of the kernels per instruction set, chosen at run time. (clang's target_clones
// cannot be used: helpers taking 16-float vectors must share their caller's target.)
// Within one variant every helper is compiled for the same target, so the 16-float vector ABI
// warning (about calls across targets) does not apply.
#pragma clang diagnostic ignored "-Wpsabi"
typedef float v16 __attribute__((ext_vector_type(16)));
typedef int i16 __attribute__((ext_vector_type(16)));
typedef unsigned u16 __attribute__((ext_vector_type(16)));

#define K(name) name##_baseline
#include "kernels_body.inc"
#undef K

#if defined(__x86_64__)
#define HAVE_X86_VARIANTS 1
#define K(name) name##_avx2
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "kernels_body.inc"
#pragma clang attribute pop
#undef K

#define K(name) name##_avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#include "kernels_body.inc"
#pragma clang attribute pop
#undef K
#endif

enum level { BASELINE, AVX2, AVX512 };

static enum level cpu_level(void) {
#ifdef HAVE_X86_VARIANTS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AVX2;
#endif
    return BASELINE;
}

#ifdef HAVE_X86_VARIANTS
#define DISPATCH(name, ...)                                  \
    switch (cpu_level()) {                                   \
    case AVX512: name##_avx512(__VA_ARGS__); return;         \
    case AVX2: name##_avx2(__VA_ARGS__); return;             \
    default: name##_baseline(__VA_ARGS__); return;           \
    }
#else
#define DISPATCH(name, ...) name##_baseline(__VA_ARGS__)
#endif

void cs_softmax_rows(float *matrix, size_t rows, size_t columns, size_t stride) {
    DISPATCH(cs_softmax_rows, matrix, rows, columns, stride);
}

void cs_gelu(float *values, size_t count) { DISPATCH(cs_gelu, values, count); }

void cs_add_layer_norm(float *rows, const float *update, size_t count, size_t width,
                       const float *gamma, const float *beta, float epsilon) {
    DISPATCH(cs_add_layer_norm, rows, update, count, width, gamma, beta, epsilon);
}

void cs_exp(const float *input, float *output, size_t count) { DISPATCH(cs_exp, input, output, count); }

void cs_erf(const float *input, float *output, size_t count) { DISPATCH(cs_erf, input, output, count); }

const char *cs_instruction_set(void) {
    switch (cpu_level()) {
    case AVX512: return "avx512";
    case AVX2: return "avx2+fma";
    default: return "baseline";
    }
}
