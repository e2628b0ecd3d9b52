/* placeholder: replaced by the CLI owner */
#include <stdio.h>
int main(void) { fputs("minillm-tui: not built yet\n", stderr); return 1; }
