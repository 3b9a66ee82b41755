/* bare: the thinnest prefork libfcgi responder, the ceiling for any program here. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	stop = sig;
}

static void
serve(int fd)
{
	FCGX_Request	 req;

	if (FCGX_InitRequest(&req, fd, 0) != 0)
		_exit(1);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"status\":\"alive\"}", req.out);
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	const char	*listen = NULL;
	long		 workers = 4, mode = -1, i;
	pid_t		*pids;
	int		 fd = 0, st;
	struct sigaction sa;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0)
			listen = argv[i + 1];
		else if (strcmp(argv[i], "--workers") == 0)
			workers = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--socket-mode") == 0)
			mode = strtol(argv[i + 1], NULL, 8);
		else
			break;
	}
	if (i != argc || workers < 1 || workers > 1024) {
		fprintf(stderr, "usage: bare [--listen unix:PATH|HOST:PORT] "
		    "[--workers N] [--socket-mode OCTAL]\n");
		return 2;
	}
	if (FCGX_Init() != 0)
		return 1;
	if (listen != NULL) {
		const char *path = strncmp(listen, "unix:", 5) == 0 ?
		    listen + 5 : listen;
		if ((fd = FCGX_OpenSocket(path, 1024)) < 0) {
			fprintf(stderr, "bare: cannot listen on %s\n", listen);
			return 1;
		}
		if (mode >= 0 && path == listen + 5 && chmod(path, (mode_t)mode) == -1) {
			perror("chmod");
			return 1;
		}
	}
	if ((pids = calloc((size_t)workers, sizeof(*pids))) == NULL)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		/* (Re)fill the worker slots, then sleep until one dies or we stop. */
		for (i = 0; i < workers; i++) {
			if (pids[i] > 0)
				continue;
			if ((pids[i] = fork()) == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				serve(fd);
			}
		}
		pid_t dead = wait(&st);
		for (i = 0; dead > 0 && i < workers; i++)
			if (pids[i] == dead)
				pids[i] = 0;
		if (dead == -1 && errno == ECHILD)
			break;
	}
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(&st) > 0 || errno == EINTR)
		continue;
	if (listen != NULL && strncmp(listen, "unix:", 5) == 0)
		unlink(listen + 5);
	return 0;
}
