#ifndef COACHSPOOL_ENCODER_KERNELS_H
#define COACHSPOOL_ENCODER_KERNELS_H
// The element-wise parts of the BERT encoder, between OpenBLAS's matrix products. Written in C
// with clang vector types and compiled for AVX-512, AVX2+FMA and baseline x86-64 with run-time
// selection, because Swift cannot select by CPU at run time and its generic SIMD
// operations (min/max, reductions, rounding) do not vectorise.
#include <stddef.h>

// Softmax of each of `rows` rows of `columns` values (rows `stride` floats apart), in place.
void cs_softmax_rows(float *matrix, size_t rows, size_t columns, size_t stride);

// GELU in its exact (erf) form, in place.
void cs_gelu(float *values, size_t count);

// rows[i] = LayerNorm(rows[i] + update[i]) · gamma + beta, for `rows` rows of `width` values
// (`width` a multiple of 16); biased variance, as PyTorch.
void cs_add_layer_norm(float *rows, const float *update, size_t count, size_t width,
                       const float *gamma, const float *beta, float epsilon);

// The variant in use on this CPU: "avx512", "avx2+fma" or "baseline".
const char *cs_instruction_set(void);

// exp and erf of each value (for tests of the approximations).
void cs_exp(const float *input, float *output, size_t count);
void cs_erf(const float *input, float *output, size_t count);
#endif
