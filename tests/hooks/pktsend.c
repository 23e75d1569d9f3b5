/* bpfbox — tests/hooks/pktsend.c: inject the packets of a capture file on
 * an interface (libpcap's pcap_inject), for the live-mode tests.
 *
 *   pktsend IFACE FILE.pcap
 */
#include <stdio.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 3) {
		fprintf(stderr, "usage: pktsend IFACE FILE.pcap\n");
		return 2;
	}
	pcap_t *in = pcap_open_offline(argv[2], err);
	if (!in) {
		fprintf(stderr, "pktsend: %s\n", err);
		return 1;
	}
	pcap_t *out = pcap_open_live(argv[1], 65535, 0, 100, err);
	if (!out) {
		fprintf(stderr, "pktsend: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0;
	while (pcap_next_ex(in, &h, &data) == 1) {
		if (pcap_inject(out, data, h->caplen) != (int)h->caplen) {
			fprintf(stderr, "pktsend: %s\n", pcap_geterr(out));
			return 1;
		}
		n++;
	}
	pcap_close(in);
	pcap_close(out);
	printf("sent %d\n", n);
	return 0;
}
