// SPDX-License-Identifier: MIT
/*
 * The network half of the command line: -netdev user and tap, -nic, and
 * -device virtio-net-pci's properties, spelled as QEMU spells them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_int.h"

static int netdev_find(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nnetdevs; i++)
		if (!strcmp(cfg->netdevs[i].id, id))
			return i;
	return -1;
}

static int tap_set_script(const struct opt_prop *p, void *obj, const char *v,
			  char *err, size_t len)
{
	if (strcmp(v, "no"))
		return opt_err(err, len,
			       "%s=%s: this VMM runs no scripts; give %s=no and set the tap up yourself.",
			       p->name, v, p->name);
	if (!strcmp(p->name, "script"))
		((struct netdev_cfg *)obj)->script_given = true;
	return 0;
}

static int tap_set_fd(const struct opt_prop *p, void *obj, const char *v,
		      char *err, size_t len)
{
	unsigned long long n;

	if (opt_parse_uint(v, INT32_MAX, &n) < 0)
		return -EINVAL;
	((struct netdev_cfg *)obj)->fd = (int)n;
	return 0;
}

static const struct opt_prop tap_props[] = {
	{ .name = "id", .type = "str",
	  .help = "the name a -device virtio-net-pci,netdev= refers to",
	  .example = "n0", .set = opt_set_str, .off = PROP(struct netdev_cfg, id) },
	{ .name = "ifname", .type = "str",
	  .help = "the tap to open (created if it does not exist)",
	  .example = "tap0", .set = opt_set_str, .off = PROP(struct netdev_cfg, ifname) },
	{ .name = "fd", .type = "int",
	  .help = "an open tap, inherited",
	  .example = "3", .set = tap_set_fd },
	{ .name = "script", .type = "str",
	  .help = "no (vmm runs no scripts)",
	  .example = "no", .set = tap_set_script },
	{ .name = "downscript", .type = "str",
	  .help = "no (vmm runs no scripts)",
	  .example = "no", .set = tap_set_script },
	{ .name = "queues", .type = "int",
	  .help = "queue pairs, 1..7 (default 1)",
	  .example = "2", .set = opt_set_uint, .off = PROP(struct netdev_cfg, queues), .min = 1, .max = 7 },
	{ .name = "vnet_hdr", .type = "bool",
	  .help = "offloads through the tap's virtio-net header (default on)",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct netdev_cfg, vnet_hdr) },
	{ 0 },
};

static int user_set_net(const struct opt_prop *p, void *obj, const char *v,
			char *err, size_t len)
{
	struct net_user_opts *u = &((struct netdev_cfg *)obj)->user_opts;

	return net_user_parse_net(v, &u->net, &u->mask);
}

/* host=, dhcpstart=, dns=: an address inside net= (checked after all). */
static int user_set_addr(const struct opt_prop *p, void *obj, const char *v,
			 char *err, size_t len)
{
	struct in_addr *a = (struct in_addr *)((char *)obj + p->off);

	return inet_pton(AF_INET, v, a) == 1 ? 0 : -EINVAL;
}

static int user_set_fwd(const struct opt_prop *p, void *obj, const char *v,
			char *err, size_t len)
{
	struct net_user_opts *u = &((struct netdev_cfg *)obj)->user_opts;

	if (u->n_fwd == NET_USER_MAX_FWD)
		return opt_err(err, len, "more than %d hostfwd= rules.",
			       NET_USER_MAX_FWD);
	if (net_user_parse_fwd(v, &u->fwd[u->n_fwd]) < 0)
		return opt_err(err, len,
			       "hostfwd=%s is not [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport.", v);
	u->n_fwd++;
	return 0;
}

static int user_set_ipv4(const struct opt_prop *p, void *obj, const char *v,
			 char *err, size_t len)
{
	bool on;

	if (opt_parse_bool(v, &on) < 0)
		return -EINVAL;
	return on ? 0 : opt_err(err, len, "ipv4=off is not supported (the guest's DHCP and DNS are IPv4).");
}

#define USER(f) offsetof(struct netdev_cfg, user_opts.f)

