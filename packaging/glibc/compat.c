// Shims that let the release bkdiag start on glibc 2.17 although it is built on a newer glibc.
//
// Scripts/build-release.sh compiles this file into the node binary only, links it against the stub
// libraries of Scripts/glibc-stubs.py (every glibc symbol bound to its version in glibc 2.17) and wraps
// __libc_start_main. What is here replaces the glibc functions the Swift runtime, libstdc++, libgcc and
// our own code call that do not exist in glibc 2.17 (or changed their symbol version since): each is
// written with what 2.17 has (its older equivalent, or the raw system call), so it behaves the same on
// every glibc. Nothing here is used by the debug build or by bkdiag-fleet.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// --- start-up ----------------------------------------------------------------------------------------
// crt1.o of glibc >= 2.34 passes no init function to __libc_start_main and lets the new libc run the
// program's constructors itself; glibc < 2.34 runs only the init function it is given, so without this
// the Swift runtime's constructors would never run there. Every glibc runs the init function it is given
// (2.34+ keep that path for old binaries), so the wrapper hands over one that does what the old
// __libc_csu_init did: _init, then .init_array. (.preinit_array and .fini_array are the loader's.)
typedef void (*init_fn)(int, char **, char **);
extern init_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern init_fn __init_array_end[] __attribute__((weak, visibility("hidden")));
extern void _init(void);

static void compat_init(int argc, char **argv, char **envp) {
    _init();
    for (init_fn *f = __init_array_start; f < __init_array_end; f++) (*f)(argc, argv, envp);
}

extern int __real___libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                    void (*init)(int, char **, char **), void (*fini)(void),
                                    void (*rtld_fini)(void), void *stack_end);

int __wrap___libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                             void (*init)(int, char **, char **), void (*fini)(void),
                             void (*rtld_fini)(void), void *stack_end) {
    (void)init;
    (void)fini;
    return __real___libc_start_main(main, argc, argv, compat_init, 0, rtld_fini, stack_end);
}

// --- stat family (real symbols since 2.33; before, inline wrappers around __xstat & co.) ---------------
extern int __xstat(int, const char *, struct stat *);
extern int __fxstat(int, int, struct stat *);
extern int __lxstat(int, const char *, struct stat *);
extern int __fxstatat(int, int, const char *, struct stat *, int);
#define STAT_VER 1  // _STAT_VER_LINUX on x86_64

int stat(const char *path, struct stat *buf) { return __xstat(STAT_VER, path, buf); }
int fstat(int fd, struct stat *buf) { return __fxstat(STAT_VER, fd, buf); }
int lstat(const char *path, struct stat *buf) { return __lxstat(STAT_VER, path, buf); }
int fstatat(int dirfd, const char *path, struct stat *buf, int flags) { return __fxstatat(STAT_VER, dirfd, path, buf, flags); }
int stat64(const char *path, struct stat64 *buf) { return __xstat(STAT_VER, path, (struct stat *)buf); }
int fstat64(int fd, struct stat64 *buf) { return __fxstat(STAT_VER, fd, (struct stat *)buf); }
int lstat64(const char *path, struct stat64 *buf) { return __lxstat(STAT_VER, path, (struct stat *)buf); }
int fstatat64(int dirfd, const char *path, struct stat64 *buf, int flags) {
    return __fxstatat(STAT_VER, dirfd, path, (struct stat *)buf, flags);
}

// --- fcntl64 (2.28; on x86_64 the same call as fcntl) -------------------------------------------------
int fcntl64(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl(fd, cmd, arg);
}

// --- libgcc's unwinder: _dl_find_object (2.35) through dl_iterate_phdr, as libgcc did before ----------
// (struct dl_find_object comes from the build host's <dlfcn.h>, glibc >= 2.35, as libgcc's call does.)
struct find_state {
    uintptr_t pc;
    struct dl_find_object *result;
    int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct find_state *st = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    int contains = 0;
    void *eh = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (start < lo) lo = start;
            if (start + ph->p_memsz > hi) hi = start + ph->p_memsz;
            if (st->pc >= start && st->pc < start + ph->p_memsz) contains = 1;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = (void *)start;
        }
    }
    if (!contains) return 0;
    memset(st->result, 0, sizeof *st->result);
    st->result->dlfo_map_start = (void *)lo;
    st->result->dlfo_map_end = (void *)hi;
    st->result->dlfo_eh_frame = eh;
    st->found = 1;
    return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *result) {
    struct find_state st = {(uintptr_t)pc, result, 0};
    dl_iterate_phdr(find_object, &st);
    return st.found ? 0 : -1;
}

