// Closing every inherited descriptor in a posix_spawn child, on any glibc.
//
// glibc >= 2.34 has posix_spawn_file_actions_addclosefrom_np, which <spawn.h> declares only under
// _GNU_SOURCE and so Swift's Glibc module does not export; it is declared here for the tests. The node
// binary must start on older glibc (down to 2.17), where the symbol does not exist: it calls
// bkdiag_spawn_addclosefrom instead, which looks the function up at run time and, where it is missing,
// adds a close action for every descriptor >= from that is open now (/proc/self/fd). Descriptors another
// thread opens after that are opened with O_CLOEXEC by Swift, NIO and this project, so none leaks.
#include <dirent.h>
#include <dlfcn.h>
#include <spawn.h>
#include <stdlib.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
// For the tests only (TestSupport's TestSpawn and FakeProcess), also hidden behind _GNU_SOURCE: glibc >= 2.29
// (the node binary never changes directory in a child) and pipe2 (a pipe no concurrently spawned child inherits).
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
extern int pipe2(int pipefd[2], int flags);
// For the tests only: another process's descriptor limit (a daemon under test run out of descriptors).
#include <sys/resource.h>
extern int prlimit(int pid, int resource, const struct rlimit *new_limit, struct rlimit *old_limit);

// The fallback: a close action for each descriptor >= from open now.
static inline int bkdiag_spawn_addclose_open(posix_spawn_file_actions_t *actions, int from) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int own = dirfd(dir), rc = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != 0) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || end == entry->d_name || fd < from || fd == own) continue;
        if ((rc = posix_spawn_file_actions_addclose(actions, (int)fd)) != 0) break;
    }
    closedir(dir);
    return rc;
}

static inline int bkdiag_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    typedef int (*closefrom_fn)(posix_spawn_file_actions_t *, int);
    // RTLD_DEFAULT without _GNU_SOURCE: the null handle.
    closefrom_fn fn = (closefrom_fn)dlsym((void *)0, "posix_spawn_file_actions_addclosefrom_np");
    return fn ? fn(actions, from) : bkdiag_spawn_addclose_open(actions, from);
}

// A probe that must not outlive bkdiag: fork and exec, the child leading a session of its own, with stdin from
// /dev/null, stdout and stderr on `output`, no other descriptor, and PR_SET_PDEATHSIG set to SIGKILL, so that the
// kernel kills it when the thread that started it ends (bkdiag killed with SIGKILL mid-probe, which posix_spawn
// cannot arrange). Everything the child needs is made before fork; after it the child makes only system calls.
// Returns 0 with the pid, or the errno of what failed (in the child: sent back through a close-on-exec pipe).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void bkdiag_close_from(int from, int keep) {
    // close_range(2) (Linux 5.9); older kernels: one close per descriptor up to the limit.
    if (keep >= from) {
        if (keep > from && syscall(436 /* SYS_close_range */, (unsigned)from, (unsigned)(keep - 1), 0) != 0) {
            for (int fd = from; fd < keep; fd++) close(fd);
        }
        from = keep + 1;
    }
    if (syscall(436 /* SYS_close_range */, (unsigned)from, ~0U, 0) != 0) {
        struct rlimit rl;
        long limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
        if (limit > (1L << 20)) limit = 1L << 20;
        for (long fd = from; fd < limit; fd++) close((int)fd);
    }
}

static inline int bkdiag_spawn_bound(const char *path, char *const argv[], char *const envp[], int output, pid_t *out_pid) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        return e;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        close(devnull);
        return e;
    }
    if (pid == 0) {
        int e = 0;
        if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
            e = errno;
        } else if (getppid() != parent) {
            // Its parent ended before the death signal was armed.
            _exit(127);
        } else if (dup2(devnull, 0) < 0 || dup2(output, 1) < 0 || dup2(output, 2) < 0) {
            e = errno;
        } else {
            bkdiag_close_from(3, report[1]);
            // Signals the starting thread had blocked are not blocked in the child.
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, 0);
            execve(path, argv, envp);
            e = errno;
        }
        while (write(report[1], &e, sizeof e) < 0 && errno == EINTR) {}
        _exit(127);
    }
    close(devnull);
    close(report[1]);
    int e = 0;
    ssize_t n;
    do { n = read(report[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        while (waitpid(pid, 0, 0) < 0 && errno == EINTR) {}
        return e ? e : EIO;
    }
    *out_pid = pid;
    return 0;
}
