#ifndef REACTOR_CEPOLL_H
#define REACTOR_CEPOLL_H
/*
 * Forwarders for the Linux interfaces Swift's Glibc module does not import (or imports unusably):
 * epoll, timerfd, signalfd, eventfd, pidfd, pipe2, accept4, socket with SOCK_NONBLOCK|SOCK_CLOEXEC,
 * posix_spawn with file actions and signal attributes, waitid(P_PIDFD), the wait-status macros and
 * isatty. No logic lives here.
 *
 * _GNU_SOURCE is defined in cSettings / the .c file only: defining it in a header Swift imports
 * breaks fd_set in Glibc's module.
 */
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <signal.h>

#pragma clang assume_nonnull begin

/* A mirror of struct epoll_event, whose header Swift does not import. The kernel's struct is packed on
 * x86_64 only (12 bytes, data at offset 4: glibc's __EPOLL_PACKED); elsewhere, aarch64 included, it has
 * natural alignment (16 bytes, data at offset 8). The mirror follows, and CEpoll.c checks size and
 * offsets against <sys/epoll.h> at compile time. */
#ifndef REACTOR_EPOLL_PACKED /* predefined only by the layout test, to show the checks refuse a wrong one */
#if defined(__x86_64__)
#define REACTOR_EPOLL_PACKED __attribute__((packed))
#else
#define REACTOR_EPOLL_PACKED
#endif
#endif
struct reactor_epoll_event {
    uint32_t events;
    uint64_t data;
} REACTOR_EPOLL_PACKED;

extern const uint32_t reactor_EPOLLIN;
extern const uint32_t reactor_EPOLLOUT;
extern const uint32_t reactor_EPOLLERR;
extern const uint32_t reactor_EPOLLHUP;
extern const uint32_t reactor_EPOLLRDHUP;
extern const int reactor_EPOLL_CTL_ADD;
extern const int reactor_EPOLL_CTL_MOD;
extern const int reactor_EPOLL_CTL_DEL;

/* epoll_create1(EPOLL_CLOEXEC) */
int reactor_epoll_create(void);
/* epoll_ctl */
int reactor_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/* epoll_wait */
int reactor_epoll_wait(int epfd, struct reactor_epoll_event *events, int maxevents, int timeout_ms);

/* timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK|TFD_CLOEXEC) */
int reactor_timerfd_create(void);
/* timerfd_settime with an absolute CLOCK_MONOTONIC deadline in ns; 0 disarms. */
int reactor_timerfd_set_absolute(int fd, uint64_t deadline_ns);

/* clock_gettime(CLOCK_MONOTONIC) in ns */
uint64_t reactor_monotonic_ns(void);
/* clock_gettime(CLOCK_REALTIME) in ns */
uint64_t reactor_realtime_ns(void);

/* Block the given signals (sigprocmask) and create a signalfd(NONBLOCK|CLOEXEC) for them. */
int reactor_signalfd_create(const int *signals, int count);
/* Read one signalfd_siginfo; returns the signal number, 0 if none pending (EAGAIN), -1 on error. */
int reactor_signalfd_read(int fd, int32_t *pid_out);

/* eventfd(0, NONBLOCK|CLOEXEC) */
int reactor_eventfd_create(void);

/* pidfd_open(pid, 0) through syscall(2); the fd is CLOEXEC by kernel definition. */
int reactor_pidfd_open(pid_t pid);
/* pidfd_send_signal(pidfd, sig, NULL, 0) through syscall(2). */
int reactor_pidfd_send_signal(int pidfd, int sig);

/* pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) */
int reactor_pipe2(int fds[_Nonnull 2], int nonblock);

/* accept4(fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC) */
int reactor_accept4(int fd);
/* socket(domain, type|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) */
int reactor_socket(int domain, int type);

/* posix_spawn (search_path == 0) or posix_spawnp (argv[0] looked up in the daemon's own PATH, not in envp)
 * of argv with the environment envp (NULL-terminated arrays). The child's stdin/stdout/stderr are dup'ed
 * from in_fd/out_fd/err_fd (-1 = /dev/null). All signals are unblocked and reset to their default
 * disposition in the child. Returns 0 and sets *pid, or an errno value. */
int reactor_spawn(pid_t *pid, const char *path, char *const _Nullable argv[_Nonnull],
                  char *const _Nullable envp[_Nonnull], int in_fd, int out_fd, int err_fd, int search_path);

/* waitid(P_PIDFD, pidfd, WEXITED|WNOHANG); returns 1 and fills code/status when reaped, 0 if still running,
 * -1 on error. code: 1 exited, 2 killed/dumped. */
int reactor_pidfd_reap(int pidfd, int *code, int *status);

/* Wait-status macros, which Swift cannot import. */
int reactor_wifexited(int status);
int reactor_wexitstatus(int status);
int reactor_wifsignaled(int status);
int reactor_wtermsig(int status);

/* isatty(3) */
int reactor_isatty(int fd);

#pragma clang assume_nonnull end
#endif
