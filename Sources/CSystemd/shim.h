#ifndef REACTOR_CSYSTEMD_SHIM_H
#define REACTOR_CSYSTEMD_SHIM_H
/* libsystemd's notify and journal APIs. sd_journal_sendv needs struct iovec, which sys/uio.h declares. */
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
