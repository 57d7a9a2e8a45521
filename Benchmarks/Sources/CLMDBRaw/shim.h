#ifndef TICKETLEDGER_CLMDB_SHIM_H
#define TICKETLEDGER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
