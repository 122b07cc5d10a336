#ifndef BKDIAG_CZLIB_SHIM_H
#define BKDIAG_CZLIB_SHIM_H
#include <zlib.h>
#endif
