/* hc_priv: give up what a program does not need (root, new privileges, core dumps, syscalls). */
#ifndef HC_PRIV_H
#define HC_PRIV_H

#include <stddef.h>
#include <sys/types.h>

struct hc_priv {
	int	 drop;		/* started as root: switch to uid/gid */
	uid_t	 uid;
	gid_t	 gid;
	char	 user[64];	/* "headcount:www-data" as given, for logs */
};

/*
 * Resolves --user USER[:GROUP] (spec NULL when not given; GROUP defaults
 * to USER's login group).  Started as root without spec, or with a spec
 * naming root, it refuses: -1 with one line in err.  Not root, spec must
 * name the user (and group) already in effect.  Returns 0.
 */
int	 hc_priv_resolve(struct hc_priv *p, const char *spec, char *err, size_t errlen);

/*
 * setgroups, setresgid, setresuid to the resolved user (when started as
 * root), and checks that root cannot be regained; then no new privileges
 * (PR_SET_NO_NEW_PRIVS) and no core dumps (RLIMIT_CORE 0, not dumpable:
 * the JWT secret and provider tokens live in memory).  Call after
 * binding and opening what needs privileges, before the fork.
 * Returns 0, or -1 with the reason in err.
 */
int	 hc_priv_drop(const struct hc_priv *p, char *err, size_t errlen);

/*
 * Installs the seccomp filter (libseccomp): default allow, and a
 * syscall none of the programs needs (execve, execveat, ptrace, mount,
 * kexec_load, init_module, bpf, process_vm_readv, ...) kills the
 * process.  Inherited across fork.  Returns 0, or -1 with err.
 */
int	 hc_priv_seccomp(char *err, size_t errlen);

#endif
