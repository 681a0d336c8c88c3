/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_INT_H
#define VMM_OPTIONS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/options.h"

/* Shared by options*.c; not for the rest of the VMM. */

#define PROP(field_type, field) offsetof(field_type, field)

/* The properties every virtio device has. */
#define VIRTIO_PCI_PROPS(T, idex, addrex)					\
	{ .name = "id", .type = "str",	\
	  .help = "the device's QOM name (/machine/peripheral/ID)",	\
	  .example = idex, .set = opt_set_str, .off = PROP(T, id) },	\
	{ .name = "addr", .type = "int",	\
	  .help = "PCI slot, e.g. 5 or 05.0",	\
	  .example = addrex, .set = opt_set_pci_addr, .off = PROP(T, slot) },	\
	{ .name = "ioeventfd", .type = "bool",	\
	  .help = "kicks through KVM ioeventfds (default on)",	\
	  .example = "on", .set = opt_set_bool, .off = PROP(T, ioeventfd) },	\
	{ .name = "irqfd", .type = "bool",	\
	  .help = "interrupts through KVM irqfds (default on)",	\
	  .example = "on", .set = opt_set_bool, .off = PROP(T, irqfd) }

/* options_net.c: -device virtio-net-pci's table and parser. */
extern const struct opt_prop opt_net_props[];
int options_parse_net(struct kv_opts *kv, struct vm_config *cfg, char *err,
		      size_t len);

/* options_dev.c, options_net.c: each 0, or -EINVAL with a sentence in
 * @err. */
int options_parse_drive(const char *s, struct vm_config *cfg, char *err,
			size_t len);
int options_parse_netdev(const char *s, struct vm_config *cfg, char *err,
			 size_t len);
/* -device DRIVER,...: through the table of devices (opt_devices). */
int options_parse_device(const char *s, struct vm_config *cfg, char *err,
			 size_t len);
/* -nic user|tap,...: a -netdev and its virtio-net-pci card. */
int options_parse_nic(const char *s, struct vm_config *cfg, char *err,
		      size_t len);

/* options_qmp.c: -qmp, -chardev, -mon; then, once all are parsed, the
 * -mon's chardev resolved and unused chardevs refused. */
int options_parse_qmp(const char *s, struct vm_config *cfg, char *err,
		      size_t len);
int options_parse_chardev(const char *s, struct vm_config *cfg, char *err,
			  size_t len);
int options_parse_mon(const char *s, struct vm_config *cfg, char *err,
		      size_t len);
int options_resolve_chardevs(struct vm_config *cfg, char *err, size_t len);

#endif
