// SPDX-License-Identifier: MIT
#include <linux/if_tun.h>
#include <string.h>

#include "virtio/net_hdr.h"

static bool has(uint64_t f, unsigned int bit)
{
	return (f >> bit) & 1;
}

enum net_tx_verdict net_tx_check(const struct virtq_chain *c,
				 uint64_t features)
{
	struct virtio_net_hdr_v1 h;

	return net_tx_check_hdr(c, features, &h);
}

unsigned int net_tx_iov(const struct virtq_chain *c,
			const struct virtio_net_hdr_v1 *hdr, bool vnet_hdr,
			struct iovec *out)
{
	size_t skip = NET_HDR_LEN;
	unsigned int n = 0;

	if (vnet_hdr)
		out[n++] = (struct iovec){ (void *)hdr, NET_HDR_LEN };
	for (unsigned int i = 0; i < c->n_out; i++) {
		const struct iovec *v = &c->iov[i];

		if (skip >= v->iov_len) {
			skip -= v->iov_len;
			continue;
		}
		out[n++] = (struct iovec){ (uint8_t *)v->iov_base + skip,
					   v->iov_len - skip };
		skip = 0;
	}
	return n;
}

enum net_tx_verdict net_tx_check_hdr(const struct virtq_chain *c,
				     uint64_t features,
				     struct virtio_net_hdr_v1 *hdr)
{
	struct virtio_net_hdr_v1 h;
	unsigned int gso;
	uint64_t frame;

	if (c->n_in)
		return NET_TX_WRITABLE;
	if (c->out_len < NET_HDR_LEN)
		return NET_TX_SHORT;
	if (c->out_len - NET_HDR_LEN > NET_MAX_FRAME)
		return NET_TX_TOO_BIG;
	/* One copy, checked and then sent (no double fetch). */
	virtq_iov_to_buf(c->iov, c->n_out, 0, &h, sizeof(h));
	*hdr = h;
	frame = c->out_len - NET_HDR_LEN;
	/* Partial checksums only with CSUM, segmentation only with the
	 * matching HOST_* offload: the tap would do what it was told. The
	 * checksum's place must lie inside the frame. */
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (!has(features, VIRTIO_NET_F_CSUM) ||
	     (uint32_t)h.csum_start + h.csum_offset + 2 > frame))
		return NET_TX_BAD_GSO;
	if (h.flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return NET_TX_BAD_GSO;
	gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return h.gso_type & VIRTIO_NET_HDR_GSO_ECN ? NET_TX_BAD_GSO : NET_TX_OK;
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !has(features, VIRTIO_NET_F_HOST_TSO4)) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !has(features, VIRTIO_NET_F_HOST_TSO6)) ||
	    (gso == VIRTIO_NET_HDR_GSO_UDP && !has(features, VIRTIO_NET_F_HOST_UFO)) ||
	    (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6 &&
	     gso != VIRTIO_NET_HDR_GSO_UDP) ||
	    ((h.gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(features, VIRTIO_NET_F_HOST_ECN)) ||
	    !(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h.gso_size == 0 ||
	    h.hdr_len > frame)
		return NET_TX_BAD_GSO;
	return NET_TX_OK;
}

const char *net_tx_verdict_str(enum net_tx_verdict v)
{
	switch (v) {
	case NET_TX_OK: return "ok";
	case NET_TX_SHORT: return "TX chain shorter than the virtio-net header";
	case NET_TX_TOO_BIG: return "TX frame larger than 64 KiB";
	case NET_TX_WRITABLE: return "TX chain with device-writable buffers";
	case NET_TX_BAD_GSO: return "TX header asks for an offload that was not negotiated";
	}
	return "?";
}

unsigned int net_tap_offloads(uint64_t f)
{
	unsigned int o = 0;

	if (!has(f, VIRTIO_NET_F_GUEST_CSUM))
		return 0;         /* no offload at all without partial csums */
	o |= TUN_F_CSUM;
	if (has(f, VIRTIO_NET_F_GUEST_TSO4))
		o |= TUN_F_TSO4;
	if (has(f, VIRTIO_NET_F_GUEST_TSO6))
		o |= TUN_F_TSO6;
	if (has(f, VIRTIO_NET_F_GUEST_ECN) && (o & (TUN_F_TSO4 | TUN_F_TSO6)))
		o |= TUN_F_TSO_ECN;
	if (has(f, VIRTIO_NET_F_GUEST_UFO))
		o |= TUN_F_UFO;
	return o;
}

size_t net_rx_need(uint64_t f, uint16_t mtu)
{
	if (has(f, VIRTIO_NET_F_GUEST_TSO4) || has(f, VIRTIO_NET_F_GUEST_TSO6) ||
	    has(f, VIRTIO_NET_F_GUEST_UFO))
		return NET_HDR_LEN + NET_MAX_FRAME;
	return NET_HDR_LEN + 14 + 4 + (mtu > 1500 ? mtu : 1500);
}

/* VIRTIO_NET_CTRL_MAC_TABLE_SET: two tables, each a count and MACs. */
static bool net_mac_tables_ok(const uint8_t *d, size_t len)
{
	for (int t = 0; t < 2; t++) {
		uint32_t n;

		if (len < 4)
			return false;
		memcpy(&n, d, 4);
		d += 4;
		len -= 4;
		if (n > len / 6)
			return false;
		d += 6 * (size_t)n;
		len -= 6 * (size_t)n;
	}
	return len == 0;
}

uint8_t net_ctrl_run(struct net_ctrl *s, uint8_t class, uint8_t cmd,
		     const uint8_t *data, size_t len, const char **why)
{
	uint16_t pairs;

	*why = NULL;
	switch (class) {
	case VIRTIO_NET_CTRL_RX:
		if (!has(s->features, VIRTIO_NET_F_CTRL_RX))
			break;
		if (len != 1 || cmd > VIRTIO_NET_CTRL_RX_ALLMULTI) {
			*why = "RX mode command with a bad length or command";
			return VIRTIO_NET_ERR;
		}
		/* Accepted: the tap delivers everything anyway. */
		if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
			s->promisc = data[0];
		else
			s->allmulti = data[0];
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET &&
		    has(s->features, VIRTIO_NET_F_CTRL_RX)) {
			if (!net_mac_tables_ok(data, len)) {
				*why = "MAC table with bad lengths";
				return VIRTIO_NET_ERR;
			}
			return VIRTIO_NET_OK;
		}
		if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET &&
		    has(s->features, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
			if (len != 6) {
				*why = "MAC address of the wrong length";
				return VIRTIO_NET_ERR;
			}
			memcpy(s->mac, data, 6);
			s->mac_changed = true;
			return VIRTIO_NET_OK;
		}
		break;
	case VIRTIO_NET_CTRL_MQ:
		if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
		    !has(s->features, VIRTIO_NET_F_MQ))
			break;
		if (len != 2) {
			*why = "queue pair count of the wrong length";
			return VIRTIO_NET_ERR;
		}
		memcpy(&pairs, data, 2);
		if (pairs < 1 || pairs > s->max_pairs) {
			*why = "more queue pairs than offered";
			return VIRTIO_NET_ERR;
		}
		s->pairs = pairs;
		s->pairs_changed = true;
		return VIRTIO_NET_OK;
	default:
		break;
	}
	*why = "unsupported control class or command";
	return VIRTIO_NET_ERR;
}
