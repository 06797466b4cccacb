#include "cs_cpu.h"
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

unsigned cs_cpu_features(void) {
    unsigned bits = 0;
#if defined(__x86_64__)
    // compiler-rt checks XGETBV too: AVX and AVX-512 features count only with OS support.
    __builtin_cpu_init();
#define FEATURE(name, bit) if (__builtin_cpu_supports(name)) bits |= (bit)
    FEATURE("sse3", CS_CPU_SSE3);
    FEATURE("ssse3", CS_CPU_SSSE3);
    FEATURE("sse4.2", CS_CPU_SSE4_2);
    FEATURE("avx", CS_CPU_AVX);
    FEATURE("avx2", CS_CPU_AVX2);
    FEATURE("fma", CS_CPU_FMA);
    FEATURE("avx512f", CS_CPU_AVX512F);
    FEATURE("avx512bw", CS_CPU_AVX512BW);
    FEATURE("avx512dq", CS_CPU_AVX512DQ);
    FEATURE("avx512vl", CS_CPU_AVX512VL);
    FEATURE("avx512cd", CS_CPU_AVX512CD);
    FEATURE("avx512bf16", CS_CPU_AVX512BF16);
#undef FEATURE
#endif
    return bits;
}

void cs_cpu_signature(unsigned *family, unsigned *model) {
    *family = 0;
    *model = 0;
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
    unsigned base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
    *family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
    *model = (base_family == 0x6 || base_family == 0xf) ? base_model | (((eax >> 16) & 0xf) << 4) : base_model;
#endif
}

void cs_cpu_brand(char *out, size_t size) {
    if (size == 0) return;
    out[0] = 0;
#if defined(__x86_64__)
    unsigned regs[12];
    unsigned highest = __get_cpuid_max(0x80000000u, 0);
    if (highest < 0x80000004u) return;
    for (unsigned leaf = 0; leaf < 3; leaf++)
        __get_cpuid(0x80000002u + leaf, &regs[leaf * 4], &regs[leaf * 4 + 1], &regs[leaf * 4 + 2], &regs[leaf * 4 + 3]);
    char brand[49];
    memcpy(brand, regs, 48);
    brand[48] = 0;
    const char *start = brand;
    while (*start == ' ') start++;
    size_t length = strlen(start);
    while (length > 0 && start[length - 1] == ' ') length--;
    if (length >= size) length = size - 1;
    memcpy(out, start, length);
    out[length] = 0;
#endif
}
