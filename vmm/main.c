// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "vmm/daemon.h"
#include "vmm/options_help.h"
#include "vmm/machine.h"

#ifndef VMM_VERSION
#define VMM_VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct machine m;
	struct daemon dm = { .ready_fd = -1 };
	char err[512] = "";
	sigset_t set;
	int status;

	if (options_parse(argc, argv, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmm: %s\n", err);
		options_free(&cfg);
		return 1;
	}
	if (cfg.help_topic) {
		status = opt_help_print(stdout, cfg.help_topic, cfg.help_arg);
		options_free(&cfg);
		return status;
	}
	if (cfg.help) {
		options_usage(stdout);
		options_free(&cfg);
		return 0;
	}
	if (cfg.version) {
		printf("vmm %s\n", VMM_VERSION);
		options_free(&cfg);
		return 0;
	}
	log_set_level(cfg.verbose >= 2 ? LOG_DEBUG :
		      cfg.verbose ? LOG_INFO : LOG_WARN);
	if (cfg.logfile) {
		int fd = open(cfg.logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0) {
			fprintf(stderr, "vmm: -D: cannot open '%s': %m.\n", cfg.logfile);
			options_free(&cfg);
			return 1;
		}
		log_set_fd(fd);
	}

	/* Block the stop signals in every thread; the main loop reads them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.daemonize && daemon_start(&dm) < 0) {
		fprintf(stderr, "vmm: -daemonize: cannot fork: %m.\n");
		options_free(&cfg);
		return 1;
	}
	if (machine_build(&m, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmm: %s\n", err);
		machine_destroy(&m);
		options_free(&cfg);
		return 1;
	}
	daemon_ready(&dm);
	status = machine_run(&m);
	machine_destroy(&m);
	options_free(&cfg);
	return status;
}
