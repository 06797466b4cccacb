#ifndef COACHSPOOL_COPENBLAS_SHIM_H
#define COACHSPOOL_COPENBLAS_SHIM_H
// Debian's libopenblas-dev (pthreads build): cblas_* and openblas_set_num_threads live in
// libopenblas.so.0; pkg-config adds the include path of the variant that is installed.
#include <cblas.h>
#endif
