#include <stdio.h>
int main(void) { puts("bpfbox: under construction"); return 0; }
