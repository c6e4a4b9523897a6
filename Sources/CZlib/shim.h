#ifndef REACTOR_CZLIB_SHIM_H
#define REACTOR_CZLIB_SHIM_H
#include <zlib.h>
#endif
