#ifndef COACHSPOOL_CLIBPQ_SHIM_H
#define COACHSPOOL_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
#endif
