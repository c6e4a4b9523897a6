#ifndef _GNU_SOURCE /* also set by cSettings */
#define _GNU_SOURCE
#endif
#include "CEpoll.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <stddef.h>

/* reactor_epoll_wait hands the kernel an array of the mirror: it must be struct epoll_event exactly. */
_Static_assert(sizeof(struct epoll_event) == sizeof(struct reactor_epoll_event), "epoll_event size");
_Static_assert(offsetof(struct epoll_event, events) == offsetof(struct reactor_epoll_event, events), "epoll_event.events offset");
_Static_assert(offsetof(struct epoll_event, data) == offsetof(struct reactor_epoll_event, data), "epoll_event.data offset");
#if defined(__x86_64__)
_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event is 12 packed bytes on x86_64");
#elif defined(__aarch64__)
_Static_assert(sizeof(struct epoll_event) == 16, "epoll_event is 16 naturally aligned bytes on aarch64");
#endif

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

const uint32_t reactor_EPOLLIN = EPOLLIN;
const uint32_t reactor_EPOLLOUT = EPOLLOUT;
const uint32_t reactor_EPOLLERR = EPOLLERR;
const uint32_t reactor_EPOLLHUP = EPOLLHUP;
const uint32_t reactor_EPOLLRDHUP = EPOLLRDHUP;
const int reactor_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int reactor_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int reactor_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int reactor_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int reactor_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int reactor_epoll_wait(int epfd, struct reactor_epoll_event *events, int maxevents, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, maxevents, timeout_ms);
}

int reactor_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int reactor_timerfd_set_absolute(int fd, uint64_t deadline_ns) {
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

uint64_t reactor_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t reactor_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int reactor_signalfd_create(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int reactor_signalfd_read(int fd, int32_t *pid_out) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return (errno == EAGAIN) ? 0 : -1;
    if (n != sizeof info) { errno = EIO; return -1; }
    if (pid_out) *pid_out = (int32_t)info.ssi_pid;
    return (int)info.ssi_signo;
}

int reactor_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int reactor_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int reactor_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int reactor_pipe2(int fds[2], int nonblock) { return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)); }

int reactor_accept4(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int reactor_socket(int domain, int type) { return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

int reactor_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd,
                  int err_fd, int search_path) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc;
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) return rc;
    if ((rc = posix_spawnattr_init(&attr)) != 0) { posix_spawn_file_actions_destroy(&fa); return rc; }
    int fds[3] = {in_fd, out_fd, err_fd};
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0) {
            /* dup2 clears CLOEXEC on the target; the source stays CLOEXEC and vanishes at exec. */
            rc = posix_spawn_file_actions_adddup2(&fa, fds[i], i);
        } else {
            rc = posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
        }
        if (rc != 0) goto out;
    }
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = search_path ? posix_spawnp(pid, path, &fa, &attr, argv, envp) : posix_spawn(pid, path, &fa, &attr, argv, envp);
out:
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int reactor_pidfd_reap(int pidfd, int *code, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) < 0) return -1;
    if (info.si_pid == 0) return 0;
    *code = (info.si_code == CLD_EXITED) ? 1 : 2;
    *status = info.si_status;
    return 1;
}

int reactor_wifexited(int status) { return WIFEXITED(status); }
int reactor_wexitstatus(int status) { return WEXITSTATUS(status); }
int reactor_wifsignaled(int status) { return WIFSIGNALED(status); }
int reactor_wtermsig(int status) { return WTERMSIG(status); }
int reactor_isatty(int fd) { return isatty(fd); }
