// Signal-driven I/O for descriptors an event loop does not own: the readiness bridge between
// libcurl's sockets and a SwiftNIO event loop. Linux only (F_SETSIG, F_SETOWN_EX, signalfd).
#ifndef MODELWATCH_SIGNAL_IO_H
#define MODELWATCH_SIGNAL_IO_H

#include <stdint.h>

/// The real-time signal that carries readiness of the sidecar's upstream sockets.
int mw_sigio_signal(void);

/// The kernel's fallback signal when the real-time signal queue is full (SIGIO).
int mw_sigio_overflow_signal(void);

/// The calling thread's kernel thread id.
int mw_sigio_thread_id(void);

/// Blocks the readiness signal and SIGIO on the calling thread, so that they stay queued for
/// its signalfd instead of running a handler. Returns 0, or an errno value.
int mw_sigio_block_on_this_thread(void);

/// Whether the readiness signal and SIGIO are both blocked on the calling thread.
int mw_sigio_is_blocked_on_this_thread(void);

/// A non-blocking, close-on-exec signalfd that reads the readiness signal and SIGIO; -1 on error.
int mw_sigio_signalfd(void);

/// Makes `fd` report readiness with the readiness signal, queued to thread `thread_id` alone.
/// Returns 0, or an errno value.
int mw_sigio_make_signal_driven(int fd, int thread_id);

/// The thread a descriptor's readiness signals go to, or -1 when they do not go to one thread.
int mw_sigio_owner_thread(int fd);

/// One record read from the signalfd.
typedef struct {
    int signal;
    int fd;
    long band;
} mw_sigio_record;

/// Size of one signalfd record (`struct signalfd_siginfo`).
int mw_sigio_record_size(void);

/// Decodes the record at `bytes`, which holds at least `mw_sigio_record_size()` bytes.
mw_sigio_record mw_sigio_decode(const void *bytes);

/// Sets the soft limit on queued signals (RLIMIT_SIGPENDING), storing the previous one in
/// `previous`; returns 0 or an errno value. Tests set it to 0 to make every real-time signal
/// overflow into SIGIO.
int mw_sigio_set_queue_limit(unsigned long limit, unsigned long *previous);

/// Installs handlers for SIGTERM and SIGINT that write the signal's number to a pipe, and
/// returns the pipe's (blocking) read end, or -1 with errno set. Once per process.
///
/// The shutdown signals then reach the sidecar without a signalfd: a signalfd's wait queue is
/// process-wide, so one watching SIGTERM would be woken by every upstream readiness signal.
/// While no one is armed (`mw_shutdown_signals_arm(0)`), a signal takes its default action.
int mw_shutdown_signals_pipe(void);

/// Whether the handlers pass signals to the pipe (1) or take the default action (0).
void mw_shutdown_signals_arm(int armed);

#endif
