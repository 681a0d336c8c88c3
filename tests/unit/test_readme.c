// SPDX-License-Identifier: MIT
/*
 * The README's tables of QEMU options and QMP commands against the code:
 * every "yes" row is an option --help lists or a command query-commands
 * answers, and the other way round; every "no" row is refused with
 * QEMU's name for it. The tables cannot drift from what vmm does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/qmp.h"

#define MAX_ROWS 128

struct rows {
	char yes[MAX_ROWS][64], no[MAX_ROWS][64];
	unsigned int nyes, nno;
};

static void add(struct rows *r, bool yes, const char *name, size_t len)
{
	char (*dst)[64] = yes ? r->yes : r->no;
	unsigned int *n = yes ? &r->nyes : &r->nno;

	cr_assert_lt(*n, MAX_ROWS);
	cr_assert_lt(len, 64);
	memcpy(dst[*n], name, len);
	dst[*n][len] = 0;
	(*n)++;
}

/* Rows "| `NAME ...` | yes..." or "| `NAME` | no"; options start with '-'. */
static void readme_rows(struct rows *opts, struct rows *cmds)
{
	FILE *f = fopen("README.md", "r");
	char line[1024];

	cr_assert_not_null(f, "README.md (the unit tests run from the repository root)");
	memset(opts, 0, sizeof(*opts));
	memset(cmds, 0, sizeof(*cmds));
	while (fgets(line, sizeof(line), f)) {
		const char *name, *cell;
		size_t len;

		if (strncmp(line, "| `", 3))
			continue;
		name = line + 3;
		len = strcspn(name, " `");
		cell = strstr(name, "` | ");
		if (!cell)
			continue;
		cell += 4;
		if (strncmp(cell, "yes", 3) && strncmp(cell, "no", 2))
			continue;
		if (name[0] == '-')
			add(opts, cell[0] == 'y', name + 1, len - 1);
		else
			add(cmds, cell[0] == 'y', name, len);
	}
	fclose(f);
}

static bool in(const struct rows *r, const char *name)
{
	for (unsigned int i = 0; i < r->nyes; i++)
		if (!strcmp(r->yes[i], name))
			return true;
	return false;
}

Test(readme, options_table_matches_help)
{
	struct rows opts, cmds, help = { 0 };
	char *text = NULL, *p;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);

	readme_rows(&opts, &cmds);
	cr_assert_gt(opts.nyes, 10);
	options_usage(m);
	fclose(m);
	/* --help lines: "  -NAME ..." */
	for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
		if (!strncmp(p, "  -", 3))
			add(&help, true, p + 3, strcspn(p + 3, " "));
	free(text);
	for (unsigned int i = 0; i < help.nyes; i++)
		cr_expect(in(&opts, help.yes[i]), "-%s is in --help, not in the README table",
			  help.yes[i]);
	for (unsigned int i = 0; i < opts.nyes; i++)
		cr_expect(in(&help, opts.yes[i]), "README says -%s works; --help lacks it",
			  opts.yes[i]);
	for (unsigned int i = 0; i < opts.nno; i++) {
		char opt[80], want[160], err[256];
		char *argv[] = { "vmm", "-kernel", "k", opt, NULL };
		struct vm_config cfg;

		snprintf(opt, sizeof(opt), "-%s", opts.no[i]);
		snprintf(want, sizeof(want), "QEMU's -%s is not supported by vmm (see --help).",
			 opts.no[i]);
		cr_expect_lt(options_parse(4, argv, &cfg, err, sizeof(err)), 0, "%s", opt);
		cr_expect_str_eq(err, want);
		options_free(&cfg);
	}
}

static void qmp_quit_stub(void *ctx, const char *reason) { }

Test(readme, qmp_table_matches_query_commands)
{
	struct qmp_ops ops = { .quit = qmp_quit_stub };
	struct rows opts, cmds, have = { 0 };
	bool neg = true;
	json_t *req = json_pack("{s:s}", "execute", "query-commands");
	json_t *resp = qmp_dispatch(&ops, req, &neg), *c;
	size_t i;

	readme_rows(&opts, &cmds);
	json_array_foreach(json_object_get(resp, "return"), i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));

		add(&have, true, n, strlen(n));
	}
	json_decref(req);
	json_decref(resp);
	cr_assert_gt(have.nyes, 10);
	for (i = 0; i < have.nyes; i++)
		cr_expect(in(&cmds, have.yes[i]), "%s is in query-commands, not in the README",
			  have.yes[i]);
	for (i = 0; i < cmds.nyes; i++)
		cr_expect(in(&have, cmds.yes[i]), "README says %s works; query-commands lacks it",
			  cmds.yes[i]);
	for (i = 0; i < cmds.nno; i++) {
		const char *cls;

		req = json_pack("{s:s}", "execute", cmds.no[i]);
		resp = qmp_dispatch(&ops, req, &neg);
		cls = json_string_value(json_object_get(json_object_get(resp, "error"), "class"));
		cr_expect(cls && !strcmp(cls, "CommandNotFound"), "%s: not refused", cmds.no[i]);
		json_decref(req);
		json_decref(resp);
	}
}

/* The man page (docs/vmm.1) documents every option --help lists. */
Test(readme, man_page_documents_every_option)
{
	char *text = NULL, *page = NULL, *p;
	size_t size = 0, plen = 0;
	FILE *m = open_memstream(&text, &size), *f = fopen("docs/vmm.1", "r");
	unsigned int n = 0;

	cr_assert_not_null(f, "docs/vmm.1");
	cr_assert_gt(getdelim(&page, &plen, 0, f), 0);
	fclose(f);
	options_usage(m);
	fclose(m);
	for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n")) {
		char want[96], *w = want;
		size_t len;

		if (strncmp(p, "  -", 3))
			continue;
		len = strcspn(p + 3, " ");
		/* In roff every '-' of an option is written "\-". */
		w += sprintf(w, ".B");
		for (size_t i = 0; i < len + 1 && w < want + sizeof(want) - 4; i++) {
			char c = i ? p[2 + i] : '-';

			if (i == 0)
				w += sprintf(w, " \\-");
			else if (c == '-')
				w += sprintf(w, "\\-");
			else
				*w++ = c;
		}
		*w = 0;
		/* ".B \-name" or ".BI \-name ..." */
		cr_expect(strstr(page, want) || strstr(page, want + 2) ? 1 : 0,
			  "docs/vmm.1 does not document %s", want + 3);
		n++;
	}
	cr_assert_gt(n, 20);
	free(text);
	free(page);
}