static const struct opt_prop user_props[] = {
	{ .name = "id", .type = "str",
	  .help = "the name a -device virtio-net-pci,netdev= refers to",
	  .example = "n0", .set = opt_set_str, .off = PROP(struct netdev_cfg, id) },
	{ .name = "net", .type = "str",
	  .help = "the guest's network, ADDR[/BITS] (default 10.0.2.0/24)",
	  .example = "10.0.3.0/24", .set = user_set_net },
	{ .name = "host", .type = "str",
	  .help = "the host's address on it (default .2)",
	  .example = "10.0.2.2", .set = user_set_addr, .off = USER(host) },
	{ .name = "dhcpstart", .type = "str",
	  .help = "the first address DHCP hands out (default .15)",
	  .example = "10.0.2.15", .set = user_set_addr, .off = USER(dhcp_start) },
	{ .name = "dns", .type = "str",
	  .help = "the DNS forwarder's address (default .3)",
	  .example = "10.0.2.3", .set = user_set_addr, .off = USER(dns) },
	{ .name = "hostfwd", .type = "str",
	  .help = "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport (repeatable)",
	  .example = "tcp:127.0.0.1:2222-:22", .set = user_set_fwd },
	{ .name = "restrict", .type = "bool",
	  .help = "the guest reaches only the host and its forwards (default off)",
	  .example = "on", .set = opt_set_bool, .off = USER(restricted) },
	{ .name = "ipv4", .type = "bool", .help = "on (the only value)",
	  .example = "on", .set = user_set_ipv4 },
	{ .name = "ipv6", .type = "bool",
	  .help = "fec0::/64 next to IPv4 (default on)",
	  .example = "off", .set = opt_set_bool, .off = USER(ipv6) },
	{ .name = "hostname", .type = "str",
	  .help = "the name DHCP gives the guest",
	  .example = "vm", .set = opt_set_str, .off = USER(hostname) },
	{ 0 },
};

/* The addresses given must lie in net=; they are set to their defaults
 * when absent (net_user_open()). */
static int user_check(const struct net_user_opts *u, char *err, size_t len)
{
	const struct in_addr *a[] = { &u->host, &u->dhcp_start, &u->dns };
	static const char *const names[] = { "host", "dhcpstart", "dns" };

	for (unsigned int i = 0; i < 3; i++)
		if (a[i]->s_addr &&
		    (a[i]->s_addr & u->mask.s_addr) != u->net.s_addr)
			return opt_err(err, len,
				       "-netdev user: %s= is outside net=.", names[i]);
	return 0;
}

/* -netdev tap,id=ID[,ifname=,fd=,script=no,downscript=no,queues=,vnet_hdr=]
 * -netdev user,id=ID[,net=,host=,dhcpstart=,dns=,hostfwd=...,restrict=] */
int options_parse_netdev(const char *s, struct vm_config *cfg,
			 char *err, size_t len)
{
	struct kv_opts *kv;
	struct netdev_cfg *d;
	int r;

	if (cfg->nnetdevs == VMM_MAX_NETDEVS || cfg->ndevices == VMM_MAX_DEVICES)
		return opt_err(err, len, "-netdev: more than %d network backends.",
			       VMM_MAX_NETDEVS);
	kv = &cfg->devices[cfg->ndevices];
	if (kv_parse(s, kv, true) < 0)
		return opt_err(err, len, "-netdev: cannot parse '%s'.", s);
	cfg->ndevices++;
	d = &cfg->netdevs[cfg->nnetdevs];
	*d = (struct netdev_cfg){ .fd = -1, .queues = 1, .vnet_hdr = true };
	if (!strcmp(kv->driver, "user")) {
		/* QEMU's defaults: 10.0.2.0/24, IPv6 on; no vnet header on
		 * the socketpair to slirp. */
		d->user = true;
		d->vnet_hdr = false;
		d->user_opts.ipv6 = true;
		net_user_parse_net("10.0.2.0/24", &d->user_opts.net,
				   &d->user_opts.mask);
		r = opt_props_apply(user_props, kv, d, "-netdev user", NULL, err, len);
		if (r == 0)
			r = user_check(&d->user_opts, err, len);
	} else if (!strcmp(kv->driver, "tap")) {
		r = opt_props_apply(tap_props, kv, d, "-netdev tap", NULL, err, len);
	} else {
		return opt_err(err, len,
			       "-netdev: type '%s' is not supported (tap or user).", kv->driver);
	}
	if (r < 0)
		return r;
	if (!d->id || !*d->id)
		return opt_err(err, len, "-netdev %s: id= is missing.", kv->driver);
	if (netdev_find(cfg, d->id) >= 0)
		return opt_err(err, len, "-netdev: id '%s' is used twice.", d->id);
	if (d->fd >= 0 && (d->ifname || d->queues > 1))
		return opt_err(err, len,
			       "-netdev tap: fd= takes one open tap; it excludes ifname= and queues=.");
	cfg->nnetdevs++;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A multicast address cannot be a NIC's own. */
	return mac[0] & 1 ? -EINVAL : 0;
}

static int net_set_mac(const struct opt_prop *p, void *obj, const char *v,
		       char *err, size_t len)
{
	return parse_mac(v, ((struct net_cfg *)obj)->mac);
}