// --- libstdc++: __libc_single_threaded (2.32). 0 = "maybe threaded": always the atomic paths. ---------
char __libc_single_threaded = 0;

// --- clock-selecting waits (2.30), on the CLOCK_REALTIME waits 2.17 has --------------------------------
static struct timespec to_realtime(clockid_t clock, const struct timespec *abstime) {
    if (clock == CLOCK_REALTIME) return *abstime;
    struct timespec now_clock, now_real, out;
    clock_gettime(clock, &now_clock);
    clock_gettime(CLOCK_REALTIME, &now_real);
    long long ns = (long long)(abstime->tv_sec - now_clock.tv_sec) * 1000000000LL + (abstime->tv_nsec - now_clock.tv_nsec);
    if (ns < 0) ns = 0;
    out.tv_sec = now_real.tv_sec + (time_t)(ns / 1000000000LL);
    out.tv_nsec = now_real.tv_nsec + (long)(ns % 1000000000LL);
    if (out.tv_nsec >= 1000000000L) { out.tv_sec++; out.tv_nsec -= 1000000000L; }
    return out;
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime) {
    struct timespec t = to_realtime(clock, abstime);
    return pthread_cond_timedwait(cond, mutex, &t);
}

int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime) {
    struct timespec t = to_realtime(clock, abstime);
    return pthread_mutex_timedlock(mutex, &t);
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *lock, clockid_t clock, const struct timespec *abstime) {
    struct timespec t = to_realtime(clock, abstime);
    return pthread_rwlock_timedrdlock(lock, &t);
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *lock, clockid_t clock, const struct timespec *abstime) {
    struct timespec t = to_realtime(clock, abstime);
    return pthread_rwlock_timedwrlock(lock, &t);
}

// --- system calls without a glibc 2.17 wrapper -----------------------------------------------------------
// getrandom (2.25) for Swift's hashing seed and SystemRandomNumberGenerator: the system call, or on
// kernels without it (CentOS 7's 3.10) /dev/urandom.
ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    long n = syscall(SYS_getrandom, buf, len, flags);
    if (n >= 0 || errno != ENOSYS) return n;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t got = read(fd, buf, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return got;
}

static int fill_random(void *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        if (n == 0) { errno = EIO; return -1; }
        done += (size_t)n;
    }
    return 0;
}

int getentropy(void *buf, size_t len) {
    if (len > 256) { errno = EIO; return -1; }
    return fill_random(buf, len);
}

// arc4random (2.36), for libstdc++'s std::random_device: no fallback when no randomness is to be had.
uint32_t arc4random(void) {
    uint32_t v;
    if (fill_random(&v, sizeof v) != 0) abort();
    return v;
}

pid_t gettid(void) { return (pid_t)syscall(SYS_gettid); }

int close_range(unsigned int first, unsigned int last, int flags) {
    return (int)syscall(436 /* SYS_close_range, Linux 5.9 */, first, last, flags);
}

void *reallocarray(void *ptr, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) { errno = ENOMEM; return 0; }
    return realloc(ptr, n * size);
}

// --- thread_local destructors: __cxa_thread_atexit_impl (2.18) --------------------------------------------
// Each thread keeps its list; a pthread key's destructor runs it when the thread exits, atexit for the
// main thread.
struct tls_dtor {
    void (*fn)(void *);
    void *obj;
    struct tls_dtor *next;
};
static __thread struct tls_dtor *tls_dtors;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void run_tls_dtors(void *unused) {
    (void)unused;
    while (tls_dtors) {
        struct tls_dtor *d = tls_dtors;
        tls_dtors = d->next;
        d->fn(d->obj);
        free(d);
    }
}

static void run_main_tls_dtors(void) { run_tls_dtors(0); }

static void tls_setup(void) {
    pthread_key_create(&tls_key, run_tls_dtors);
    atexit(run_main_tls_dtors);
}

int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso) {
    (void)dso;
    pthread_once(&tls_once, tls_setup);
    struct tls_dtor *d = malloc(sizeof *d);
    if (!d) return -1;
    d->fn = fn;
    d->obj = obj;
    d->next = tls_dtors;
    tls_dtors = d;
    pthread_setspecific(tls_key, (void *)1);
    return 0;
}
