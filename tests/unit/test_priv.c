/* test_priv: the seccomp filter kills on execve and ptrace but lets a worker's work through; --user resolution and the drop. */
#include "config.h"
#include "hc_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static void *
thread_main(void *arg)
{
	(void)arg;
	return (void *)42;
}

/* What a worker does after the filter is in place: exits 0 when all of it works. */
static int
allowed_work(void)
{
	struct addrinfo	 hints, *res = NULL;
	pthread_t	 t;
	void		*ret = NULL;
	char		 buf[64], path[] = "/tmp/test_priv.XXXXXX";
	int		 fd, s;

	if ((fd = mkstemp(path)) == -1 || write(fd, "x", 1) != 1 || fsync(fd) == -1 ||
	    fcntl(fd, F_SETLK, &(struct flock){ .l_type = F_WRLCK }) == -1)
		return 10;
	close(fd);
	unlink(path);
	if ((fd = open("/proc/self/stat", O_RDONLY)) == -1 || read(fd, buf, sizeof(buf)) <= 0)
		return 11;
	close(fd);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 12;
	close(s);
	/* libcurl resolves in a thread: both must keep working */
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != (void *)42)
		return 13;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("127.0.0.1", "80", &hints, &res) != 0)
		return 14;
	freeaddrinfo(res);
	if (fork() == 0)
		_exit(0);
	if (wait(NULL) == -1)
		return 15;
	return 0;
}

enum attempt { TRY_WORK, TRY_EXECVE, TRY_PTRACE, TRY_MOUNT_NS };

/* Forks, installs the filter in the child and tries; returns the child's wait status. */
static int
in_child(enum attempt what)
{
	char	 err[256];
	pid_t	 pid;
	int	 status = -1;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (hc_priv_seccomp(err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			_exit(99);
		}
		switch (what) {
		case TRY_WORK:
			_exit(allowed_work());
		case TRY_EXECVE: {
			char *argv[] = { "true", NULL }, *envp[] = { NULL };

			execve("/bin/true", argv, envp);
			_exit(98);	/* the filter let it through and it failed */
		}
		case TRY_PTRACE:
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			_exit(98);
		case TRY_MOUNT_NS:
			unshare(0);
			_exit(98);
		}
		_exit(97);
	}
	waitpid(pid, &status, 0);
	return status;
}

static int
killed_by_sigsys(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

int
main(void)
{
	struct hc_priv	 p;
	struct passwd	*nobody;
	char		 err[256];
	int		 st;

	st = in_child(TRY_WORK);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "under the filter: files, locks, sockets, threads, getaddrinfo, fork work (status %#x)", st);
	st = in_child(TRY_EXECVE);
	tap_ok(killed_by_sigsys(st), "execve under the filter: the process dies of SIGSYS (status %#x)", st);
	st = in_child(TRY_MOUNT_NS);
	tap_ok(killed_by_sigsys(st), "unshare under the filter: SIGSYS (status %#x)", st);
#ifndef HC_SANITIZED
	st = in_child(TRY_PTRACE);
	tap_ok(killed_by_sigsys(st), "ptrace under the filter: SIGSYS (status %#x)", st);
#endif

	/* --user resolution */
	if (geteuid() == 0) {
		tap_ok(hc_priv_resolve(&p, NULL, err, sizeof(err)) == -1 && strstr(err, "root") != NULL,
		    "root without --user refuses (%s)", err);
		tap_ok(hc_priv_resolve(&p, "root", err, sizeof(err)) == -1,
		    "--user root refuses (%s)", err);
		tap_ok(hc_priv_resolve(&p, "no-such-user-hc", err, sizeof(err)) == -1 &&
		    strstr(err, "no such user") != NULL, "an unknown user refuses (%s)", err);
		tap_ok(hc_priv_resolve(&p, "nobody:no-such-group-hc", err, sizeof(err)) == -1 &&
		    strstr(err, "no such group") != NULL, "an unknown group refuses (%s)", err);
	}
	if (geteuid() == 0 && (nobody = getpwnam("nobody")) != NULL) {
		pid_t	 pid;
		uid_t	 uid = nobody->pw_uid;

		tap_ok(hc_priv_resolve(&p, "nobody", err, sizeof(err)) == 0 && p.drop &&
		    p.uid == uid, "--user nobody as root: drop to uid %ld", (long)uid);
		fflush(stdout);
		if ((pid = fork()) == 0) {
			struct rlimit rl;
			int	 bad = 0;

			if (hc_priv_drop(&p, err, sizeof(err)) == -1)
				_exit(1);
			bad |= (getuid() != uid || geteuid() != uid) << 1;
			bad |= (setuid(0) != -1) << 2;
			bad |= (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) << 3;
			bad |= (getrlimit(RLIMIT_CORE, &rl) == -1 || rl.rlim_cur != 0 || rl.rlim_max != 0) << 4;
#ifndef HC_SANITIZED
			bad |= (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) << 5;
#endif
			/* not root any more: --user must name who we are */
			bad |= (hc_priv_resolve(&p, NULL, err, sizeof(err)) != 0) << 6;
			bad |= (hc_priv_resolve(&p, "root", err, sizeof(err)) != -1) << 7;
			_exit(bad);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "after the drop: uid nobody, root not regained, no new privileges, "
		    "no core dumps (bits %#x)", WIFEXITED(st) ? WEXITSTATUS(st) : st);
	} else
		printf("# not root: the drop itself is tested by the integration tests under CI\n");
	return tap_done();
}
