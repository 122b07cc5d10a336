#ifndef BKDIAG_CYAML_SHIM_H
#define BKDIAG_CYAML_SHIM_H
#include <yaml.h>
#endif
