// glibc >= 2.34's posix_spawn_file_actions_addclosefrom_np, which <spawn.h> declares only under
// _GNU_SOURCE and so Swift's Glibc module does not export. (The binaries already need glibc 2.35.)
#include <spawn.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
