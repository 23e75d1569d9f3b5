/* bpfbox — tests/hooks/mkpcap.c: capture files for the packet tests.
 *
 *   mkpcap pcap FILE        the test packets, libpcap's pcap format
 *   mkpcap nsec FILE        the same, nanosecond pcap
 *   mkpcap pcapng FILE      the same, pcapng (written by hand: SHB, IDB, EPBs)
 *   mkpcap many FILE N      N packets cycling through the test packets (bench)
 *   mkpcap trunc FILE       the test packets captured with snaplen 40
 *   mkpcap dump FILE        print each packet of FILE: "caplen len hexbytes"
 *
 * The test packets, in order (all Ethernet):
 *   0  IPv4 TCP  10.0.0.1:1234 -> 10.0.0.2:80, ttl 64, 16 payload bytes
 *   1  IPv4 UDP  10.0.0.1:5353 -> 10.0.0.2:53, 12 payload bytes
 *   2  IPv4 ICMP echo request 10.0.0.1 -> 10.0.0.2, 8 payload bytes
 *   3  ARP request who-has 10.0.0.2
 *   4  IPv6 UDP  fe80::1 -> fe80::2, 10 payload bytes
 *   5  IPv4 UDP  (a second one, dport 9999, 100 payload bytes)
 * Timestamps are 1700000000 + i seconds and i * 1000 + 7 micro/nanoseconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static size_t eth(uint8_t *p, uint16_t type)
{
	memcpy(p, mac_b, 6);
	memcpy(p + 6, mac_a, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	return 14;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t ipv4(uint8_t *p, uint8_t proto, size_t payload)
{
	size_t tot = 20 + payload;
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = proto;
	uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	uint16_t c = csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	return 20;
}

static size_t make(int i, uint8_t *p)
{
	size_t n = 0;
	switch (i % 6) {
	case 0: /* TCP */
		n = eth(p, 0x0800);
		n += ipv4(p + n, 6, 20 + 16);
		memset(p + n, 0, 20);
		p[n] = 1234 >> 8, p[n + 1] = 1234 & 0xff, p[n + 3] = 80;
		p[n + 12] = 0x50;
		p[n + 13] = 0x18;
		n += 20;
		for (int k = 0; k < 16; k++)
			p[n++] = (uint8_t)('a' + k);
		break;
	case 1:
	case 5: { /* UDP */
		size_t pl = i % 6 == 1 ? 12 : 100;
		n = eth(p, 0x0800);
		n += ipv4(p + n, 17, 8 + pl);
		uint16_t dport = i % 6 == 1 ? 53 : 9999;
		p[n] = 5353 >> 8, p[n + 1] = 5353 & 0xff;
		p[n + 2] = (uint8_t)(dport >> 8), p[n + 3] = (uint8_t)dport;
		p[n + 4] = (uint8_t)((8 + pl) >> 8), p[n + 5] = (uint8_t)(8 + pl);
		p[n + 6] = p[n + 7] = 0;
		n += 8;
		for (size_t k = 0; k < pl; k++)
			p[n++] = (uint8_t)k;
		break;
	}
	case 2: /* ICMP echo */
		n = eth(p, 0x0800);
		n += ipv4(p + n, 1, 8 + 8);
		memset(p + n, 0, 16);
		p[n] = 8;
		p[n + 5] = 1;
		p[n + 7] = 1;
		for (int k = 0; k < 8; k++)
			p[n + 8 + k] = (uint8_t)k;
		{
			uint16_t c = csum(p + n, 16);
			p[n + 2] = (uint8_t)(c >> 8);
			p[n + 3] = (uint8_t)c;
		}
		n += 16;
		break;
	case 3: { /* ARP */
		n = eth(p, 0x0806);
		memset(p, 0xff, 6);
		uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
		memcpy(arp + 8, mac_a, 6);
		arp[14] = 10, arp[17] = 1;
		arp[24] = 10, arp[27] = 2;
		memcpy(p + n, arp, 28);
		n += 28;
		break;
	}
	case 4: { /* IPv6 UDP */
		n = eth(p, 0x86dd);
		memset(p + n, 0, 40);
		p[n] = 0x60;
		p[n + 5] = 18;
		p[n + 6] = 17;
		p[n + 7] = 64;
		p[n + 8] = 0xfe, p[n + 9] = 0x80, p[n + 23] = 1;
		p[n + 24] = 0xfe, p[n + 25] = 0x80, p[n + 39] = 2;
		n += 40;
		p[n] = 0x12, p[n + 1] = 0x34, p[n + 2] = 0x00, p[n + 3] = 0x35;
		p[n + 4] = 0, p[n + 5] = 18, p[n + 6] = p[n + 7] = 0;
		n += 8;
		for (int k = 0; k < 10; k++)
			p[n++] = (uint8_t)(0xa0 + k);
		break;
	}
	}
	return n;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static int write_pcapng(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	/* section header block */
	put32(f, 0x0a0d0d0a);
	put32(f, 28);
	put32(f, 0x1a2b3c4d);
	put16(f, 1);
	put16(f, 0);
	put32(f, 0xffffffff);
	put32(f, 0xffffffff);
	put32(f, 28);
	/* interface description block: Ethernet, snaplen 65535 */
	put32(f, 1);
	put32(f, 20);
	put16(f, 1);
	put16(f, 0);
	put32(f, 65535);
	put32(f, 20);
	for (int i = 0; i < 6; i++) {
		uint8_t pkt[256];
		size_t n = make(i, pkt);
		size_t padded = (n + 3) & ~(size_t)3;
		uint32_t blen = (uint32_t)(32 + padded);
		uint64_t ts = (uint64_t)(1700000000 + i) * 1000000 + (uint64_t)(i * 1000 + 7);
		put32(f, 6); /* enhanced packet block */
		put32(f, blen);
		put32(f, 0);
		put32(f, (uint32_t)(ts >> 32));
		put32(f, (uint32_t)ts);
		put32(f, (uint32_t)n);
		put32(f, (uint32_t)n);
		fwrite(pkt, 1, n, f);
		static const uint8_t zero[4];
		fwrite(zero, 1, padded - n, f);
		put32(f, blen);
	}
	return fclose(f) ? 1 : 0;
}

static int dump(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "mkpcap: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1) {
		printf("%u %u ", h->caplen, h->len);
		for (unsigned i = 0; i < h->caplen; i++)
			printf("%02x", d[i]);
		printf("\n");
	}
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkpcap pcap|nsec|pcapng|trunc|dump FILE | many FILE N\n");
		return 2;
	}
	const char *mode = argv[1], *path = argv[2];
	if (!strcmp(mode, "pcapng"))
		return write_pcapng(path);
	if (!strcmp(mode, "dump"))
		return dump(path);
	int nsec = !strcmp(mode, "nsec");
	int snap = !strcmp(mode, "trunc") ? 40 : 65535;
	long count = !strcmp(mode, "many") && argc > 3 ? strtol(argv[3], NULL, 10) : 6;
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, snap, nsec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	if (!d) {
		fprintf(stderr, "mkpcap: %s: cannot write\n", path);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		uint8_t pkt[256];
		size_t n = make((int)(i % 6), pkt);
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = (suseconds_t)((i % 1000) * 1000 + 7);
		h.len = (uint32_t)n;
		h.caplen = n > (size_t)snap ? (uint32_t)snap : (uint32_t)n;
		pcap_dump((u_char *)d, &h, pkt);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}
