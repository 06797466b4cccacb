#ifndef COACHSPOOL_CPU_H
#define COACHSPOOL_CPU_H
// What the processor can do, read with CPUID (and XGETBV: a feature counts only when the operating
// system saves its registers). Swift has no CPUID; OpenBLAS's own choice reads model numbers.
#include <stddef.h>

enum {
    CS_CPU_SSE3 = 1u << 0,
    CS_CPU_SSSE3 = 1u << 1,
    CS_CPU_SSE4_2 = 1u << 2,
    CS_CPU_AVX = 1u << 3,
    CS_CPU_AVX2 = 1u << 4,
    CS_CPU_FMA = 1u << 5,
    CS_CPU_AVX512F = 1u << 6,
    CS_CPU_AVX512BW = 1u << 7,
    CS_CPU_AVX512DQ = 1u << 8,
    CS_CPU_AVX512VL = 1u << 9,
    CS_CPU_AVX512CD = 1u << 10,
    CS_CPU_AVX512BF16 = 1u << 11,
};

// The CS_CPU_* bits this CPU and OS support; 0 on other architectures than x86-64.
unsigned cs_cpu_features(void);

// CPUID's display family and model (e.g. 6 and 207); both 0 where there is no CPUID.
void cs_cpu_signature(unsigned *family, unsigned *model);

// The processor's brand string (CPUID 0x80000002–4), without padding; "" where there is none.
void cs_cpu_brand(char *out, size_t size);
#endif
