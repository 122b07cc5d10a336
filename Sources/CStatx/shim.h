// A file's birth time through the statx system call, called directly: glibc's statx() wrapper is 2.28's
// and the node binary starts on glibc 2.17 (syscall() is in every glibc). Kernels before 4.11 answer
// ENOSYS, and file systems that do not keep a birth time (NFS, tmpfs before 5.x) leave STATX_BTIME out
// of the mask: both give -1, "not known". struct statx is read by its fixed layout (the kernel's ABI):
// stx_mask at 0, stx_btime (tv_sec int64, tv_nsec uint32) at 80, 256 bytes in all.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_statx
#if defined(__x86_64__)
#define SYS_statx 332
#elif defined(__aarch64__)
#define SYS_statx 291
#endif
#endif

// 0 with *seconds set when the birth time is known; -1 otherwise (errno from the call, or ENODATA).
static inline int bkdiag_birth_time(const char *path, int64_t *seconds) {
#ifdef SYS_statx
    unsigned char buf[256];
    memset(buf, 0, sizeof buf);
    // AT_FDCWD, follow symlinks, STATX_BTIME (0x800).
    if (syscall(SYS_statx, AT_FDCWD, path, 0, 0x800U, buf) != 0) return -1;
    uint32_t mask;
    memcpy(&mask, buf, sizeof mask);
    if (!(mask & 0x800U)) return -1;
    int64_t sec;
    memcpy(&sec, buf + 80, sizeof sec);
    *seconds = sec;
    return 0;
#else
    (void)path;
    (void)seconds;
    return -1;
#endif
}

// Whether `path` carries a POSIX access ACL (the xattr system.posix_acl_access): 1 yes; 0 no (none, or a
// file system that keeps none); -1 not known (errno from the call). getxattr() is in every glibc.
static inline int bkdiag_has_access_acl(const char *path) {
    ssize_t n = getxattr(path, "system.posix_acl_access", NULL, 0);
    if (n > 0) return 1;
    if (n == 0 || errno == ENODATA || errno == ENOTSUP) return 0;
    return -1;
}
