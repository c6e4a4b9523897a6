#ifndef REACTOR_CSYSTEMD_SHIM_H
#define REACTOR_CSYSTEMD_SHIM_H
// libsystemd's public headers, for Sources/ReactorSystem only: sd_notify (readiness, watchdog, the
// file descriptor store), sd_listen_fds_with_names (socket activation) and sd_journal_sendv
// (structured journal entries), and sd-bus (the promoter's view of systemd's units, driven by the
// daemon's epoll loop; only the non-variadic calls are usable from Swift). No logic lives here.
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
