#define _GNU_SOURCE
#include "signal_io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

int mw_sigio_signal(void) {
    // SIGRTMIN itself is free for applications once glibc has taken its own; +3 keeps clear of
    // libraries that pick SIGRTMIN or SIGRTMIN+1 by habit.
    return SIGRTMIN + 3;
}

int mw_sigio_overflow_signal(void) { return SIGIO; }

int mw_sigio_thread_id(void) { return (int)gettid(); }

static void readiness_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, mw_sigio_signal());
    sigaddset(set, SIGIO);
}

int mw_sigio_block_on_this_thread(void) {
    sigset_t set;
    readiness_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int mw_sigio_is_blocked_on_this_thread(void) {
    sigset_t current;
    if (pthread_sigmask(SIG_BLOCK, NULL, &current) != 0) return 0;
    return sigismember(&current, mw_sigio_signal()) == 1 && sigismember(&current, SIGIO) == 1;
}

int mw_sigio_signalfd(void) {
    sigset_t set;
    readiness_set(&set);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int mw_sigio_make_signal_driven(int fd, int thread_id) {
    // Signal number and owner first: O_ASYNC without them would send SIGIO to the process.
    if (fcntl(fd, F_SETSIG, mw_sigio_signal()) == -1) return errno;
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = thread_id};
    if (fcntl(fd, F_SETOWN_EX, &owner) == -1) return errno;
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1) return errno;
    if ((flags & O_ASYNC) == 0 && fcntl(fd, F_SETFL, flags | O_ASYNC | O_NONBLOCK) == -1) return errno;
    return 0;
}

int mw_sigio_owner_thread(int fd) {
    struct f_owner_ex owner;
    if (fcntl(fd, F_GETOWN_EX, &owner) == -1 || owner.type != F_OWNER_TID) return -1;
    return owner.pid;
}

int mw_sigio_record_size(void) { return (int)sizeof(struct signalfd_siginfo); }

mw_sigio_record mw_sigio_decode(const void *bytes) {
    struct signalfd_siginfo info;
    memcpy(&info, bytes, sizeof info);
    mw_sigio_record record = {.signal = (int)info.ssi_signo, .fd = info.ssi_fd, .band = (long)info.ssi_band};
    return record;
}

int mw_sigio_set_queue_limit(unsigned long limit, unsigned long *previous) {
    struct rlimit current;
    if (getrlimit(RLIMIT_SIGPENDING, &current) != 0) return errno;
    *previous = (unsigned long)current.rlim_cur;
    current.rlim_cur = (rlim_t)limit;
    if (setrlimit(RLIMIT_SIGPENDING, &current) != 0) return errno;
    return 0;
}

static int shutdown_pipe_write = -1;
static atomic_int shutdown_armed = 0;

static void shutdown_handler(int sig) {
    if (!atomic_load(&shutdown_armed)) {
        // Nobody to shut down gracefully: what the signal would have done without us.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    int saved = errno;
    unsigned char number = (unsigned char)sig;
    // Non-blocking: with the pipe full, shutdown is already under way.
    (void)!write(shutdown_pipe_write, &number, 1);
    errno = saved;
}

int mw_shutdown_signals_pipe(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    shutdown_pipe_write = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = shutdown_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) return -1;
    return fds[0];
}

void mw_shutdown_signals_arm(int armed) { atomic_store(&shutdown_armed, armed ? 1 : 0); }
