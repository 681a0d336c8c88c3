// SPDX-License-Identifier: MIT
/* extract-vmlinux BZIMAGE OUT: write the ELF vmlinux a bzImage carries,
 * with the same code the VMM boots it with. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "boot/boot.h"

int main(int argc, char **argv)
{
	uint8_t *buf, *out;
	size_t len, out_len;
	const char *algo = "?";
	FILE *f;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: extract-vmlinux BZIMAGE OUT\n");
		return 2;
	}
	r = util_read_file(argv[1], &buf, &len, 512 * MiB);
	if (r < 0) {
		fprintf(stderr, "extract-vmlinux: cannot read '%s': %s\n", argv[1],
			strerror(-r));
		return 1;
	}
	r = bzimage_extract_vmlinux(buf, len, &out, &out_len, &algo);
	if (r < 0) {
		fprintf(stderr, "extract-vmlinux: '%s': %s (payload %s)\n", argv[1],
			strerror(-r), algo);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
		fprintf(stderr, "extract-vmlinux: cannot write '%s'\n", argv[2]);
		return 1;
	}
	printf("extract-vmlinux: %s payload, %zu bytes\n", algo, out_len);
	free(out);
	free(buf);
	return 0;
}
