/* hc_priv: drop root to --user, no new privileges, no core dumps, and a seccomp filter. */
#include "config.h"
#include "hc_priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <seccomp.h>

int
hc_priv_resolve(struct hc_priv *p, const char *spec, char *err, size_t errlen)
{
	char		 user[64], *group;
	struct passwd	*pw;
	struct group	*gr;

	memset(p, 0, sizeof(*p));
	if (spec == NULL) {
		if (geteuid() == 0) {
			snprintf(err, errlen, "refusing to run as root: start it as an "
			    "unprivileged user or give --user USER[:GROUP]");
			return -1;
		}
		p->uid = getuid();
		p->gid = getgid();
		return 0;
	}
	if (strlen(spec) >= sizeof(user)) {
		snprintf(err, errlen, "--user: too long");
		return -1;
	}
	snprintf(user, sizeof(user), "%s", spec);
	snprintf(p->user, sizeof(p->user), "%s", spec);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "--user: no such user \"%s\"", user);
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "--user: no such group \"%s\"", group);
			return -1;
		}
		p->gid = gr->gr_gid;
	}
	if (p->uid == 0 || p->gid == 0) {
		snprintf(err, errlen, "--user %s: refusing to run as root", spec);
		return -1;
	}
	if (geteuid() == 0) {
		p->drop = 1;
		return 0;
	}
	if (p->uid != getuid() || p->gid != getgid()) {
		snprintf(err, errlen, "--user %s: only root can switch to another user "
		    "(this is uid %ld, gid %ld)", spec, (long)getuid(), (long)getgid());
		return -1;
	}
	return 0;
}

int
hc_priv_drop(const struct hc_priv *p, char *err, size_t errlen)
{
	struct rlimit	 none = { 0, 0 };
	uid_t		 ru, eu, su;

	if (p->drop) {
		if (setgroups(1, &p->gid) == -1 ||
		    setresgid(p->gid, p->gid, p->gid) == -1 ||
		    setresuid(p->uid, p->uid, p->uid) == -1) {
			snprintf(err, errlen, "dropping to --user %s: %s", p->user, strerror(errno));
			return -1;
		}
		if (getresuid(&ru, &eu, &su) == -1 || ru != p->uid || eu != p->uid ||
		    su != p->uid || setuid(0) != -1) {
			snprintf(err, errlen, "dropping to --user %s: root can still be regained",
			    p->user);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	if (setrlimit(RLIMIT_CORE, &none) == -1) {
		snprintf(err, errlen, "setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return -1;
	}
#ifdef HC_SANITIZED
	/* LeakSanitizer's tracer attaches to the process at exit: it must stay dumpable */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#else
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return -1;
	}
#endif
	return 0;
}

/*
 * A deny-list with default allow.  An allow-list would have to name
 * every call of glibc (clone3, rseq, statx, getrandom...), the NSS
 * modules getaddrinfo loads at run time, libcurl's resolver thread and
 * TLS, SQLite's locking and the sanitizer runtimes, and would kill a
 * worker in the middle of a request on the next library update.  None of
 * the calls below is made by a FastCGI program, a Redis client, an HTTP
 * client or SQLite; each is a step of a typical escalation (run a
 * program, read another process, change the kernel or the namespaces).
 */
static const char *const hc_denied[] = {
	"execve", "execveat",
#ifndef HC_SANITIZED	/* LeakSanitizer stops the world with ptrace at exit */
	"ptrace", "process_vm_readv", "process_vm_writev",
#endif
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick",
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "bpf", "perf_event_open", "reboot", "swapon", "swapoff",
	"setns", "unshare", "userfaultfd", "keyctl", "add_key", "request_key",
	"acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "iopl",
	"ioperm", "syslog", "settimeofday", "clock_settime", "adjtimex",
	"clock_adjtime", "sethostname", "setdomainname", "lookup_dcookie", "kcmp",
	"uselib", "vhangup", "nfsservctl", "create_module", "get_kernel_syms",
	"query_module", "_sysctl",
	NULL
};

int
hc_priv_seccomp(char *err, size_t errlen)
{
	scmp_filter_ctx	 ctx;
	uint32_t	 kill = SCMP_ACT_KILL_PROCESS;
	size_t		 i;
	int		 nr, rc, pass;

	/* KILL_PROCESS needs Linux 4.14; before that, kill the thread */
	for (pass = 0; pass < 2; pass++, kill = SCMP_ACT_KILL) {
		if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
			snprintf(err, errlen, "seccomp_init failed");
			return -1;
		}
		rc = 0;
		for (i = 0; hc_denied[i] != NULL && rc == 0; i++) {
			/* a call this architecture does not have needs no rule */
			if ((nr = seccomp_syscall_resolve_name(hc_denied[i])) == __NR_SCMP_ERROR)
				continue;
			if ((rc = seccomp_rule_add(ctx, kill, nr, 0)) < 0)
				snprintf(err, errlen, "seccomp_rule_add(%s): %s", hc_denied[i],
				    strerror(-rc));
		}
		if (rc == 0 && (rc = seccomp_load(ctx)) < 0)
			snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		seccomp_release(ctx);
		if (rc == 0)
			return 0;
	}
	return -1;
}
