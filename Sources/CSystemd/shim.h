#ifndef BKDIAG_CSYSTEMD_SHIM_H
#define BKDIAG_CSYSTEMD_SHIM_H
// libsystemd's headers give the types and constants; the library itself is opened with dlopen on
// the daemon's first call, never at program start. A one-shot `bkdiag --once` (what JOB runs on every
// host) then does not load libsystemd and the six libraries it pulls in (liblzma, libzstd, liblz4,
// libcap, libgcrypt, libgpg-error), and the binary still runs where libsystemd is not installed:
// every wrapper answers -ENOSYS, which the daemon treats as "not started by systemd".
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

static inline void *bkdiag_sd_symbol(const char *name) {
    static void *handle;
    void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (h == NULL) {
        h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) return NULL;
        __atomic_store_n(&handle, h, __ATOMIC_RELEASE);
    }
    return dlsym(h, name);
}

/// 1 when libsystemd could be opened.
static inline int bkdiag_sd_loaded(void) { return bkdiag_sd_symbol("sd_notify") != NULL; }

static inline int bkdiag_sd_notify(int unset_environment, const char *state) {
    int (*f)(int, const char *) = (int (*)(int, const char *))bkdiag_sd_symbol("sd_notify");
    return f ? f(unset_environment, state) : -ENOSYS;
}

static inline int bkdiag_sd_watchdog_enabled(int unset_environment, uint64_t *usec) {
    int (*f)(int, uint64_t *) = (int (*)(int, uint64_t *))bkdiag_sd_symbol("sd_watchdog_enabled");
    return f ? f(unset_environment, usec) : -ENOSYS;
}

static inline int bkdiag_sd_listen_fds(int unset_environment) {
    int (*f)(int) = (int (*)(int))bkdiag_sd_symbol("sd_listen_fds");
    return f ? f(unset_environment) : -ENOSYS;
}

static inline int bkdiag_sd_is_socket_unix(int fd, int type, int listening, const char *path, size_t length) {
    int (*f)(int, int, int, const char *, size_t) =
        (int (*)(int, int, int, const char *, size_t))bkdiag_sd_symbol("sd_is_socket_unix");
    return f ? f(fd, type, listening, path, length) : -ENOSYS;
}

static inline int bkdiag_sd_journal_sendv(const struct iovec *iov, int n) {
    int (*f)(const struct iovec *, int) = (int (*)(const struct iovec *, int))bkdiag_sd_symbol("sd_journal_sendv");
    return f ? f(iov, n) : -ENOSYS;
}
#endif
