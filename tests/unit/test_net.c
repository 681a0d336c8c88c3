// SPDX-License-Identifier: MIT
/* virtio-net rules: TX chain and header checks, tap offload mapping,
 * receive sizing, control queue commands. */
#include <criterion/criterion.h>
#include <linux/if_tun.h>
#include <string.h>

#include "virtio/net_hdr.h"

static struct virtq_chain c;
static uint8_t buf[70000];

#define F(x) (1ULL << VIRTIO_NET_F_##x)

/* A TX chain: the header (@flags, @gso) and @frame bytes, in @n pieces. */
static void tx(uint8_t flags, uint8_t gso, uint16_t gso_size, size_t frame,
	       unsigned int n)
{
	/* A TCP/IPv4 frame: checksum at 34 + 16, headers 54 bytes. */
	struct virtio_net_hdr_v1 h = { .flags = flags, .gso_type = gso,
				       .gso_size = gso_size, .hdr_len = 54,
				       .csum_start = 34, .csum_offset = 16 };
	size_t total = NET_HDR_LEN + frame, off = 0;

	memset(&c, 0, sizeof(c));
	memcpy(buf, &h, sizeof(h));
	for (unsigned int i = 0; i < n; i++) {
		size_t l = i == n - 1 ? total - off : total / n;

		c.iov[i] = (struct iovec){ buf + off, l };
		off += l;
	}
	c.n_out = n;
	c.out_len = total;
}

Test(net_tx, plain_frame_ok)
{
	tx(0, VIRTIO_NET_HDR_GSO_NONE, 0, 60, 1);
	cr_assert_eq(net_tx_check(&c, 0), NET_TX_OK);
	tx(0, VIRTIO_NET_HDR_GSO_NONE, 0, 60, 3);   /* header split */
	cr_assert_eq(net_tx_check(&c, 0), NET_TX_OK);
}

Test(net_tx, shorter_than_header)
{
	memset(&c, 0, sizeof(c));
	c.iov[0] = (struct iovec){ buf, 8 };
	c.n_out = 1;
	c.out_len = 8;
	cr_assert_eq(net_tx_check(&c, ~0ULL), NET_TX_SHORT);
	c.n_out = c.out_len = 0;
	cr_assert_eq(net_tx_check(&c, ~0ULL), NET_TX_SHORT);
}

Test(net_tx, larger_than_64k)
{
	tx(0, 0, 0, NET_MAX_FRAME, 2);
	cr_assert_eq(net_tx_check(&c, 0), NET_TX_OK);
	tx(0, 0, 0, NET_MAX_FRAME + 1, 2);
	cr_assert_eq(net_tx_check(&c, ~0ULL), NET_TX_TOO_BIG);
}

Test(net_tx, writable_buffers_refused)
{
	tx(0, 0, 0, 60, 1);
	c.iov[1] = (struct iovec){ buf + 100, 10 };
	c.n_in = 1;
	c.in_len = 10;
	cr_assert_eq(net_tx_check(&c, ~0ULL), NET_TX_WRITABLE);
}

Test(net_tx, offloads_need_their_features)
{
	uint8_t csum = VIRTIO_NET_HDR_F_NEEDS_CSUM;

	tx(csum, 0, 0, 60, 1);
	cr_assert_eq(net_tx_check(&c, 0), NET_TX_BAD_GSO);
	cr_assert_eq(net_tx_check(&c, F(CSUM)), NET_TX_OK);
	tx(csum, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 30000, 1);
	cr_assert_eq(net_tx_check(&c, F(CSUM)), NET_TX_BAD_GSO);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_TSO4)), NET_TX_OK);
	tx(csum, VIRTIO_NET_HDR_GSO_TCPV6, 1448, 30000, 1);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_TSO4)), NET_TX_BAD_GSO);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_TSO6)), NET_TX_OK);
	tx(csum, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448, 30000, 1);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_TSO4)), NET_TX_BAD_GSO);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_TSO4) | F(HOST_ECN)), NET_TX_OK);
	tx(csum, VIRTIO_NET_HDR_GSO_UDP, 1400, 30000, 1);
	cr_assert_eq(net_tx_check(&c, F(CSUM) | F(HOST_UFO)), NET_TX_OK);
}

Test(net_tx, malformed_gso_headers)
{
	uint64_t all = ~0ULL;

	tx(VIRTIO_NET_HDR_F_NEEDS_CSUM, 2, 1448, 3000, 1);     /* no such type */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
	tx(0, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 3000, 1);       /* GSO without csum */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
	tx(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 3000, 1);
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);  /* gso_size 0 */
	tx(0x80, 0, 0, 60, 1);                                /* unknown flag */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
	tx(0, VIRTIO_NET_HDR_GSO_ECN, 0, 60, 1);              /* ECN alone */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
}

