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