const struct opt_prop opt_net_props[] = {
	{ .name = "netdev", .type = "str",
	  .help = "the -netdev id= behind this card (required)",
	  .example = "n0", .set = opt_set_none },
	VIRTIO_PCI_PROPS(struct net_cfg, "nic0", "8"),
	{ .name = "mac", .type = "str",
	  .help = "the MAC address (default 52:54:00:12:34:56, :57... per card)",
	  .example = "52:54:00:aa:bb:cc", .set = net_set_mac },
	{ .name = "mq", .type = "bool",
	  .help = "one queue pair per -netdev queues= (default off)",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct net_cfg, mq) },
	{ .name = "host_mtu", .type = "int",
	  .help = "the MTU the guest is told to use",
	  .example = "1400", .set = opt_set_uint, .off = PROP(struct net_cfg, host_mtu), .min = 68, .max = 65535 },
	{ 0 },
};

int options_parse_net(struct kv_opts *kv, struct vm_config *cfg,
		      char *err, size_t len)
{
	const char *id = kv_get(kv, "netdev");
	struct net_cfg *n;
	int d;

	if (!id)
		return opt_err(err, len, "-device virtio-net-pci: netdev= is missing.");
	d = netdev_find(cfg, id);
	if (d < 0)
		return opt_err(err, len,
			       "-device virtio-net-pci: no -netdev with id '%s' (give -netdev before -device).",
			       id);
	if (cfg->netdevs[d].used)
		return opt_err(err, len, "-device virtio-net-pci: netdev '%s' is already used.", id);
	if (cfg->nnets == VMM_MAX_NETDEVS || cfg->npci == VMM_MAX_DEVICES)
		return opt_err(err, len, "too many virtio-net devices.");
	cfg->netdevs[d].used = true;
	n = &cfg->nets[cfg->nnets];
	/* QEMU's default: 52:54:00:12:34:56, then :57... per NIC. */
	*n = (struct net_cfg){ .netdev = d, .slot = -1, .ioeventfd = true,
			       .irqfd = true, .mq = cfg->netdevs[d].queues > 1,
			       .mac = { 0x52, 0x54, 0x00, 0x12, 0x34,
					(uint8_t)(0x56 + cfg->nnets) } };
	cfg->pci_order[cfg->npci].kind = PCI_NET;
	cfg->pci_order[cfg->npci++].index = cfg->nnets++;
	return opt_props_apply(opt_net_props, kv, n, "-device virtio-net-pci",
			       NULL, err, len);
}

/*
 * -nic user|tap,...[,model=virtio-net-pci][,mac=]: QEMU's shorthand for
 * a -netdev and the virtio-net-pci card on it; -nic none: no network
 * (which is vmm's default anyway).
 */
int options_parse_nic(const char *s, struct vm_config *cfg, char *err,
		      size_t len)
{
	char nd[512], dev[160], id[32];
	struct kv_opts kv;
	const char *model, *mac, *nid;
	int r = 0, n;

	if (!strcmp(s, "none"))
		return 0;
	if (kv_parse(s, &kv, true) < 0)
		return opt_err(err, len, "-nic: cannot parse '%s'.", s);
	model = kv_get(&kv, "model");
	mac = kv_get(&kv, "mac");
	nid = kv_get(&kv, "id");
	if (!kv.driver || (strcmp(kv.driver, "tap") && strcmp(kv.driver, "user")))
		r = opt_err(err, len,
			    "-nic %s: only user and tap are supported; e.g. -nic user,hostfwd=tcp::2222-:22.",
			    kv.driver ? kv.driver : s);
	else if (model && strcmp(model, "virtio-net-pci") && strcmp(model, "virtio"))
		r = opt_err(err, len, "-nic: model=%s is not supported (virtio-net-pci only).",
			    model);
	if (r < 0) {
		kv_free(&kv);
		return r;
	}
	snprintf(id, sizeof(id), "%s", nid ? nid : "");
	if (!nid)
		snprintf(id, sizeof(id), "nic%u", cfg->nnetdevs);
	n = snprintf(nd, sizeof(nd), "%s,id=%s", kv.driver, id);
	for (unsigned int i = 0; i < kv.n && n < (int)sizeof(nd); i++)
		if (strcmp(kv.key[i], "model") && strcmp(kv.key[i], "mac") &&
		    strcmp(kv.key[i], "id"))
			n += snprintf(nd + n, sizeof(nd) - n, ",%s=%s", kv.key[i], kv.val[i]);
	snprintf(dev, sizeof(dev), "virtio-net-pci,netdev=%s%s%s", id,
		 mac ? ",mac=" : "", mac ? mac : "");
	kv_free(&kv);
	if (n >= (int)sizeof(nd))
		return opt_err(err, len, "-nic: '%s' is too long.", s);
	r = options_parse_netdev(nd, cfg, err, len);
	return r < 0 ? r : options_parse_device(dev, cfg, err, len);
}