Test(net_offload, tap_flags_follow_guest_features)
{
	cr_assert_eq(net_tap_offloads(0), 0);
	cr_assert_eq(net_tap_offloads(F(GUEST_TSO4)), 0);   /* no csum: none */
	cr_assert_eq(net_tap_offloads(F(GUEST_CSUM)), TUN_F_CSUM);
	cr_assert_eq(net_tap_offloads(F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) |
				      F(GUEST_ECN)),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	cr_assert_eq(net_tap_offloads(F(GUEST_CSUM) | F(GUEST_ECN)), TUN_F_CSUM);
	cr_assert_eq(net_tap_offloads(F(GUEST_CSUM) | F(GUEST_UFO)),
		     TUN_F_CSUM | TUN_F_UFO);
}

Test(net_rx, buffer_need)
{
	cr_assert_eq(net_rx_need(0, 0), 12 + 14 + 4 + 1500);
	cr_assert_eq(net_rx_need(0, 9000), 12 + 14 + 4 + 9000);
	cr_assert_eq(net_rx_need(F(GUEST_TSO4), 0), 12 + NET_MAX_FRAME);
	cr_assert_eq(net_rx_need(F(GUEST_TSO6) | F(MRG_RXBUF), 1500), 12 + NET_MAX_FRAME);
}

static struct net_ctrl s;

static void ctrl_init(void)
{
	memset(&s, 0, sizeof(s));
	s.features = F(CTRL_VQ) | F(CTRL_RX) | F(CTRL_MAC_ADDR) | F(MQ);
	s.max_pairs = 4;
	s.pairs = 1;
}

TestSuite(net_ctrl, .init = ctrl_init);

Test(net_ctrl, mq_pairs)
{
	const char *why;
	uint16_t p = 3;

	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				  (uint8_t *)&p, 2, &why), VIRTIO_NET_OK);
	cr_assert_eq(s.pairs, 3);
	cr_assert(s.pairs_changed);
	p = 5;   /* beyond what was offered */
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				  (uint8_t *)&p, 2, &why), VIRTIO_NET_ERR);
	cr_assert_str_eq(why, "more queue pairs than offered");
	cr_assert_eq(s.pairs, 3);
	p = 0;
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				  (uint8_t *)&p, 2, &why), VIRTIO_NET_ERR);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				  (uint8_t *)&p, 1, &why), VIRTIO_NET_ERR);
	s.features &= ~F(MQ);   /* not negotiated */
	p = 2;
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				  (uint8_t *)&p, 2, &why), VIRTIO_NET_ERR);
}

Test(net_ctrl, rx_mode_and_mac)
{
	const char *why;
	uint8_t on = 1, mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	uint8_t tables[4 + 6 + 4 + 12] = { 1, 0, 0, 0, [10] = 2 };

	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
				  &on, 1, &why), VIRTIO_NET_OK);
	cr_assert(s.promisc);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
				  &on, 2, &why), VIRTIO_NET_ERR);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_RX, 9, &on, 1, &why), VIRTIO_NET_ERR);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
				  mac, 6, &why), VIRTIO_NET_OK);
	cr_assert_arr_eq(s.mac, mac, 6);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
				  mac, 5, &why), VIRTIO_NET_ERR);
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
				  tables, sizeof(tables), &why), VIRTIO_NET_OK);
	/* A count that runs past the data, and trailing bytes. */
	tables[0] = 200;
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
				  tables, sizeof(tables), &why), VIRTIO_NET_ERR);
	tables[0] = 1;
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
				  tables, sizeof(tables) - 1, &why), VIRTIO_NET_ERR);
	tables[3] = 0x80;   /* a count near 2^32 must not wrap the check */
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
				  tables, sizeof(tables), &why), VIRTIO_NET_ERR);
}

Test(net_ctrl, unknown_class_refused)
{
	const char *why;

	cr_assert_eq(net_ctrl_run(&s, 77, 0, NULL, 0, &why), VIRTIO_NET_ERR);
	cr_assert_str_eq(why, "unsupported control class or command");
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_VLAN, 0, NULL, 0, &why),
		     VIRTIO_NET_ERR);
	s.features = 0;
	cr_assert_eq(net_ctrl_run(&s, VIRTIO_NET_CTRL_RX, 0, (uint8_t *)"\1", 1, &why),
		     VIRTIO_NET_ERR);
}

/* The GSO/checksum fields must fit the frame they describe. */
Test(net_tx, gso_fields_inconsistent_with_frame)
{
	uint64_t all = ~0ULL;
	struct virtio_net_hdr_v1 *h = (void *)buf;

	tx(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 60, 1);
	cr_assert_eq(net_tx_check(&c, all), NET_TX_OK);
	h->csum_start = 59;              /* 59 + 16 + 2 > 60 */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
	h->csum_start = 0xffff;          /* no 16-bit wrap either */
	h->csum_offset = 0xffff;
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
	tx(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 3000, 1);
	cr_assert_eq(net_tx_check(&c, all), NET_TX_OK);
	h->hdr_len = 3001;               /* headers longer than the frame */
	cr_assert_eq(net_tx_check(&c, all), NET_TX_BAD_GSO);
}
