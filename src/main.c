/* minillm-tui: the command line and, with no command, the TUI. */
#include <stdio.h>

#include "src/cli.h"
#include "ui/ui.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv, stdout, stderr, ui_run);
}
